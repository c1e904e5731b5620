using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Messaging.Inbox;
using SwapSeats.Testing;

namespace SwapSeats.Messaging.Tests;

/// <summary>
/// The consumer applies what it pulls in batches (one transaction, one inbox query, one commit) and reads each source's
/// events through one durable consumer: what that must never change, against real nats-server and PostgreSQL.
/// Events are published before the consumer starts, so its first pull holds them all as one batch.
/// </summary>
public sealed class BatchConsumerTests : IAsyncLifetime
{
    private NatsServer _nats = null!;

    public async Task InitializeAsync() => _nats = await NatsServer.StartNewAsync();

    public async Task DisposeAsync() => await _nats.DisposeAsync();

    private static TicketCreated Created(string title) => new(Guid.CreateVersion7(), title, 19.99m, Guid.CreateVersion7(), 0);

    private static TicketUpdated Updated(TicketCreated ticket, int version) =>
        new(ticket.Id, $"{ticket.Title} v{version}", 19.99m, ticket.UserId, null, TicketStatuses.Available, version);

    private static Task<List<Application>> ApplicationsAsync(MessagingHost host) =>
        host.WithDbAsync(db => db.Applications.OrderBy(a => a.Id).ToListAsync());

    [Fact]
    public async Task A_batch_with_a_duplicate_an_early_version_and_a_poison_message_applies_everything_else_once_and_parks_only_the_poison()
    {
        await using var bus = new TestBus(_nats);
        var first = Created("first");
        var poison = Created("poison");
        var last = Created("last");
        await bus.PublishAsync(first);
        await bus.RedeliverAsync(first);              // a duplicate inside the batch
        await bus.PublishAsync(Updated(first, 2));    // early: version 1 comes after it
        await bus.PublishAsync(poison);               // in the middle
        await bus.PublishAsync(Updated(first, 1));
        await bus.PublishAsync(last);

        var probe = new HandlerProbe { Instance = "orders", FailsOnTitle = title => title == "poison" };
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true, probe: probe);
        await consumer.WaitForConsumerIdleAsync("orders-ticket");

        var applied = await ApplicationsAsync(consumer);
        Assert.Equal(new[] { (first.Id, 0), (first.Id, 1), (first.Id, 2), (last.Id, 0) }.Order(),
            applied.Select(a => (a.TicketId, a.Version)).Order().ToList());
        var replica = await consumer.WithDbAsync(db => db.Tickets.SingleAsync(t => t.Id == first.Id));
        Assert.Equal((2, "first v2"), (replica.Version, replica.Title));
        // Only the poison message was retried: once per delivery, up to MaxDeliver (3), then parked.
        Assert.Equal(3, probe.Attempts["poison"]);
        Assert.Equal(1, probe.Attempts["last"]);
        var parked = await DeadLettersAsync(consumer, "orders-ticket");
        Assert.Equal([poison.EventId], parked.Select(p => EventJson.Deserialize<TicketCreated>(p.Data).EventId));
        Assert.Empty(await consumer.WithDbAsync(db => db.Tickets.Where(t => t.Id == poison.Id).ToListAsync()));
    }

    [Fact]
    public async Task When_the_database_goes_away_mid_batch_nothing_is_acked_or_lost_and_everything_is_applied_once_it_is_back()
    {
        // Durable commits, as in production: a crash must not take back a commit the consumer has acked behind.
        var postgres = await PostgresServer.StartAsync(durable: true);
        try
        {
            var database = await MessagingHost.CreateDatabaseAsync(postgres);
            await using var bus = new TestBus(_nats);
            var tickets = Enumerable.Range(0, 6).Select(i => Created($"ticket {i}")).ToList();
            foreach (var ticket in tickets)
            {
                await bus.PublishAsync(ticket);
            }

            var crashed = 0;
            var probe = new HandlerProbe
            {
                Instance = "orders",
                BeforeHandling = async title =>
                {
                    // The third handler of the first batch pulls the plug; PostgreSQL is back a few seconds later.
                    if (title == "ticket 2" && Interlocked.Exchange(ref crashed, 1) == 0)
                    {
                        await postgres.CrashAsync();
                        _ = Task.Delay(TimeSpan.FromSeconds(3)).ContinueWith(_ => postgres.StartAgainAsync(), TaskScheduler.Default).Unwrap();
                    }
                },
            };
            await using var consumer = await MessagingHost.StartAsync("orders", database, _nats, consumers: true, probe: probe);

            await Eventually.Until(async () =>
            {
                try
                {
                    return await ApplicationsAsync(consumer);
                }
                catch (Exception ex) when (SwapSeats.ServiceDefaults.TransientFailures.IsDatabaseUnavailable(ex))
                {
                    return []; // the test's own look, while PostgreSQL is down
                }
            }, a => a.Count == tickets.Count, TimeSpan.FromSeconds(60), "every event to be applied");
            await consumer.WaitForConsumerIdleAsync("orders-ticket", TimeSpan.FromSeconds(30));
            Assert.Equal(1, crashed);
            var applied = await ApplicationsAsync(consumer);
            Assert.Equal(tickets.Select(t => t.Id).Order(), applied.Select(a => a.TicketId).Order());
            Assert.Empty(await DeadLettersAsync(consumer, "orders-ticket"));
        }
        finally
        {
            await postgres.StopAndDeleteAsync(); // this test's own server: gone with the test
        }
    }

    [Fact]
    public async Task A_sources_events_are_applied_in_publish_order_across_subjects_so_none_arrives_early()
    {
        var early = 0L;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "swapseats.consumer.processed")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? consumerName = null, outcome = null;
            foreach (var tag in tags)
            {
                consumerName = tag.Key == "consumer" ? (string?)tag.Value : consumerName;
                outcome = tag.Key == "outcome" ? (string?)tag.Value : outcome;
            }

            // The meter is process-wide and other test classes run consumers at the same time: count only this one's.
            if (consumerName == "inorder-ticket" && outcome == nameof(HandleResult.RetryLater))
            {
                Interlocked.Add(ref early, value);
            }
        });
        listener.Start();

        await using var consumer = await MessagingHost.StartAsync("inorder", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        await using var bus = new TestBus(_nats);
        // Created, then updated three times, for many tickets, while the consumer runs: on separate consumers per subject
        // an update would often overtake its ticket's creation and come back later.
        var tickets = Enumerable.Range(0, 40).Select(i => Created($"ordered {i}")).ToList();
        foreach (var ticket in tickets)
        {
            await bus.PublishAsync(ticket);
            for (var version = 1; version <= 3; version++)
            {
                await bus.PublishAsync(Updated(ticket, version));
            }
        }

        await Eventually.Until(() => ApplicationsAsync(consumer), a => a.Count == tickets.Count * 4, TimeSpan.FromSeconds(30), "every version to be applied");
        Assert.Equal(0, Interlocked.Read(ref early));
        var replicas = await consumer.WithDbAsync(db => db.Tickets.ToListAsync());
        Assert.All(replicas, r => Assert.Equal(3, r.Version));
    }

    [Fact]
    public async Task The_per_subject_consumers_of_an_earlier_release_hand_over_without_losing_or_re_applying_a_message()
    {
        await using var bus = new TestBus(_nats);
        var database = await MessagingHost.CreateDatabaseAsync();
        // The earlier release: one durable consumer per subject. It applied and acked the first ticket's creation;
        // the update behind it was delivered but not yet acked when that release stopped.
        await using (var setup = await MessagingHost.StartAsync("setup", database, _nats))
        {
            await setup.Bus.EnsureStreamsAsync(default);
        }

        var js = new NatsJSContext(new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = _nats.Url }));
        foreach (var subject in (string[])[Subjects.TicketCreated, Subjects.TicketUpdated])
        {
            await js.CreateOrUpdateConsumerAsync(Subjects.EventStream, new ConsumerConfig(JetStreamConsumer.InboxName("orders", subject))
            {
                FilterSubject = subject,
                AckPolicy = ConsumerConfigAckPolicy.Explicit,
                AckWait = TimeSpan.FromSeconds(30),
            });
        }

        var applied = Created("applied by the earlier release");
        var second = Created("published before the hand-over");
        await bus.PublishAsync(applied);
        await bus.PublishAsync(Updated(applied, 1));
        await bus.PublishAsync(second);

        var legacyCreated = await js.GetConsumerAsync(Subjects.EventStream, "orders-ticket-created");
        var delivered = await legacyCreated.NextAsync<byte[]>() ?? throw new InvalidOperationException("nothing delivered");
        Assert.Equal(applied.EventId, EventJson.Deserialize<TicketCreated>(delivered.Data).EventId);
        await using (var earlier = await MessagingHost.StartAsync("earlier", database, _nats))
        {
            await earlier.WithDbAsync(async db =>
            {
                db.Tickets.Add(new ReplicaTicket { Id = applied.Id, Title = applied.Title, Version = 0 });
                db.Applications.Add(new Application { TicketId = applied.Id, Version = 0, Instance = "earlier" });
                db.Set<InboxMessage>().Add(new InboxMessage("orders-ticket-created", applied.EventId, DateTimeOffset.UtcNow));
                return await db.SaveChangesAsync();
            });
        }

        await delivered.AckAsync(new AckOpts { DoubleAck = true });
        var legacyUpdated = await js.GetConsumerAsync(Subjects.EventStream, "orders-ticket-updated");
        Assert.NotNull(await legacyUpdated.NextAsync<byte[]>()); // delivered, never acked

        await using var consumer = await MessagingHost.StartAsync("orders", database, _nats, consumers: true);
        await consumer.WaitForConsumerIdleAsync("orders-ticket");

        var applications = await ApplicationsAsync(consumer);
        Assert.Equal(new[] { (applied.Id, 0, "earlier"), (applied.Id, 1, "orders"), (second.Id, 0, "orders") }.Order(),
            applications.Select(a => (a.TicketId, a.Version, a.Instance)).Order().ToList());
        var names = new List<string>();
        await foreach (var name in js.ListConsumerNamesAsync(Subjects.EventStream))
        {
            names.Add(name);
        }

        Assert.Contains("orders-ticket", names);
        Assert.DoesNotContain("orders-ticket-created", names);
        Assert.DoesNotContain("orders-ticket-updated", names);
    }

    private static async Task<List<NATS.Client.JetStream.INatsJSMsg<byte[]>>> DeadLettersAsync(MessagingHost host, string consumer)
    {
        await host.Bus.EnsureStreamsAsync(default);
        var inspect = await host.Bus.JetStream.CreateOrUpdateConsumerAsync(Subjects.DeadLetterStream,
            new ConsumerConfig($"inspect-{Guid.NewGuid():N}") { AckPolicy = ConsumerConfigAckPolicy.None, InactiveThreshold = TimeSpan.FromSeconds(30) });
        var found = new List<NATS.Client.JetStream.INatsJSMsg<byte[]>>();
        for (ulong i = 0; i < inspect.Info.NumPending; i++)
        {
            found.Add(await inspect.NextAsync<byte[]>() ?? throw new InvalidOperationException("A dead letter went missing."));
        }

        return found.Where(m => m.Subject.StartsWith($"{Subjects.DeadLetterPrefix}.{consumer}.", StringComparison.Ordinal)).ToList();
    }
}
