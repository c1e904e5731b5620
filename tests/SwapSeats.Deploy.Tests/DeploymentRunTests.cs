using System.Net;
using System.Net.Http.Json;
using Npgsql;
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

        // The Secrets as deploy/k8s/dev-secrets.sh makes them in a fresh cluster; its SMTP server is the test's sink.
        var secrets = await DevSecrets.GenerateAsync("SMTP_HOST=127.0.0.1", $"SMTP_PORT={_smtp.Port}");
        // NATS would read a password that starts like a number (7e3f…, one random hex string in a few) as a number and
        // refuse to start: a one-in-many failure no single run of this test would show.
        Assert.All(secrets["swapseats-nats"], p => Assert.True(char.IsAsciiLetter(p.Value[0]), $"NATS password {p.Key} starts with {p.Value[0]}"));
        var cluster = new LocalCluster(secrets);
        cluster.Alias("Host=postgres", $"Host=127.0.0.1;Port={postgres.Port}");

        // The dev PostgreSQL's init script, as its image's entrypoint runs it on an empty volume (the test's server
        // stands for that one): one role per service, owning its database.
        var postgresPod = new LocalPod(objects, One(objects, "StatefulSet", "postgres"), "postgres-0");
        var roles = Path.Combine(Path.GetTempPath(), $"swapseats-home-roles-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(roles, ConfigMapData(objects, "postgres-init")["roles.sh"]);
        var (exitCode, output) = await ExternalProcess.RunForOutputAsync("env",
            [.. postgresPod.EnvironmentOf(cluster).Select(v => $"{v.Key}={v.Value}"), "POSTGRES_USER=postgres", "PGHOST=127.0.0.1", $"PGPORT={postgres.Port}", "sh", roles]);
        File.Delete(roles);
        await postgresPod.DisposeAsync();
        Assert.True(exitCode == 0, $"roles.sh exited with {exitCode}: {output}");

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
        var migrating = pods.Where(p => List(At(PodSpec(One(objects, "Deployment", p.Key)), "initContainers")).Any()).Select(p => p.Value).ToList();
        Assert.Equal(7, migrating.Count);
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

        // Each service's credentials open its own database and no other.
        var orders = new NpgsqlConnectionStringBuilder(cluster.Resolve(cluster.Secret("swapseats-db")["orders"]));
        await using (var own = new NpgsqlConnection(orders.ConnectionString))
        {
            await own.OpenAsync();
        }

        orders.Database = "auth";
        await using var other = new NpgsqlConnection(orders.ConnectionString);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => other.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
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
