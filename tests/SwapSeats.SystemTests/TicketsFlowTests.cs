using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

[Collection(SystemCollection.Name)]
public sealed class TicketsFlowTests(SwapSeatsSystem system)
{
    [Fact]
    public async Task A_seller_lists_tickets_that_anyone_can_find_page_through_and_open_and_only_the_seller_can_edit()
    {
        var seller = await system.SignedUpAsync();
        var tag = $"gig{Guid.NewGuid():N}"[..16];
        var ids = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            var created = await SwapSeatsSystem.ListAsync(seller, $"  {tag} row {i}  ", 10m * i);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var ticket = await SwapSeatsSystem.Json(created);
            Assert.Equal($"{tag} row {i}", ticket.GetProperty("title").GetString());
            Assert.Equal(0, ticket.GetProperty("version").GetInt32());
            Assert.Equal($"/api/tickets/{ticket.GetProperty("id").GetString()}", created.Headers.Location?.OriginalString);
            ids.Add(ticket.GetProperty("id").GetString()!);
        }

        // Anyone (no session) searches, newest first, two per page, following the Link header through the gateway.
        var visitor = system.Browser();
        var firstPage = await visitor.GetAsync($"/api/tickets?q={tag.ToUpperInvariant()}&limit=2");
        Assert.Equal(HttpStatusCode.OK, firstPage.StatusCode);
        Assert.Equal([ids[2], ids[1]], Ids(await SwapSeatsSystem.Json(firstPage)));
        var next = Assert.Single(firstPage.Headers.GetValues("Link"));
        Assert.EndsWith("rel=\"next\"", next);
        var nextUrl = next[1..next.IndexOf('>')];
        Assert.StartsWith("/api/tickets?", nextUrl);
        var secondPage = await visitor.GetAsync(nextUrl);
        Assert.Equal([ids[0]], Ids(await SwapSeatsSystem.Json(secondPage)));
        Assert.False(secondPage.Headers.Contains("Link"));

        var priced = await SwapSeatsSystem.Json(await visitor.GetAsync($"/api/tickets?q={tag}&minPrice=15&maxPrice=25"));
        Assert.Equal([ids[1]], Ids(priced));

        var shown = await visitor.GetAsync($"/api/tickets/{ids[0]}");
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.Equal(10m, (await SwapSeatsSystem.Json(shown)).GetProperty("price").GetDecimal());

        var updated = await seller.PutAsJsonAsync($"/api/tickets/{ids[0]}", new { title = $"{tag} front row", price = 99.5m, faceValue = 99.5m });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var after = await SwapSeatsSystem.Json(updated);
        Assert.Equal((1, 99.5m), (after.GetProperty("version").GetInt32(), after.GetProperty("price").GetDecimal()));

        var stranger = await system.SignedUpAsync();
        var forbidden = await stranger.PutAsJsonAsync($"/api/tickets/{ids[0]}", new { title = "mine now", price = 1m, faceValue = 1m });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{tag} front row", (await SwapSeatsSystem.Json(await visitor.GetAsync($"/api/tickets/{ids[0]}"))).GetProperty("title").GetString());

        var mine = await SwapSeatsSystem.Json(await seller.GetAsync("/api/tickets/mine"));
        Assert.Equal([ids[2], ids[1], ids[0]], Ids(mine));
        Assert.Equal(HttpStatusCode.Unauthorized, (await visitor.GetAsync("/api/tickets/mine")).StatusCode);
    }

    private static string[] Ids(JsonElement list) => list.EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToArray();
}
