using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using SwapSeats.Contracts;
using SwapSeats.Testing;
using Xunit.Abstractions;

namespace SwapSeats.SystemTests;

/// <summary>
/// SPEC §6: two processes of every service behind the gateway (SWAPSEATS_REPLICAS=2 in the AppHost). Nothing may be
/// done twice: one winner of a race, one timer firing per unpaid order, one charge per order, one payout per sale, one
/// email per row — also when one replica of each service is killed in the middle of a rush.
/// </summary>
[Collection(ReplicasCollection.Name)]
public sealed class ReplicaTests(ReplicatedSystem system, ITestOutputHelper output)
{
    private const int Purchases = 100;
    private const int Unpaid = 10;

    [Fact]
    public async Task Two_replicas_of_everything_do_each_thing_once_also_when_one_of_each_is_killed_mid_rush()
    {
        await using var bus = new TestBus(system.Nats);
        var seller = await system.SignedUpAsync();
        // 200 accounts, twenty sign-ups at a time (each is ~0.1 s of PBKDF2; all at once they starve a 2-core machine).
        var buyers = new List<HttpClient>();
        foreach (var batch in Enumerable.Range(0, 200).Chunk(20))
        {
            buyers.AddRange(await Task.WhenAll(batch.Select(_ => system.SignedUpAsync())));
        }

        // Every sale is made before the event starts; its payout is released PayoutDelay after the start.
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(150);
        var eventId = await SwapSeatsSystem.EventAsync(seller, startsAt: startsAt);
        var listed = await ListedAsync(seller, eventId, 2 * Purchases + 2 * Unpaid);
        var (contested, first, unpaidTickets) = (listed[0], listed[1..Purchases], listed[Purchases..(Purchases + Unpaid)]);
        var (second, secondUnpaid) = (listed[(Purchases + Unpaid)..(2 * Purchases + Unpaid)], listed[(2 * Purchases + Unpaid)..]);

        // A race of 200 buyers on one ticket, each request to whichever replica the gateway picks: one winner.
        var race = await Task.WhenAll(buyers.Select(buyer => Resilient(() => buyer.PostAsJsonAsync("/api/orders", new { ticketId = contested }))));
        Assert.Equal(1, race.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(199, race.Count(r => r.StatusCode == HttpStatusCode.BadRequest));

        // 100 purchases (the race's winner pays for the contested ticket), and orders nobody pays for.
        var winner = Array.FindIndex(race, r => r.StatusCode == HttpStatusCode.Created);
        var completed = new List<string> { await PayAsync(buyers[winner], (await SwapSeatsSystem.Json(race[winner])).GetProperty("id").GetString()!) };
        completed.AddRange(await PurchaseAllAsync(first.Zip(buyers.Where((_, i) => i != winner))));
        var unpaid = await OrderAllAsync(unpaidTickets.Zip(buyers.Skip(150)));
        await AssertOnceAsync(bus, completed, unpaid, "two replicas");

        // Another 100 purchases; when a third of them are done, one replica of every service is killed (SIGKILL).
        var done = 0;
        var rush = PurchaseAllAsync(second.Zip(buyers.Skip(50)), () => Interlocked.Increment(ref done));
        await Eventually.Until(() => Task.FromResult(Volatile.Read(ref done)), n => n >= Purchases / 3, TimeSpan.FromSeconds(120), "a third of the rush");
        var killed = system.Services.Keys.Where(name => name != "gateway" && !name.Contains('-')).ToList();
        var before = Volatile.Read(ref done);
        await Task.WhenAll(killed.Select(name => system.Services[name].KillAsync()));
        output.WriteLine($"killed {string.Join(", ", killed)} when {before} of {Purchases} purchases were done ({Volatile.Read(ref done)} once they had died)");
        unpaid.AddRange(await OrderAllAsync(secondUnpaid.Zip(buyers.Skip(160))));
        completed.AddRange(await rush);

        // The gateway has left the dead replicas out: every request succeeds, none answers 502.
        var probe = system.Browser();
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => probe.GetAsync($"/api/tickets/{second[0]}")));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));

        await Invariants.AssertHoldAsync(system, TimeSpan.FromSeconds(90));
        await AssertOnceAsync(bus, completed, unpaid, "one replica of each killed", inFlight: 1);

        // After the start and the escrow delay every sale is paid out by the surviving replicas, once.
        var orderIds = completed.Select(Guid.Parse).ToHashSet();
        var paid = await Eventually.Until(() => bus.PublishedAsync<PayoutPaid>(p => orderIds.Contains(p.OrderId)),
            found => found.Select(p => p.OrderId).ToHashSet().SetEquals(orderIds), startsAt + TimeSpan.FromSeconds(90) - DateTimeOffset.UtcNow, "every payout");
        Assert.All(paid.GroupBy(p => p.OrderId), g => Assert.Single(g));
        Assert.True(DateTimeOffset.UtcNow >= startsAt + SwapSeatsSystem.PayoutDelay);
        Assert.Equal(orderIds.Count, await ScalarAsync("payments",
            "SELECT count(*) FROM payouts p JOIN payments m ON m.id = p.payment_id WHERE p.status = 'paid' AND m.order_id = ANY(@ids)", orderIds));
        await Eventually.Until(() => ScalarAsync("notifications", "SELECT count(*) FROM emails WHERE kind = 'paidOut' AND sent_at IS NOT NULL"),
            n => n == orderIds.Count, TimeSpan.FromSeconds(30), "the seller's paid-out emails");
        await Invariants.AssertHoldAsync(system);
        await AssertOnceAsync(bus, completed, unpaid, "after the payouts", inFlight: 1);
    }

    /// <summary>Each completed order charged once, each unpaid order's timer fired once, each payout paid once, each email sent once.</summary>
    /// <param name="inFlight">
    /// Emails that may have reached the SMTP server twice: one per killed sender at most, the one it was sending when it
    /// died (accepted by the server, not yet marked). SMTP cannot do better; its Message-ID says it is the same email.
    /// </param>
    private async Task AssertOnceAsync(TestBus bus, List<string> completed, List<string> unpaid, string phase, int inFlight = 0)
    {
        var completedIds = completed.Select(Guid.Parse).ToHashSet();
        var unpaidIds = unpaid.Select(Guid.Parse).ToHashSet();

        // Unpaid orders run out: their timers fire, once each, on whichever replica holds them.
        var expirations = await Eventually.Until(() => bus.PublishedAsync<ExpirationComplete>(e => unpaidIds.Contains(e.OrderId)),
            found => found.Select(e => e.OrderId).ToHashSet().SetEquals(unpaidIds), TimeSpan.FromSeconds(90), $"every unpaid order's timer ({phase})");
        Assert.All(expirations.GroupBy(e => e.OrderId), g => Assert.Single(g));

        var charges = await bus.PublishedAsync<PaymentCreated>(p => completedIds.Contains(p.OrderId));
        Assert.Equal(completedIds.Count, charges.Count);
        Assert.All(charges.GroupBy(p => p.OrderId), g => Assert.Single(g));
        Assert.Equal(completedIds.Count, await ScalarAsync("payments", "SELECT count(*) FROM payments WHERE order_id = ANY(@ids)", completedIds));
        Assert.Empty(await Invariants.RowsAsync(system.Databases["payments"], "SELECT order_id::text FROM payments GROUP BY order_id HAVING count(*) > 1", r => r.GetString(0)));

        // Emails: every one queued is sent, and the SMTP server received each exactly once (Message-ID is the email's id).
        var queued = await Eventually.Until(async () => (
                Total: await ScalarAsync("notifications", "SELECT count(*) FROM emails"),
                Waiting: await ScalarAsync("notifications", "SELECT count(*) FROM emails WHERE sent_at IS NULL")),
            e => e.Waiting == 0, TimeSpan.FromSeconds(90), $"every email to be sent ({phase})");
        var received = system.Smtp.Messages.GroupBy(m => m.MessageId).ToList();
        var twice = received.Where(g => g.Count() > 1).Select(g => $"{g.Key} × {g.Count()}").ToList();
        Assert.True(twice.Count <= inFlight && received.All(g => g.Count() <= 2), $"received more than once: {string.Join(", ", twice)}");
        Assert.Equal(queued.Total, received.Count);
        var receipts = await ScalarAsync("notifications", "SELECT count(*) FROM emails WHERE kind = 'receipt'");
        Assert.Equal(completedIds.Count, receipts);
        output.WriteLine($"{phase}: {completedIds.Count} charged once, {unpaidIds.Count} timers fired once, {received.Count} emails received, " +
                         $"{(twice.Count == 0 ? "each once" : $"twice: {string.Join(", ", twice)}")}");
    }

    private static readonly byte[] Pdf = "%PDF-1.4\n% a ticket\n%%EOF\n"u8.ToArray();

    /// <summary>Lists <paramref name="count"/> tickets with their files, and waits until orders knows each of them.</summary>
    private async Task<string[]> ListedAsync(HttpClient seller, string eventId, int count)
    {
        var ids = new List<string>();
        foreach (var batch in Enumerable.Range(0, count).Chunk(10))
        {
            ids.AddRange(await Task.WhenAll(batch.Select(async i =>
            {
                var listed = await Resilient(() => SwapSeatsSystem.ListAsync(seller, $"Seat {i}", 25m, eventId: eventId));
                Assert.Equal(HttpStatusCode.Created, listed.StatusCode);
                var id = (await SwapSeatsSystem.Json(listed)).GetProperty("id").GetString()!;
                var file = await Resilient(() => seller.PutAsync($"/api/tickets/{id}/file",
                    new ByteArrayContent(Pdf) { Headers = { ContentType = new("application/pdf") } }));
                Assert.Equal(HttpStatusCode.NoContent, file.StatusCode);
                return id;
            })));
        }

        // The seller cannot buy their own ticket: 400 once orders has the ticket, 404 before. Nothing is reserved.
        foreach (var id in ids)
        {
            await Eventually.Until(() => Resilient(() => seller.PostAsJsonAsync("/api/orders", new { ticketId = id })),
                r => r.StatusCode == HttpStatusCode.BadRequest, TimeSpan.FromSeconds(60), "orders to hear of the listing");
        }

        return ids.ToArray();
    }

    /// <returns>The ids of the completed orders.</returns>
    private async Task<List<string>> PurchaseAllAsync(IEnumerable<(string Ticket, HttpClient Buyer)> purchases, Action? completed = null)
    {
        using var gate = new SemaphoreSlim(8);
        return (await Task.WhenAll(purchases.Select(async p =>
        {
            await gate.WaitAsync();
            try
            {
                var order = await OrderAsync(p.Buyer, p.Ticket);
                var paid = await PayAsync(p.Buyer, order);
                completed?.Invoke();
                return paid;
            }
            finally
            {
                gate.Release();
            }
        }))).ToList();
    }

    private static async Task<List<string>> OrderAllAsync(IEnumerable<(string Ticket, HttpClient Buyer)> orders) =>
        (await Task.WhenAll(orders.Select(o => OrderAsync(o.Buyer, o.Ticket)))).ToList();

    /// <summary>Orders as a careful client does: one Idempotency-Key for every retry, so a lost answer never orders twice.</summary>
    private static async Task<string> OrderAsync(HttpClient buyer, string ticket)
    {
        var key = Guid.NewGuid().ToString();
        var placed = await Resilient(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(new { ticketId = ticket }) };
            request.Headers.Add("Idempotency-Key", key);
            return buyer.SendAsync(request);
        });
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        return (await SwapSeatsSystem.Json(placed)).GetProperty("id").GetString()!;
    }

    /// <summary>Pays, waiting out payments' lag; a retry after a lost answer finds the order already paid.</summary>
    private static async Task<string> PayAsync(HttpClient buyer, string order)
    {
        var retried = false;
        var paid = await Eventually.Until(() => Resilient(() => buyer.PostAsJsonAsync("/api/payments", new { orderId = order, token = "tok_visa" }),
                () => retried = true),
            r => r.StatusCode != HttpStatusCode.NotFound, TimeSpan.FromSeconds(60), "payments to hear of the order");
        if (!(retried && paid.StatusCode == HttpStatusCode.BadRequest
              && (await SwapSeatsSystem.Json(paid)).GetProperty("detail").GetString() == "Order is already paid"))
        {
            Assert.Equal(HttpStatusCode.Created, paid.StatusCode);
        }

        await Eventually.Until(async () => await SwapSeatsSystem.Json(await Resilient(() => buyer.GetAsync($"/api/orders/{order}"))),
            o => o.GetProperty("status").GetString() == "complete", TimeSpan.FromSeconds(60), "the order to complete");
        return order;
    }

    /// <summary>
    /// A request through the gateway, sent again while the replica it went to is dying (502/503, or the connection
    /// dropped): until the gateway's probe leaves a dead replica out, a request can still be sent to it.
    /// </summary>
    private static async Task<HttpResponseMessage> Resilient(Func<Task<HttpResponseMessage>> send, Action? retrying = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await send();
                if (response.StatusCode is not (HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout) || attempt == 20)
                {
                    return response;
                }
            }
            catch (HttpRequestException) when (attempt < 20)
            {
            }

            retrying?.Invoke();
            await Task.Delay(250);
        }
    }

    private async Task<long> ScalarAsync(string database, string sql, IEnumerable<Guid>? ids = null)
    {
        await using var connection = new NpgsqlConnection(system.Databases[database]);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (ids is not null)
        {
            command.Parameters.AddWithValue("ids", ids.ToArray());
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
