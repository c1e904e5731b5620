using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.ServiceDefaults;
using SwapSeats.Testing;
using static SwapSeats.Deploy.Tests.Manifests;

namespace SwapSeats.Deploy.Tests;

/// <summary>
/// The prod overlay's NATS StatefulSet, run as three local nats-server processes with exactly its command, arguments,
/// environment and rendered config (ports and the pods' names remapped): the cluster forms, an R3 stream takes writes
/// and keeps taking them with a server killed, and each service's user is held to its own subjects.
/// </summary>
public sealed class NatsClusterTests : IAsyncLifetime
{
    private readonly Dictionary<string, string> _passwords = NatsPasswords.Generate();
    private readonly List<LocalPod> _pods = [];
    private LocalCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var objects = Render("prod");
        var statefulSet = One(objects, "StatefulSet", "nats");
        _cluster = new LocalCluster(new Dictionary<string, IReadOnlyDictionary<string, string>> { ["swapseats-nats"] = _passwords });
        for (var i = 0; i < int.Parse(Text(statefulSet, "spec", "replicas")!); i++)
        {
            _pods.Add(new LocalPod(objects, statefulSet, $"nats-{i}"));
        }

        _cluster.Add(objects, "nats", _pods);
        foreach (var pod in _pods)
        {
            pod.Start(_cluster);
        }

        // The startup probe is the gate: /healthz answers 200 once the server has joined and JetStream is current.
        await Task.WhenAll(_pods.Select(p => p.WaitForProbeAsync(TimeSpan.FromSeconds(60), probe: "startupProbe")));
    }

    private string Url(params LocalPod[] pods) =>
        string.Join(',', (pods.Length == 0 ? _pods : pods.ToList()).Select(p => $"nats://127.0.0.1:{p.Port("client")}"));

    private NatsBus Bus(string user, string? url = null) => new(Options.Create(new MessagingOptions
    {
        ServiceName = user,
        Url = url ?? Url(),
        StreamReplicas = 3,
        Credentials = new NatsCredentials { User = user, Password = _passwords[user] },
    }), NullLogger<NatsBus>.Instance);

    [Fact]
    public async Task The_cluster_forms_takes_writes_with_a_server_killed_and_holds_each_user_to_its_own_subjects()
    {
        // Formed: every server sees both others as routes.
        using var http = new HttpClient();
        foreach (var pod in _pods)
        {
            var routes = await Eventually.Until(async () =>
                    System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{pod.Port("monitor")}/routez")).RootElement.GetProperty("num_routes").GetInt32(),
                n => n >= 2, TimeSpan.FromSeconds(30), $"{pod.PodName} routed to the other two");
            Assert.True(routes >= 2);
        }

        // An R3 stream, declared by a service as it does at start, takes writes.
        await using var orders = Bus("orders");
        await orders.EnsureStreamsAsync(default);
        for (var i = 0; i < 10; i++)
        {
            await orders.PublishAsync(Subjects.OrderCreated, Guid.NewGuid(), [1], null, default);
        }

        await using var operatorConnection = new NatsConnection(new NatsOpts
        {
            Url = Url(_pods[1], _pods[2]),
            AuthOpts = new NatsAuthOpts { Username = "operator", Password = _passwords["operator"] },
        });
        var jetStream = new NatsJSContext(operatorConnection);
        var stream = await jetStream.GetStreamAsync(Subjects.EventStream);
        Assert.Equal(3, stream.Info.Config.NumReplicas);
        Assert.Equal(2, stream.Info.Cluster!.Replicas!.Count);

        // One server killed (whichever leads the stream is the hardest case): writes go on once a new leader is elected.
        var leader = stream.Info.Cluster.Leader;
        var victim = _pods.Single(p => p.PodName == leader);
        await victim.KillAsync();
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < 10; i++)
        {
            var id = Guid.NewGuid();
            await Eventually.Until(async () =>
            {
                try
                {
                    using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                    await orders.PublishAsync(Subjects.OrderCreated, id, [2], null, attempt.Token);
                    return true;
                }
                catch (Exception e) when (e is NatsException or OperationCanceledException or TimeoutException)
                {
                    return false;
                }
            }, done => done, TimeSpan.FromSeconds(30), $"a write with {leader} killed");
        }

        var after = await Eventually.Until(async () => (await jetStream.GetStreamAsync(Subjects.EventStream)).Info,
            info => (long)info.State.Messages == 20, TimeSpan.FromSeconds(15), "20 events stored");
        Assert.NotEqual(leader, after.Cluster!.Leader);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"writes resumed after {stopwatch.Elapsed}");

        // orders may not publish payments' subject, nor purge the stream; payments may publish its own.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await orders.PublishAsync(Subjects.PaymentCreated, Guid.NewGuid(), [3], null, attempt.Token);
        });
        await using var ordersConnection = new NatsConnection(new NatsOpts
        {
            Url = Url(),
            AuthOpts = new NatsAuthOpts { Username = "orders", Password = _passwords["orders"] },
            RequestTimeout = TimeSpan.FromSeconds(3),
        });
        await Assert.ThrowsAnyAsync<Exception>(async () => await new NatsJSContext(ordersConnection).PurgeStreamAsync(Subjects.EventStream, new()));
        await using var payments = Bus("payments");
        await payments.PublishAsync(Subjects.PaymentCreated, Guid.NewGuid(), [4], null, default);

        var final = (await jetStream.GetStreamAsync(Subjects.EventStream, new() { SubjectsFilter = "payment.created" })).Info.State;
        Assert.Equal(21L, (long)final.Messages);
        Assert.Equal(1L, (long)final.Subjects![Subjects.PaymentCreated]);

        // Replies are per service: tickets cannot read what arrives on orders' inbox prefix (pulled events, acks), only
        // on its own.
        await using var ticketsConnection = new NatsConnection(new NatsCredentials { User = "tickets", Password = _passwords["tickets"] }
            .Apply(new NatsOpts { Url = Url() }));
        await using var spy = await ticketsConnection.SubscribeCoreAsync<byte[]>("_INBOX_orders.>");
        await using var own = await ticketsConnection.SubscribeCoreAsync<byte[]>("_INBOX_tickets.>");
        await ticketsConnection.PingAsync();
        // A subscription reaches the other servers over the routes a moment after the subscriber's own server has it:
        // the probes are published until tickets' own one arrives (the orders probe goes out each time too).
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            byte[]? received = null;
            while (received is null)
            {
                await operatorConnection.PublishAsync("_INBOX_orders.probe", new byte[] { 5 }, cancellationToken: wait.Token);
                await operatorConnection.PublishAsync("_INBOX_tickets.probe", new byte[] { 6 }, cancellationToken: wait.Token);
                using var round = CancellationTokenSource.CreateLinkedTokenSource(wait.Token);
                round.CancelAfter(TimeSpan.FromMilliseconds(200));
                try
                {
                    received = (await own.Msgs.ReadAsync(round.Token)).Data;
                }
                catch (OperationCanceledException) when (!wait.IsCancellationRequested)
                {
                }
            }

            Assert.Equal([6], received);
        }

        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await spy.Msgs.ReadAsync(wait.Token));
        }

        // A wrong password is refused outright.
        await using var impostor = new NatsConnection(new NatsOpts
        {
            Url = Url(),
            AuthOpts = new NatsAuthOpts { Username = "payments", Password = "guess" },
            MaxReconnectRetry = 0,
        });
        await Assert.ThrowsAnyAsync<NatsException>(async () => await impostor.ConnectAsync());
    }

    public async Task DisposeAsync()
    {
        foreach (var pod in _pods)
        {
            await pod.DisposeAsync();
        }
    }
}
