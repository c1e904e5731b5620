using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

[Collection(SystemCollection.Name)]
public sealed class PaymentFlowTests(SwapSeatsSystem system)
{
    private async Task<(HttpClient Buyer, string Ticket, string Order)> ReservedAsync(string title, decimal price)
    {
        var seller = await system.SignedUpAsync();
        var buyer = await system.SignedUpAsync();
        var ticket = (await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, title, price))).GetProperty("id").GetString()!;
        var order = await SwapSeatsSystem.OrderAsync(buyer, ticket);
        return (buyer, ticket, order.GetProperty("id").GetString()!);
    }

    private Task<JsonElement> TicketWhenAsync(string ticket, string status) => Eventually.Until(
        async () => await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/tickets/{ticket}")),
        t => t.GetProperty("status").GetString() == status);

    [Fact]
    public async Task Paying_with_a_good_card_completes_the_order_and_sells_the_ticket()
    {
        var title = $"Cup final {Guid.NewGuid():N}";
        var (buyer, ticket, order) = await ReservedAsync(title, 19.99m);

        var paid = await SwapSeatsSystem.PayAsync(buyer, order, "tok_visa");

        Assert.Equal(HttpStatusCode.Created, paid.StatusCode);
        var payment = await SwapSeatsSystem.Json(paid);
        Assert.Equal((1999L, "usd", "succeeded"),
            (payment.GetProperty("amount").GetInt64(), payment.GetProperty("currency").GetString(), payment.GetProperty("status").GetString()));
        await Eventually.Until(
            async () => await SwapSeatsSystem.Json(await buyer.GetAsync($"/api/orders/{order}")),
            o => o.GetProperty("status").GetString() == "complete");
        var sold = await TicketWhenAsync(ticket, "sold");
        Assert.Equal(order, sold.GetProperty("orderId").GetString());
        var listed = await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/tickets?q={Uri.EscapeDataString(title)}"));
        Assert.Empty(listed.EnumerateArray());
        Assert.Single((await SwapSeatsSystem.Json(await buyer.GetAsync("/api/payments"))).EnumerateArray());
    }

    [Fact]
    public async Task A_declined_card_cancels_the_order_and_puts_the_ticket_back_on_sale()
    {
        var (buyer, ticket, order) = await ReservedAsync("Derby, away end", 30m);
        await TicketWhenAsync(ticket, "reserved");

        var declined = await SwapSeatsSystem.PayAsync(buyer, order, "tok_chargeDeclined");

        Assert.Equal(HttpStatusCode.PaymentRequired, declined.StatusCode);
        Assert.Equal("application/problem+json", declined.Content.Headers.ContentType?.MediaType);
        await Eventually.Until(
            async () => await SwapSeatsSystem.Json(await buyer.GetAsync($"/api/orders/{order}")),
            o => o.GetProperty("status").GetString() == "cancelled");
        var available = await TicketWhenAsync(ticket, "available");
        Assert.Equal(JsonValueKind.Null, available.GetProperty("orderId").ValueKind);
    }
}
