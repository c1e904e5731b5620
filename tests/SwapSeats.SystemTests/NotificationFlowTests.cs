using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>A whole trade through the public origin ends with the buyer's and the seller's emails in the SMTP server, each once.</summary>
[Collection(SystemCollection.Name)]
public sealed class NotificationFlowTests(SwapSeatsSystem system)
{
    private static string Id(JsonElement json) => json.GetProperty("id").GetString()!;

    private async Task<(HttpClient Client, string Email)> PersonAsync()
    {
        var browser = system.Browser();
        var email = $"fan-{Guid.NewGuid():N}@example.com";
        (await browser.PostAsJsonAsync("/api/users/signup", new { email, password = "password123" })).EnsureSuccessStatusCode();
        return (browser, email);
    }

    [Fact]
    public async Task Reserve_pay_and_a_late_file_each_email_the_right_person_once()
    {
        var (seller, sellerEmail) = await PersonAsync();
        var (buyer, buyerEmail) = await PersonAsync();
        var ticket = Id(await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, "Block 9, row D, seat 4", 64m)));
        var order = Id(await SwapSeatsSystem.OrderAsync(buyer, ticket));
        Assert.Equal(HttpStatusCode.Created, (await SwapSeatsSystem.PayAsync(buyer, order, "tok_visa")).StatusCode);
        await Eventually.Until(async () => await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/tickets/{ticket}")),
            t => t.GetProperty("status").GetString() == "sold");
        var file = new ByteArrayContent("%PDF-1.4\n%%EOF\n"u8.ToArray());
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        Assert.Equal(HttpStatusCode.NoContent, (await seller.PutAsync($"/api/tickets/{ticket}/file", file)).StatusCode);

        string[] toBuyer = ["Your ticket is held", "Receipt: $64.00", "Your ticket is ready"];
        await Eventually.Until(() => Task.FromResult(system.Smtp.To(buyerEmail).Select(m => m.Subject ?? "").ToList()),
            s => toBuyer.All(w => s.Any(x => x.StartsWith(w, StringComparison.Ordinal))), TimeSpan.FromSeconds(30), "the buyer's emails");
        var sold = await Eventually.Until(() => Task.FromResult(system.Smtp.To(sellerEmail).ToList()), m => m.Count > 0, TimeSpan.FromSeconds(30), "the seller's email");
        Assert.StartsWith("Sold: Block 9, row D, seat 4", Assert.Single(sold).Subject);
        Assert.Contains("you receive $60.80", sold[0].TextBody); // 64.00 less the 5 % fee of 3.20

        // Exactly once each (nothing more arrives for these events).
        await Task.Delay(500);
        Assert.Equal(toBuyer.Length, system.Smtp.To(buyerEmail).Count());
        Assert.All(toBuyer, w => Assert.Single(system.Smtp.To(buyerEmail), m => m.Subject!.StartsWith(w, StringComparison.Ordinal)));
        Assert.Single(system.Smtp.To(sellerEmail));
    }
}
