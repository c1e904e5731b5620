using System.Net;
using System.Net.Http.Json;
using SwapSeats.Testing;
using static SwapSeats.Deploy.Tests.Manifests;

namespace SwapSeats.Deploy.Tests;

/// <summary>
/// The dev overlay's pods run locally as the kubelet would run them (see <see cref="LocalPod"/>): the NATS StatefulSet
/// with its config and users, and every Deployment's migration init container and service container, with their
/// Secrets (the test's PostgreSQL, SMTP sink and generated passwords) and ConfigMaps at their mount paths. Each service
/// must not be ready before its migration, must be ready after it, and together they must sell a ticket.
/// </summary>
public sealed class DeploymentRunTests : IAsyncLifetime
{
    private readonly List<LocalPod> _pods = [];
    private SmtpSink _smtp = null!;

    public async Task InitializeAsync() => _smtp = await SmtpSink.StartNewAsync();

    [Fact]
    public async Task Every_rendered_deployment_migrates_becomes_ready_and_together_they_sell_a_ticket()
    {
        var objects = Render("dev");
        var postgres = await PostgresServer.SharedAsync();
        var deployments = Of(objects, "Deployment").ToList();
        var databases = new Dictionary<string, string>();
        foreach (var key in deployments.Where(d => List(At(PodSpec(d), "initContainers")).Any()).Select(Name))
        {
            databases[key] = await postgres.CreateDatabaseAsync($"deploy_{key}");
        }

        var cluster = new LocalCluster(new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["swapseats-db"] = databases,
            ["swapseats-session-keys"] = new Dictionary<string, string>
            {
                ["session-signing.pem"] = SessionKeys.PrivatePem,
                ["session-public.pem"] = SessionKeys.PublicPem,
            },
            ["swapseats-nats"] = NatsPasswords.Generate(),
            ["swapseats-smtp"] = new Dictionary<string, string>
            {
                ["host"] = "127.0.0.1",
                ["port"] = _smtp.Port.ToString(),
                ["from"] = "SwapSeats <no-reply@swapseats.local>",
            },
        });

        var nats = new LocalPod(objects, One(objects, "StatefulSet", "nats"), "nats-0");
        _pods.Add(nats);
        cluster.Add(objects, "nats", [nats]);
        var pods = deployments.ToDictionary(Name, d => new LocalPod(objects, d, $"{Name(d)}-0"));
        _pods.AddRange(pods.Values);
        foreach (var (name, pod) in pods)
        {
            cluster.Add(objects, name, [pod]);
        }

        nats.Start(cluster);
        await nats.WaitForProbeAsync(TimeSpan.FromSeconds(30), probe: "startupProbe");

        // Started before their migrations: up, answering, and not ready (the database is behind this build).
        var migrating = pods.Where(p => databases.ContainsKey(p.Key)).Select(p => p.Value).ToList();
        foreach (var pod in migrating)
        {
            pod.Start(cluster);
        }

        var early = await Task.WhenAll(migrating.Select(p => p.WaitForProbeAsync(TimeSpan.FromSeconds(90), status: 0)));
        Assert.All(early.Zip(migrating), e => Assert.True(e.First == 503, $"{e.Second.PodName} answered {e.First} on an unmigrated database"));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.All(await Task.WhenAll(migrating.Select(p => p.ProbeAsync())), status => Assert.Equal(503, status));

        // The init containers, as the kubelet runs them: each exits 0.
        await Task.WhenAll(migrating.Select(async pod =>
        {
            var init = pod.Start(cluster, "migrate");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await init.WaitForExitAsync(timeout.Token);
            Assert.True(init.ExitCode == 0, $"{pod.PodName} migrate exited with {init.ExitCode}:\n{pod.RecentOutput}");
        }));

        // Ready without a restart: readiness followed the schema.
        await Task.WhenAll(migrating.Select(p => p.WaitForProbeAsync(TimeSpan.FromSeconds(60))));
        var gateway = pods["gateway"];
        gateway.Start(cluster);
        await gateway.WaitForProbeAsync(TimeSpan.FromSeconds(60));

        // A sale through the gateway: every service's NATS user publishes and consumes what the purchase needs.
        var site = new Uri($"http://127.0.0.1:{gateway.Port("http")}");
        var seller = Browser(site);
        var buyer = Browser(site);
        var buyerEmail = $"fan-{Guid.NewGuid():N}@example.com";
        (await seller.PostAsJsonAsync("/api/users/signup", new { email = $"seller-{Guid.NewGuid():N}@example.com", password = "password123" })).EnsureSuccessStatusCode();
        (await buyer.PostAsJsonAsync("/api/users/signup", new { email = buyerEmail, password = "password123" })).EnsureSuccessStatusCode();
        var listed = await SwapSeatsSystem.ListAsync(seller, "Block 7, row C, seat 12", 30m);
        Assert.Equal(HttpStatusCode.Created, listed.StatusCode);
        var ticketId = (await SwapSeatsSystem.Json(listed)).GetProperty("id").GetString()!;
        var order = await SwapSeatsSystem.OrderAsync(buyer, ticketId);
        var orderId = order.GetProperty("id").GetString()!;
        var paid = await SwapSeatsSystem.PayAsync(buyer, orderId, "tok_visa");
        Assert.Equal(HttpStatusCode.Created, paid.StatusCode);
        await Eventually.Until(async () => (await SwapSeatsSystem.Json(await buyer.GetAsync($"/api/orders/{orderId}"))).GetProperty("status").GetString(),
            status => status == "complete", TimeSpan.FromSeconds(30), "the order complete");
        await Eventually.Until(() => Task.FromResult(_smtp.To(buyerEmail).Count()), n => n >= 2, TimeSpan.FromSeconds(60),
            "the buyer's emails (welcome and purchase) through the SMTP Secret's server");
    }

    private static HttpClient Browser(Uri site) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = site, Timeout = TimeSpan.FromSeconds(30) };

    public async Task DisposeAsync()
    {
        foreach (var pod in _pods)
        {
            await pod.DisposeAsync();
        }

        await _smtp.DisposeAsync();
    }
}
