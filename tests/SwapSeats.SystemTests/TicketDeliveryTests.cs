using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>The buyer gets the ticket itself, through the public origin, and nobody else does.</summary>
[Collection(SystemCollection.Name)]
public sealed class TicketDeliveryTests(SwapSeatsSystem system)
{
    private static string Id(JsonElement json) => json.GetProperty("id").GetString()!;

    [Fact]
    public async Task The_seller_attaches_a_file_the_buyer_pays_and_downloads_the_same_bytes_and_nobody_else_can()
    {
        var seller = await system.SignedUpAsync();
        var buyer = await system.SignedUpAsync();
        var rival = await system.SignedUpAsync();
        var ticket = Id(await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, "Block 101, row A, seat 1", 48m)));

        // Larger than every other body the gateway lets through (64 KiB): this route alone goes up to 2 MiB.
        var pdf = "%PDF-1.7\n"u8.ToArray().Concat(RandomNumberGenerator.GetBytes(300 * 1024)).ToArray();
        var upload = new ByteArrayContent(pdf);
        upload.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        Assert.Equal(HttpStatusCode.NoContent, (await seller.PutAsync($"/api/tickets/{ticket}/file", upload)).StatusCode);

        var order = await SwapSeatsSystem.OrderAsync(buyer, ticket);
        await HttpAssertions.AssertProblemAsync(await buyer.GetAsync($"/api/tickets/{ticket}/file"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Created, (await SwapSeatsSystem.PayAsync(buyer, Id(order), "tok_visa")).StatusCode);

        var download = await Eventually.Until(() => buyer.GetAsync($"/api/tickets/{ticket}/file"), r => r.StatusCode != HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(SHA256.HashData(pdf), SHA256.HashData(await download.Content.ReadAsByteArrayAsync()));
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        var bought = Assert.Single((await SwapSeatsSystem.Json(await buyer.GetAsync("/api/tickets/purchased"))).EnumerateArray());
        Assert.Equal((ticket, true), (Id(bought), bought.GetProperty("hasFile").GetBoolean()));

        await HttpAssertions.AssertProblemAsync(await rival.GetAsync($"/api/tickets/{ticket}/file"), HttpStatusCode.NotFound);
        await HttpAssertions.AssertProblemAsync(await system.Browser().GetAsync($"/api/tickets/{ticket}/file"), HttpStatusCode.Unauthorized);

        // Any other route keeps the 64 KiB limit at the gateway.
        var big = new ByteArrayContent(new byte[100 * 1024]);
        big.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await HttpAssertions.AssertProblemAsync(await seller.PutAsync($"/api/tickets/{ticket}", big), HttpStatusCode.RequestEntityTooLarge);
    }
}
