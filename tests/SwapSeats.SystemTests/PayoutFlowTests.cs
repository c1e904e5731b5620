using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>Escrow through the public origin, for an event a few seconds ahead (Payments:PayoutDelay is 2 s here).</summary>
[Collection(SystemCollection.Name)]
public sealed class PayoutFlowTests(SwapSeatsSystem system)
{
    private static string Id(JsonElement json) => json.GetProperty("id").GetString()!;

    [Fact]
    public async Task A_sale_with_its_file_is_paid_out_after_the_event_and_one_without_is_refunded_at_its_start()
    {
        var seller = await system.SignedUpAsync();
        var buyer = await system.SignedUpAsync();
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(8);
        var eventId = await SwapSeatsSystem.EventAsync(seller, $"Soon {Guid.NewGuid():N}", startsAt: startsAt);
        var delivered = Id(await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, "Row 1, seat 1", 30m, eventId: eventId)));
        var undelivered = Id(await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, "Row 1, seat 2", 20.10m, eventId: eventId)));
        var file = new ByteArrayContent("%PDF-1.4\n%%EOF\n"u8.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        Assert.Equal(HttpStatusCode.NoContent, (await seller.PutAsync($"/api/tickets/{delivered}/file", file)).StatusCode);

        var orders = new List<string>();
        foreach (var ticket in new[] { delivered, undelivered })
        {
            var order = Id(await SwapSeatsSystem.OrderAsync(buyer, ticket));
            Assert.Equal(HttpStatusCode.Created, (await SwapSeatsSystem.PayAsync(buyer, order, "tok_visa")).StatusCode);
            orders.Add(order);
        }

        // Held in escrow, with the fee taken (5 %: 30.00 → 1.50; 20.10 → 1.005 → 1.01) and the release after the event.
        var held = await Eventually.Until(async () => await SwapSeatsSystem.Json(await seller.GetAsync("/api/payouts")), p => p.GetArrayLength() == 2);
        var byOrder = held.EnumerateArray().ToDictionary(p => p.GetProperty("orderId").GetString()!);
        Assert.Equal(("held", 28.50m, 1.50m), (byOrder[orders[0]].GetProperty("status").GetString(), byOrder[orders[0]].GetProperty("amount").GetDecimal(), byOrder[orders[0]].GetProperty("fee").GetDecimal()));
        Assert.Equal((19.09m, 1.01m), (byOrder[orders[1]].GetProperty("amount").GetDecimal(), byOrder[orders[1]].GetProperty("fee").GetDecimal()));
        Assert.Equal(startsAt.AddSeconds(2), byOrder[orders[0]].GetProperty("releaseAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));

        var settled = await Eventually.Until(async () => await SwapSeatsSystem.Json(await seller.GetAsync("/api/payouts")),
            p => p.EnumerateArray().All(x => x.GetProperty("status").GetString() != "held"), TimeSpan.FromSeconds(30));
        byOrder = settled.EnumerateArray().ToDictionary(p => p.GetProperty("orderId").GetString()!);
        Assert.Equal("paid", byOrder[orders[0]].GetProperty("status").GetString());
        Assert.True(byOrder[orders[0]].GetProperty("paidAt").GetDateTimeOffset() >= startsAt.AddSeconds(2));
        Assert.Equal("cancelled", byOrder[orders[1]].GetProperty("status").GetString());

        var refunded = await Eventually.Until(async () => await SwapSeatsSystem.Json(await buyer.GetAsync("/api/payments")),
            p => p.EnumerateArray().Any(x => x.GetProperty("status").GetString() == "refunded"));
        var payment = Assert.Single(refunded.EnumerateArray(), x => x.GetProperty("status").GetString() == "refunded");
        Assert.Equal((orders[1], "notDelivered"), (payment.GetProperty("orderId").GetString(), payment.GetProperty("refundReason").GetString()));
        await Invariants.AssertHoldAsync(system);
    }
}
