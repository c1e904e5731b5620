using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SwapSeats.AppHost;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>./run.sh seeds the demo seller on every start: the second start must find it and change nothing.</summary>
[Collection(SystemCollection.Name)]
public sealed class DemoDataTests(SwapSeatsSystem system)
{
    [Fact]
    public async Task Seeding_twice_creates_the_seller_and_its_listings_once()
    {
        Assert.Equal(DemoOutcome.Seeded, await DemoData.SeedAsync(system.Browser(), CancellationToken.None));
        Assert.Equal(DemoOutcome.AlreadySeeded, await DemoData.SeedAsync(system.Browser(), CancellationToken.None));

        var seller = system.Browser();
        var signIn = await seller.PostAsJsonAsync("/api/users/signin", new { email = DemoData.Email, password = DemoData.Password });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var mine = await seller.GetFromJsonAsync<JsonElement>("/api/tickets/mine");
        Assert.Equal(DemoData.SeatTitles.Order(),
            mine.EnumerateArray().Select(t => t.GetProperty("title").GetString()).Order());
        // Every demo listing carries its ticket: a PDF that names the seat.
        Assert.All(mine.EnumerateArray(), t => Assert.True(t.GetProperty("hasFile").GetBoolean()));
        var first = mine.EnumerateArray().First();
        var file = await seller.GetByteArrayAsync($"/api/tickets/{first.GetProperty("id").GetString()}/file");
        var text = System.Text.Encoding.ASCII.GetString(file);
        Assert.StartsWith("%PDF-1.4", text);
        Assert.Contains(first.GetProperty("title").GetString()!, text);
        Assert.EndsWith("%%EOF\n", text);
    }
}
