using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

[Collection(SystemCollection.Name)]
public sealed class PurchaseFlowTests(SwapSeatsSystem system)
{
    private static string Id(JsonElement json) => json.GetProperty("id").GetString()!;

    [Fact]
    public async Task A_reservation_locks_the_ticket_everywhere_and_cancelling_it_frees_the_ticket_again()
    {
        var seller = await system.SignedUpAsync();
        var buyer = await system.SignedUpAsync();
        var rival = await system.SignedUpAsync();
        var ticket = Id(await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, "Final, block C", 75m)));

        // Orders learns of the listing through ticket.created; until then it honestly answers 404.
        var placed = await Eventually.Until(
            () => buyer.PostAsJsonAsync("/api/orders", new { ticketId = ticket }), r => r.StatusCode != HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        var order = await SwapSeatsSystem.Json(placed);
        Assert.Equal(("created", 75m), (order.GetProperty("status").GetString(), order.GetProperty("ticket").GetProperty("price").GetDecimal()));

        var reserved = await Eventually.Until(
            async () => await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/tickets/{ticket}")),
            t => t.GetProperty("status").GetString() == "reserved");
        Assert.Equal(Id(order), reserved.GetProperty("orderId").GetString());

        var edit = await seller.PutAsJsonAsync($"/api/tickets/{ticket}", new { title = "Final, block C", price = 90m, faceValue = 90m });
        Assert.Equal(HttpStatusCode.BadRequest, edit.StatusCode);
        Assert.Equal("Cannot edit a reserved ticket", (await SwapSeatsSystem.Json(edit)).GetProperty("detail").GetString());

        var refused = await rival.PostAsJsonAsync("/api/orders", new { ticketId = ticket });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("Ticket is already reserved", (await SwapSeatsSystem.Json(refused)).GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await buyer.DeleteAsync($"/api/orders/{Id(order)}")).StatusCode);
        Assert.Equal("cancelled", (await SwapSeatsSystem.Json(await buyer.GetAsync($"/api/orders/{Id(order)}"))).GetProperty("status").GetString());

        var released = await Eventually.Until(
            async () => await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/tickets/{ticket}")),
            t => t.GetProperty("status").GetString() == "available");
        Assert.Equal(JsonValueKind.Null, released.GetProperty("orderId").ValueKind);
        var editAgain = await seller.PutAsJsonAsync($"/api/tickets/{ticket}", new { title = "Final, block C", price = 90m, faceValue = 90m });
        Assert.Equal(HttpStatusCode.OK, editAgain.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await rival.PostAsJsonAsync("/api/orders", new { ticketId = ticket })).StatusCode);
    }
}
