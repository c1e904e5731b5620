using System.Diagnostics;
using System.Text;
using Microsoft.EntityFrameworkCore;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Messaging.Inbox;
using SwapSeats.Messaging.Outbox;
using SwapSeats.Testing;

namespace SwapSeats.Messaging.Tests;

/// <summary>The delivery promises of SPEC.md section 4, each against a real nats-server and PostgreSQL.</summary>
public sealed class EventBusTests : IAsyncLifetime
{
    private NatsServer _nats = null!;

    // Each test gets its own nats-server (some stop it) and its own databases.
    public async Task InitializeAsync() => _nats = await NatsServer.StartNewAsync();

    public async Task DisposeAsync() => await _nats.DisposeAsync();

    private static TicketCreated NewTicket(string title = "Concert") =>
        new(Guid.CreateVersion7(), title, 19.99m, Guid.CreateVersion7(), 0);

    /// <summary>A state change and its event in one transaction, as a service does it.</summary>
    private static Task<int> CommitWithEventAsync(MessagingHost publisher, TicketCreated @event) =>
        publisher.WithDbAsync(async db =>
        {
            db.Tickets.Add(new ReplicaTicket { Id = @event.Id, Title = @event.Title, Version = @event.Version });
            db.Publish(@event);
            return await db.SaveChangesAsync();
        });

    private static Task<List<Application>> ApplicationsAsync(MessagingHost host, Guid ticketId) =>
        host.WithDbAsync(db => db.Applications.Where(a => a.TicketId == ticketId).OrderBy(a => a.Id).ToListAsync());

    private async Task<ulong> StreamCountAsync(MessagingHost host, string subject)
    {
        var stream = await host.Bus.JetStream.GetStreamAsync(Subjects.EventStream, new StreamInfoRequest { SubjectsFilter = subject });
        return stream.Info.State.Subjects is { } counts && counts.TryGetValue(subject, out var count) ? (ulong)count : 0;
    }

    [Fact]
    public async Task An_event_committed_with_its_change_arrives_once_and_is_applied_once_even_when_delivered_twice()
    {
        await using var publisher = await MessagingHost.StartAsync("tickets", await MessagingHost.CreateDatabaseAsync(), _nats);
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        var created = NewTicket();

        await CommitWithEventAsync(publisher, created);
        await Eventually.Until(() => ApplicationsAsync(consumer, created.Id), a => a.Count == 1, what: "the event to be applied");

        Assert.Equal(1UL, await StreamCountAsync(publisher, Subjects.TicketCreated));
        var sent = await publisher.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.EventId == created.EventId));
        Assert.NotNull(sent.SentAt);

        // The same event again under another message id, so the stream keeps it: only the inbox can stop it now.
        await publisher.Bus.PublishAsync(Subjects.TicketCreated, created.EventId, EventJson.Serialize(created), null, default, msgId: "redelivery");
        Assert.Equal(2UL, await StreamCountAsync(publisher, Subjects.TicketCreated));
        await consumer.WaitForConsumerIdleAsync("orders-ticket");

        Assert.Single(await ApplicationsAsync(consumer, created.Id));
        Assert.Equal(1, consumer.Probe.Attempts[created.Title]); // the inbox stopped the copy before the handler
    }

    [Fact]
    public async Task Inbox_records_older_than_the_stream_can_replay_are_cleaned_up_and_recent_ones_kept()
    {
        var database = await MessagingHost.CreateDatabaseAsync();
        var (old, recent) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        await using (var db = new TestDb(new DbContextOptionsBuilder<TestDb>().UseNpgsql(database).Options))
        {
            db.Set<InboxMessage>().Add(new InboxMessage("tickets-order-created", old, DateTimeOffset.UtcNow.AddDays(-40)));
            db.Set<InboxMessage>().Add(new InboxMessage("tickets-order-created", recent, DateTimeOffset.UtcNow.AddDays(-2)));
            await db.SaveChangesAsync();
        }

        // The relay cleans up on its first idle pass after start.
        await using var host = await MessagingHost.StartAsync("tickets", database, _nats);

        var left = await Eventually.Until(
            () => host.WithDbAsync(db => db.Set<InboxMessage>().Select(m => m.EventId).ToListAsync()), ids => !ids.Contains(old));
        Assert.Equal([recent], left);
    }

    [Fact]
    public async Task A_commit_wakes_the_relay_at_once_instead_of_waiting_for_the_poll()
    {
        await using var publisher = await MessagingHost.StartAsync("tickets", await MessagingHost.CreateDatabaseAsync(), _nats,
            settings: new() { ["Messaging:OutboxPollInterval"] = "00:01:00" });
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        await CommitWithEventAsync(publisher, NewTicket("warm-up"));
        await consumer.WaitForConsumerIdleAsync("orders-ticket");
        var created = NewTicket();

        var clock = Stopwatch.StartNew();
        await CommitWithEventAsync(publisher, created);
        await Eventually.Until(() => ApplicationsAsync(consumer, created.Id), a => a.Count == 1, TimeSpan.FromSeconds(30));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"The event took {clock.Elapsed} with a one-minute poll interval.");
    }

    [Fact]
    public async Task A_change_committed_while_NATS_is_down_succeeds_and_its_event_arrives_when_NATS_is_back()
    {
        await using var publisher = await MessagingHost.StartAsync("tickets", await MessagingHost.CreateDatabaseAsync(), _nats);
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        await CommitWithEventAsync(publisher, NewTicket("before the outage"));
        await consumer.WaitForConsumerIdleAsync("orders-ticket");
        var created = NewTicket("during the outage");

        await _nats.StopAsync();
        var saved = await CommitWithEventAsync(publisher, created);
        Assert.Equal(2, saved); // the ticket and its outbox row: the change itself did not need NATS
        var unsent = await publisher.WithDbAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.EventId == created.EventId && m.SentAt == null));
        Assert.Equal(1, unsent);
        await _nats.StartAsync();

        await Eventually.Until(() => ApplicationsAsync(consumer, created.Id), a => a.Count == 1, TimeSpan.FromSeconds(60),
            "the event to arrive after NATS came back");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the relay has published before: its next publish waits on a connection that is gone
    public async Task The_outbox_backlog_gauge_counts_unsent_events_while_NATS_is_down_and_returns_to_zero(bool publishedBefore)
    {
        var service = $"backlog-{Guid.NewGuid():N}"[..16];
        await using var publisher = await MessagingHost.StartAsync(service, await MessagingHost.CreateDatabaseAsync(), _nats);
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        long? backlog = null;
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "swapseats.outbox.pending")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "service" && (string?)tag.Value == service)
                {
                    backlog = value;
                }
            }
        });
        listener.Start();
        long? Backlog()
        {
            listener.RecordObservableInstruments();
            return backlog;
        }

        if (publishedBefore)
        {
            var earlier = NewTicket("before the outage");
            await CommitWithEventAsync(publisher, earlier);
            await Eventually.Until(() => ApplicationsAsync(consumer, earlier.Id), a => a.Count == 1, TimeSpan.FromSeconds(30), "the earlier event to arrive");
        }

        var queued = Enumerable.Range(0, 3).Select(i => NewTicket($"queued {i}")).ToList();
        await _nats.StopAsync();
        try
        {
            foreach (var ticket in queued)
            {
                await CommitWithEventAsync(publisher, ticket);
            }

            await Eventually.Until(() => Task.FromResult(Backlog()), b => b == 3, TimeSpan.FromSeconds(30), "the gauge to show 3 unsent events");
            // The relay gave up on the batch instead of holding its rows locked in an open transaction until NATS is back.
            await Eventually.Until(() => publisher.WithDbAsync(async db =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync();
                return await db.Database.SqlQuery<long>($"SELECT id AS \"Value\" FROM outbox_messages WHERE sent_at IS NULL FOR UPDATE SKIP LOCKED").CountAsync();
            }), unlocked => unlocked == 3, TimeSpan.FromSeconds(10), "the 3 unsent rows to be unlocked");
        }
        finally
        {
            await _nats.StartAsync();
        }

        await Eventually.Until(() => Task.FromResult(Backlog()), b => b == 0, TimeSpan.FromSeconds(60), "the gauge to return to 0");
        // Nothing the relay tried while NATS was away was marked sent without going out: each event arrives, once.
        foreach (var ticket in queued)
        {
            await Eventually.Until(() => ApplicationsAsync(consumer, ticket.Id), a => a.Count == 1, TimeSpan.FromSeconds(30), $"{ticket.Title} to arrive");
        }
    }

    /// <summary>A relay backing off for want of NATS goes on the moment NATS is back, not when its backoff ends.</summary>
    [Fact]
    public async Task A_relay_backing_off_during_an_outage_publishes_as_soon_as_NATS_is_back()
    {
        var slowRetries = new Dictionary<string, string?> { ["Messaging:RetryBaseDelay"] = "00:00:20", ["Messaging:MaxRetryDelay"] = "00:00:20" };
        await using var publisher = await MessagingHost.StartAsync("tickets", await MessagingHost.CreateDatabaseAsync(), _nats, settings: slowRetries);
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        var earlier = NewTicket("before the outage");
        await CommitWithEventAsync(publisher, earlier);
        await Eventually.Until(() => ApplicationsAsync(consumer, earlier.Id), a => a.Count == 1, TimeSpan.FromSeconds(30), "the earlier event to arrive");

        var queued = NewTicket("during the outage");
        await _nats.StopAsync();
        try
        {
            await CommitWithEventAsync(publisher, queued);
            // The commit wakes the relay: it waits for the connection (3 s, the connect timeout), fails, and backs off for 20 s.
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
        finally
        {
            await _nats.StartAsync();
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.Until(() => ApplicationsAsync(consumer, queued.Id), a => a.Count == 1, TimeSpan.FromSeconds(30), "the queued event to arrive");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"The queued event arrived {clock.Elapsed} after NATS was back (the backoff is 20 s).");
    }

    /// <summary>The same for the consuming side: a consumer that lost NATS reads again the moment it is back.</summary>
    [Fact]
    public async Task A_consumer_backing_off_during_an_outage_applies_as_soon_as_NATS_is_back()
    {
        var slowRetries = new Dictionary<string, string?> { ["Messaging:RetryBaseDelay"] = "00:00:20", ["Messaging:MaxRetryDelay"] = "00:00:20" };
        await using var publisher = await MessagingHost.StartAsync("tickets", await MessagingHost.CreateDatabaseAsync(), _nats);
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true,
            settings: slowRetries);
        var earlier = NewTicket("before the outage");
        await CommitWithEventAsync(publisher, earlier);
        await Eventually.Until(() => ApplicationsAsync(consumer, earlier.Id), a => a.Count == 1, TimeSpan.FromSeconds(30), "the earlier event to arrive");

        await _nats.StopAsync();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5)); // the consumer's pull fails; it backs off for 20 s
        }
        finally
        {
            await _nats.StartAsync();
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var later = NewTicket("after the outage");
        await CommitWithEventAsync(publisher, later);
        await Eventually.Until(() => ApplicationsAsync(consumer, later.Id), a => a.Count == 1, TimeSpan.FromSeconds(40), "the later event to arrive");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"The event arrived {clock.Elapsed} after NATS was back (the backoff is 20 s).");
    }

    [Fact]
    public async Task A_publish_refused_in_the_middle_of_a_batch_leaves_it_and_every_later_row_unsent()
    {
        // Three rows committed together; the stream refuses the middle one (a subject no stream takes), the last one is
        // acknowledged. Only the first may count as sent: the last must not overtake the one that failed.
        await using var publisher = await MessagingHost.StartAsync("tickets", await MessagingHost.CreateDatabaseAsync(), _nats,
            settings: new() { ["Messaging:OutboxPollInterval"] = "00:01:00" });
        var (first, refused, last) = (NewTicket("first"), Guid.CreateVersion7(), NewTicket("last"));
        await publisher.WithDbAsync(db => db.Database.ExecuteSqlAsync($"""
            INSERT INTO outbox_messages (event_id, subject, payload, created_at)
            VALUES ({first.EventId}, {Subjects.TicketCreated}, {Encoding.UTF8.GetString(EventJson.Serialize(first))}, now()),
                   ({refused}, 'nowhere.refused', {"{}"}, now()),
                   ({last.EventId}, {Subjects.TicketCreated}, {Encoding.UTF8.GetString(EventJson.Serialize(last))}, now())
            """));
        await CommitWithEventAsync(publisher, NewTicket("wake the relay"));

        var rows = await Eventually.Until(
            () => publisher.WithDbAsync(db => db.Set<OutboxMessage>().AsNoTracking().OrderBy(m => m.Id).ToListAsync()),
            r => r[0].SentAt is not null, TimeSpan.FromSeconds(30), "the first row to be sent");
        await Task.Delay(TimeSpan.FromSeconds(1)); // the relay retries the refused row meanwhile, and must keep failing
        rows = await publisher.WithDbAsync(db => db.Set<OutboxMessage>().AsNoTracking().OrderBy(m => m.Id).ToListAsync());
        Assert.Equal([first.EventId, refused, last.EventId], rows.Take(3).Select(m => m.EventId));
        Assert.NotNull(rows[0].SentAt);
        Assert.All(rows.Skip(1), m => Assert.Null(m.SentAt));
    }

    [Fact]
    public async Task A_relay_that_died_between_commit_and_publish_sends_on_restart_and_a_re_publish_is_dropped_as_a_duplicate()
    {
        var publisherDb = await MessagingHost.CreateDatabaseAsync();
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        var created = NewTicket();
        var alreadyPublished = NewTicket("published, not yet marked");

        // Committed, but no relay was running (it died before publishing).
        await using (var db = new TestDb(new DbContextOptionsBuilder<TestDb>().UseNpgsql(publisherDb).Options))
        {
            db.Publish(created);
            db.Publish(alreadyPublished);
            await db.SaveChangesAsync();
        }

        // The second one reached the stream just before the crash, so it was never marked sent.
        await consumer.Bus.PublishAsync(Subjects.TicketCreated, alreadyPublished.EventId, EventJson.Serialize(alreadyPublished), null, default);

        await using var restarted = await MessagingHost.StartAsync("tickets", publisherDb, _nats);

        await Eventually.Until(() => ApplicationsAsync(consumer, created.Id), a => a.Count == 1, what: "the unsent event after restart");
        await Eventually.Until(() => restarted.WithDbAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.SentAt == null)), n => n == 0);
        Assert.Equal(2UL, await StreamCountAsync(restarted, Subjects.TicketCreated));
        await consumer.WaitForConsumerIdleAsync("orders-ticket");
        Assert.Single(await ApplicationsAsync(consumer, alreadyPublished.Id));
    }

    [Fact]
    public async Task Versions_0_2_1_delivered_in_that_order_are_applied_as_0_1_2()
    {
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        var created = NewTicket("v0");
        var v1 = new TicketUpdated(created.Id, "v1", 20m, created.UserId, null, TicketStatuses.Available, 1);
        var v2 = new TicketUpdated(created.Id, "v2", 21m, created.UserId, null, TicketStatuses.Available, 2);

        await consumer.Bus.PublishAsync(created, default);
        await Eventually.Until(() => ApplicationsAsync(consumer, created.Id), a => a.Count == 1);
        await consumer.Bus.PublishAsync(v2, default);
        await consumer.Bus.PublishAsync(v1, default);

        var applied = await Eventually.Until(() => ApplicationsAsync(consumer, created.Id), a => a.Count == 3, what: "all three versions");
        Assert.Equal([0, 1, 2], applied.Select(a => a.Version));
        var replica = await consumer.WithDbAsync(db => db.Tickets.SingleAsync(t => t.Id == created.Id));
        Assert.Equal(("v2", 2), (replica.Title, replica.Version));

        // A stale version afterwards is acknowledged and ignored.
        await consumer.Bus.PublishAsync(v1 with { EventId = Guid.CreateVersion7(), Title = "stale" }, default);
        await consumer.WaitForConsumerIdleAsync("orders-ticket");
        Assert.Equal("v2", (await consumer.WithDbAsync(db => db.Tickets.SingleAsync(t => t.Id == created.Id))).Title);
    }

    [Fact]
    public async Task A_handler_that_always_throws_ends_in_the_dead_letter_stream_after_N_deliveries_while_later_messages_flow()
    {
        var probe = new HandlerProbe { Instance = "orders", FailsOnTitle = title => title == "poison" };
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true, probe: probe);
        var poison = NewTicket("poison");
        var healthy = NewTicket("healthy");

        await consumer.Bus.PublishAsync(poison, default);
        await consumer.Bus.PublishAsync(healthy, default);

        await Eventually.Until(() => ApplicationsAsync(consumer, healthy.Id), a => a.Count == 1, what: "the message behind the poison one");
        var deadLetterSubject = Subjects.DeadLetter("orders-ticket", Subjects.TicketCreated);
        var deadLetters = await consumer.Bus.JetStream.CreateOrUpdateConsumerAsync(Subjects.DeadLetterStream,
            new ConsumerConfig("inspect") { FilterSubject = deadLetterSubject, AckPolicy = ConsumerConfigAckPolicy.None });
        var parked = await deadLetters.NextAsync<byte[]>() ?? throw new InvalidOperationException("Nothing was dead-lettered.");

        Assert.Equal(poison.EventId, EventJson.Deserialize<TicketCreated>(parked.Data).EventId);
        Assert.Equal("3", parked.Headers![JetStreamConsumer.DeliveriesHeader].ToString());
        Assert.Contains("refuses", parked.Headers[JetStreamConsumer.ErrorHeader].ToString());
        Assert.Equal(3, probe.Attempts["poison"]);
        Assert.Empty(await ApplicationsAsync(consumer, poison.Id));
        await consumer.WaitForConsumerIdleAsync("orders-ticket");
    }

    [Fact]
    public async Task An_event_ahead_of_its_predecessor_waits_for_it_by_time_counted_and_is_dead_lettered_only_after_the_limit()
    {
        var waits = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "swapseats.consumer.early_waits")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "consumer" && (string?)tag.Value == "early-ticket")
                {
                    Interlocked.Add(ref waits, value);
                }
            }
        });
        listener.Start();
        await using var consumer = await MessagingHost.StartAsync("early", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true,
            settings: new() { ["Messaging:EarlyWaitLimit"] = "00:00:04", ["Messaging:EarlyWaitWarning"] = "00:00:01" });

        // Version 1 of a ticket whose creation comes 2 s late: it waits, and applies once its predecessor is there.
        var late = NewTicket("late creation");
        var lateUpdate = new TicketUpdated(late.Id, "late v1", 20m, late.UserId, null, TicketStatuses.Available, 1);
        // Version 1 of a ticket whose creation never comes: dead-lettered after the limit, not before.
        var orphan = NewTicket("never created");
        var orphanUpdate = new TicketUpdated(orphan.Id, "orphan v1", 20m, orphan.UserId, null, TicketStatuses.Available, 1);
        var started = Stopwatch.StartNew();
        await consumer.Bus.PublishAsync(lateUpdate, default);
        await consumer.Bus.PublishAsync(orphanUpdate, default);
        await Eventually.Until(() => Task.FromResult(Interlocked.Read(ref waits)), w => w >= 2, TimeSpan.FromSeconds(5), "the early events to be counted");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await consumer.Bus.PublishAsync(late, default);

        await Eventually.Until(() => consumer.WithDbAsync(db => db.Tickets.SingleOrDefaultAsync(t => t.Id == late.Id)), t => t?.Version == 1,
            TimeSpan.FromSeconds(10), "the late ticket's update to apply after its creation");
        var deadLetters = await consumer.Bus.JetStream.CreateOrUpdateConsumerAsync(Subjects.DeadLetterStream,
            new ConsumerConfig("inspect-early") { FilterSubject = Subjects.DeadLetter("early-ticket", Subjects.TicketUpdated), AckPolicy = ConsumerConfigAckPolicy.None });
        var parked = await deadLetters.NextAsync<byte[]>(opts: new NatsJSNextOpts { Expires = TimeSpan.FromSeconds(15) })
                     ?? throw new InvalidOperationException("Nothing was dead-lettered.");

        Assert.Equal(orphanUpdate.EventId, EventJson.Deserialize<TicketUpdated>(parked.Data).EventId);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(15));
        Assert.Contains("EarlyWaitLimit", parked.Headers![JetStreamConsumer.ErrorHeader].ToString());
        Assert.Null(await consumer.WithDbAsync(db => db.Tickets.SingleOrDefaultAsync(t => t.Id == orphan.Id)));
    }

    [Fact]
    public async Task A_malformed_payload_is_dead_lettered_at_once()
    {
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        var healthy = NewTicket("after garbage");

        await consumer.Bus.PublishAsync(Subjects.TicketCreated, Guid.CreateVersion7(), Encoding.UTF8.GetBytes("{not json"), null, default);
        await consumer.Bus.PublishAsync(healthy, default);

        await Eventually.Until(() => ApplicationsAsync(consumer, healthy.Id), a => a.Count == 1);
        var stream = await consumer.Bus.JetStream.GetStreamAsync(Subjects.DeadLetterStream);
        Assert.Equal(1L, (long)stream.Info.State.Messages);
    }

    [Fact]
    public async Task Two_instances_with_one_durable_name_split_the_messages_and_apply_none_twice()
    {
        var database = await MessagingHost.CreateDatabaseAsync();
        await using var first = await MessagingHost.StartAsync("orders", database, _nats, consumers: true, probe: new HandlerProbe { Instance = "first" });
        await using var second = await MessagingHost.StartAsync("orders", database, _nats, consumers: true, probe: new HandlerProbe { Instance = "second" });
        var events = Enumerable.Range(0, 200).Select(i => NewTicket($"ticket {i}")).ToList();

        foreach (var @event in events)
        {
            await first.Bus.PublishAsync(@event, default);
        }

        var applied = await Eventually.Until(
            () => first.WithDbAsync(db => db.Applications.ToListAsync()), a => a.Count >= events.Count, what: "all 200 events");
        await first.WaitForConsumerIdleAsync("orders-ticket");
        applied = await first.WithDbAsync(db => db.Applications.ToListAsync());

        Assert.Equal(events.Count, applied.Count);
        Assert.Equal(events.Select(e => e.Id).Order(), applied.Select(a => a.TicketId).Order());
        Assert.Contains(applied, a => a.Instance == "first");
        Assert.Contains(applied, a => a.Instance == "second");
    }

    [Fact]
    public async Task The_trace_of_the_request_continues_in_the_consumer()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "test" or MessagingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("test");
        await using var publisher = await MessagingHost.StartAsync("tickets", await MessagingHost.CreateDatabaseAsync(), _nats);
        await using var consumer = await MessagingHost.StartAsync("orders", await MessagingHost.CreateDatabaseAsync(), _nats, consumers: true);
        var created = NewTicket();

        ActivityTraceId traceId;
        using (var request = source.StartActivity("POST /api/tickets"))
        {
            traceId = request!.TraceId;
            await CommitWithEventAsync(publisher, created);
        }

        await Eventually.Until(() => ApplicationsAsync(consumer, created.Id), a => a.Count == 1);
        Assert.Contains(traceId, consumer.Probe.TraceIds);
    }
}
