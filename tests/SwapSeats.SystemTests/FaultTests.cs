using System.Net;
using System.Net.Http.Json;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>Faults injected while purchases flow; afterwards every service's data must agree (see <see cref="Invariants"/>).</summary>
[Collection(FaultsCollection.Name)]
public sealed class FaultTests(FaultSystem system)
{
    /// <summary>A seller's listings, already known to orders, so purchases do not depend on the bus being up.</summary>
    private async Task<List<string>> ListedAsync(int count)
    {
        var seller = await system.SignedUpAsync();
        var tickets = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var ticket = await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, $"Fault drill seat {i}", 10m + i));
            tickets.Add(ticket.GetProperty("id").GetString()!);
        }

        // Orders must know them all (its replica) before the bus is disturbed.
        await Invariants.AssertHoldAsync(system);
        return tickets;
    }

    private async Task<List<HttpResponseMessage>> PurchaseEachAsync(IEnumerable<string> tickets)
    {
        var responses = new List<HttpResponseMessage>();
        foreach (var ticket in tickets)
        {
            var buyer = await system.SignedUpAsync();
            responses.Add(await Eventually.Until(
                () => buyer.PostAsJsonAsync("/api/orders", new { ticketId = ticket }), r => r.StatusCode != HttpStatusCode.NotFound));
        }

        return responses;
    }

    private async Task AllReservedAsync(IEnumerable<string> tickets)
    {
        var visitor = system.Browser();
        foreach (var ticket in tickets)
        {
            var shown = await Eventually.Until(
                async () => await SwapSeatsSystem.Json(await visitor.GetAsync($"/api/tickets/{ticket}")),
                t => t.GetProperty("status").GetString() == "reserved", TimeSpan.FromSeconds(60));
            // Reserved exactly once: listed at 0, reserved at 1 — no event applied twice.
            Assert.Equal(1, shown.GetProperty("version").GetInt32());
        }
    }

    [Fact]
    public async Task Purchases_succeed_while_nats_is_frozen_and_every_event_arrives_after()
    {
        var tickets = await ListedAsync(6);

        await system.Nats.PauseAsync();
        List<HttpResponseMessage> responses;
        try
        {
            responses = await PurchaseEachAsync(tickets);
        }
        finally
        {
            await system.Nats.ResumeAsync();
        }

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        await AllReservedAsync(tickets);
        await Invariants.AssertHoldAsync(system);
    }

    [Fact]
    public async Task Purchases_succeed_across_a_nats_restart_and_every_event_arrives_after()
    {
        var tickets = await ListedAsync(6);

        var first = await PurchaseEachAsync(tickets.Take(3));
        await system.Nats.StopAsync();
        var during = await PurchaseEachAsync(tickets.Skip(3));
        await system.Nats.StartAsync();

        Assert.All(first.Concat(during), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        await AllReservedAsync(tickets);
        await Invariants.AssertHoldAsync(system);
    }

    [Fact]
    public async Task A_consumer_killed_mid_stream_resumes_from_its_durable_consumer_and_applies_each_event_once()
    {
        var tickets = await ListedAsync(8);
        var tracker = system.Services["tickets"];

        var before = await PurchaseEachAsync(tickets.Take(4));
        await tracker.KillAsync();
        var during = await PurchaseEachAsync(tickets.Skip(4));
        await tracker.StartAsync();

        Assert.All(before.Concat(during), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        await AllReservedAsync(tickets);
        await Invariants.AssertHoldAsync(system);
    }

    [Fact]
    public async Task After_a_postgres_restart_services_recover_by_themselves_and_nothing_committed_is_lost()
    {
        var tickets = await ListedAsync(4);
        var committed = await PurchaseEachAsync(tickets.Take(2));
        await system.Postgres.RestartAsync();

        // Readiness follows the database: every service must be ready again by itself, without a restart.
        foreach (var (name, service) in system.Services)
        {
            using var probe = new HttpClient { BaseAddress = service.BaseAddress };
            await Eventually.Until(async () => (await probe.GetAsync("/health/ready")).StatusCode, s => s == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60), $"{name} to be ready");
        }

        // A pooled connection that died with the server fails its first use: that request gets a 503 to retry, never a 500.
        using (var client = system.Browser())
        {
            var retried = await Eventually.Until(() => client.GetAsync("/api/tickets?limit=1"), r => r.StatusCode != HttpStatusCode.ServiceUnavailable);
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        }

        var after = await PurchaseEachAsync(tickets.Skip(2));
        Assert.All(committed.Concat(after), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        await AllReservedAsync(tickets);
        await Invariants.AssertHoldAsync(system);
    }

    [Fact]
    public async Task A_service_stopped_with_sigterm_exits_cleanly_and_loses_nothing()
    {
        var tickets = await ListedAsync(4);
        var tracker = system.Services["tickets"];
        var before = await PurchaseEachAsync(tickets.Take(2));

        // SIGTERM while its consumers are busy with the events just published: it stops taking new messages,
        // finishes (or leaves unacked) the current one, and exits 0 well within Kubernetes' 30 s grace period.
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await tracker.StopAsync();
        Assert.Equal(0, tracker.ExitCode);
        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));

        var during = await PurchaseEachAsync(tickets.Skip(2));
        await tracker.StartAsync();
        Assert.All(before.Concat(during), r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        await AllReservedAsync(tickets);
        await Invariants.AssertHoldAsync(system);
    }
}
