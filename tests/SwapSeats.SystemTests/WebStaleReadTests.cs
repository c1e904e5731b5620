using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>
/// The web pages while the services have not yet heard of each other's decisions (NATS frozen makes the moment last):
/// a buyer is never shown a paid order as unpaid, nor a taken ticket as purchasable.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed partial class WebStaleReadTests(FaultSystem system)
{
    private async Task<(HttpClient Browser, string Ticket)> ListedAndKnownAsync()
    {
        var seller = await system.SignedUpAsync();
        var ticket = (await SwapSeatsSystem.Json(await SwapSeatsSystem.ListAsync(seller, "Stale read seat", 1250m)))
            .GetProperty("id").GetString()!;
        await Invariants.AssertHoldAsync(system); // orders and payments know it before NATS freezes
        return (seller, ticket);
    }

    /// <summary>Posts a page's form the way a browser does: its hidden fields (the antiforgery token among them) and more.</summary>
    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string page, string handler, Dictionary<string, string>? fields = null)
    {
        var html = await (await browser.GetAsync(page)).Content.ReadAsStringAsync();
        var form = new Dictionary<string, string>(fields ?? []);
        foreach (var input in Input().Matches(html).Select(m => m.Value).Where(i => i.Contains("type=\"hidden\"", StringComparison.Ordinal)))
        {
            var name = Attribute(input, "name");
            if (name is not null)
            {
                form.TryAdd(name, Attribute(input, "value") ?? "");
            }
        }

        return await browser.PostAsync($"{page}?handler={handler}", new FormUrlEncodedContent(form));
    }

    private static string? Attribute(string tag, string name)
    {
        var match = Regex.Match(tag, $"\\s{name}=\"([^\"]*)\"");
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    private static string Status(string html) => OrderStatus().Match(html).Groups[1].Value;

    [Fact]
    public async Task A_paid_order_is_confirming_not_payable_until_orders_completes_it_then_complete_by_itself()
    {
        var (_, ticket) = await ListedAndKnownAsync();
        var buyer = await system.SignedUpAsync();
        var order = (await SwapSeatsSystem.OrderAsync(buyer, ticket)).GetProperty("id").GetString()!;
        // Payments must know the order before the freeze, or the payment below has nothing to pay for.
        await Invariants.AssertHoldAsync(system);

        await system.Nats.PauseAsync();
        string html;
        try
        {
            var paid = await SwapSeatsSystem.PayAsync(buyer, order, "tok_visa");
            Assert.Equal(HttpStatusCode.Created, paid.StatusCode);
            html = await (await buyer.GetAsync($"/orders/{order}")).Content.ReadAsStringAsync();
        }
        finally
        {
            await system.Nats.ResumeAsync();
        }

        Assert.Equal("confirming", Status(html));
        Assert.Contains("Paid $1,250.00", html);
        Assert.DoesNotContain("id=\"pay-form\"", html);
        Assert.DoesNotContain("Cancel order", html);
        Assert.DoesNotContain("id=\"countdown\"", html);
        Assert.Contains("http-equiv=\"refresh\"", html);

        var settled = await Eventually.Until(async () => await (await buyer.GetAsync($"/orders/{order}")).Content.ReadAsStringAsync(),
            page => Status(page) == "complete", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("http-equiv=\"refresh\"", settled);
    }

    [Fact]
    public async Task The_losing_buyer_sees_the_ticket_reserved_without_a_purchase_button()
    {
        var (_, ticket) = await ListedAndKnownAsync();
        var winner = await system.SignedUpAsync();
        var loser = await system.SignedUpAsync();
        var page = $"/tickets/{ticket}";
        Assert.Contains("Purchase", await (await loser.GetAsync(page)).Content.ReadAsStringAsync());

        await system.Nats.PauseAsync();
        string html;
        try
        {
            Assert.Equal(HttpStatusCode.Created, (await winner.PostAsJsonAsync("/api/orders", new { ticketId = ticket })).StatusCode);
            var refused = await SubmitAsync(loser, page, "Purchase");
            html = await refused.Content.ReadAsStringAsync();
        }
        finally
        {
            await system.Nats.ResumeAsync();
        }

        Assert.Contains("Ticket is already reserved", html);
        Assert.Matches("data-testid=\"ticket-status\" data-status=\"reserved\"", html);
        Assert.DoesNotContain(">Purchase</button>", html);
    }

    [GeneratedRegex("<input[^>]*>")]
    private static partial Regex Input();

    [GeneratedRegex("data-testid=\"order-status\" data-status=\"([^\"]*)\"")]
    private static partial Regex OrderStatus();
}
