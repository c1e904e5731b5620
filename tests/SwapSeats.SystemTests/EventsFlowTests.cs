using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>Events through the gateway: listed, found the way people type, bought, withdrawn — and counted live.</summary>
[Collection(SystemCollection.Name)]
public sealed class EventsFlowTests(SwapSeatsSystem system)
{
    [Fact]
    public async Task An_event_with_two_seats_is_found_by_words_and_city_the_cheaper_is_bought_the_other_withdrawn()
    {
        var tag = $"t{Guid.NewGuid():N}"[..10];
        var city = $"Leeds {tag}";
        var seller = await system.SignedUpAsync();
        var eventId = await SwapSeatsSystem.EventAsync(seller, $"Arctic Monkeys {tag}", "Headingley Stadium", city, DateTimeOffset.UtcNow.AddDays(40));
        // The same event again (other case, extra spaces): the same id, 200.
        var again = await seller.PostAsJsonAsync("/api/events", new
        {
            name = $"  ARCTIC monkeys {tag} ", venue = "headingley stadium", city = city.ToUpperInvariant(),
            startsAt = (await Event(eventId)).GetProperty("startsAt").GetDateTimeOffset(),
        });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(eventId, (await SwapSeatsSystem.Json(again)).GetProperty("id").GetString());

        var dear = Id(await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, "North stand, row 3", 80m, 90m, eventId)));
        var cheap = Id(await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, "South stand, row 20", 45m, 45m, eventId)));
        var listed = await Event(eventId);
        Assert.Equal((2, 45m), (listed.GetProperty("listings").GetInt32(), listed.GetProperty("minPrice").GetDecimal()));

        // Two words in any order, across the event's name and its venue; and the city filter on events.
        var found = await Tickets($"?q={Uri.EscapeDataString($"headingley {tag}")}");
        Assert.Equal([cheap, dear], found);
        Assert.Equal([cheap], await Tickets($"?q={Uri.EscapeDataString($"south {tag} monkeys")}"));
        var inCity = await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/events?city={Uri.EscapeDataString(city.ToLowerInvariant())}"));
        Assert.Equal([eventId], inCity.EnumerateArray().Select(e => e.GetProperty("id").GetString()));

        var buyer = await system.SignedUpAsync();
        var order = (await SwapSeatsSystem.OrderAsync(buyer, cheap)).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Created, (await SwapSeatsSystem.PayAsync(buyer, order, "tok_visa")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await seller.DeleteAsync($"/api/tickets/{dear}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await seller.DeleteAsync($"/api/tickets/{dear}")).StatusCode); // a no-op

        var after = await Eventually.Until(() => Event(eventId), e => e.GetProperty("listings").GetInt32() == 0);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("minPrice").ValueKind);
        Assert.Empty(await Tickets($"?q={Uri.EscapeDataString($"headingley {tag}")}"));
        var withdrawn = await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/tickets/{dear}"));
        Assert.Equal("withdrawn", withdrawn.GetProperty("status").GetString());
        // Once orders has heard of the withdrawal nobody can buy it. A buyer who was quicker than the event (201, then
        // "already reserved" for the next one) has that order cancelled by the withdrawal when it arrives.
        var quicker = new List<(HttpClient Buyer, string Order)>();
        await Eventually.Until(async () =>
        {
            var late = await system.SignedUpAsync();
            var response = await late.PostAsJsonAsync("/api/orders", new { ticketId = dear });
            if (response.StatusCode == HttpStatusCode.Created)
            {
                quicker.Add((late, (await SwapSeatsSystem.Json(response)).GetProperty("id").GetString()!));
            }

            return response.StatusCode == HttpStatusCode.BadRequest ? (await SwapSeatsSystem.Json(response)).GetProperty("detail").GetString() : null;
        }, detail => detail == "Ticket is no longer for sale", what: "orders to refuse the withdrawn ticket");
        foreach (var (late, lateOrder) in quicker)
        {
            await Eventually.Until(async () => await SwapSeatsSystem.Json(await late.GetAsync($"/api/orders/{lateOrder}")),
                o => o.GetProperty("status").GetString() == "cancelled", what: "the withdrawal to cancel an order placed before it arrived");
        }
        var mine = await SwapSeatsSystem.Json(await buyer.GetAsync($"/api/orders/{order}"));
        Assert.Equal(eventId, mine.GetProperty("ticket").GetProperty("event").GetProperty("id").GetString());
    }

    private static string Id(JsonElement element) => element.GetProperty("id").GetString()!;

    private async Task<JsonElement> Event(string id) => await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/events/{id}"));

    private async Task<List<string>> Tickets(string query) =>
        (await SwapSeatsSystem.Json(await system.Browser().GetAsync("/api/tickets" + query))).EnumerateArray().Select(Id).ToList();
}
