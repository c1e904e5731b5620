using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SwapSeats.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class BuyAndSellTests(BrowserSystem system)
{
    private static async Task SignUpAsync(IPage page, string who)
    {
        await page.GotoAsync("/auth/signup");
        await page.GetByLabel("Email").FillAsync($"{who}-{Guid.NewGuid():N}@example.com");
        await page.GetByLabel("Password").FillAsync("password123");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Expect(page.GetByTestId("current-user")).ToContainTextAsync("@example.com");
    }

    private static async Task<string> ListAsync(IPage seller, string title, string price)
    {
        await seller.GotoAsync("/sell");
        await seller.GetByLabel("Title").FillAsync(title);
        await seller.GetByLabel("Price (USD)").FillAsync(price);
        await seller.GetByRole(AriaRole.Button, new() { Name = "List ticket" }).ClickAsync();
        await Expect(seller.GetByRole(AriaRole.Heading, new() { Name = title })).ToBeVisibleAsync();
        return seller.Url;
    }

    private static async Task FindAndPurchaseAsync(IPage buyer, string title, string shotPrefix)
    {
        await buyer.GotoAsync("/");
        await buyer.GetByLabel("Search").FillAsync(title);
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Find tickets" }).ClickAsync();
        await Expect(buyer.GetByTestId("ticket-list").GetByRole(AriaRole.Link)).ToHaveCountAsync(1);
        await BrowserSystem.ScreenshotAsync(buyer, $"{shotPrefix}-1-search");
        await buyer.GetByRole(AriaRole.Link, new() { Name = title }).ClickAsync();
        await BrowserSystem.ScreenshotAsync(buyer, $"{shotPrefix}-2-ticket");
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Purchase" }).ClickAsync();
        await Expect(buyer.GetByTestId("order-status")).ToHaveTextAsync("created");
    }

    [Fact]
    public async Task A_seller_lists_a_ticket_and_a_buyer_finds_reserves_and_pays_for_it()
    {
        var title = $"Opera night {Guid.NewGuid():N}"[..22];
        var seller = await system.NewPersonAsync();
        await SignUpAsync(seller, "seller");
        var ticketUrl = await ListAsync(seller, title, "19.99");
        await BrowserSystem.ScreenshotAsync(seller, "sell-1-listed");

        var buyer = await system.NewPersonAsync();
        await SignUpAsync(buyer, "buyer");
        await FindAndPurchaseAsync(buyer, title, "buy");

        // The countdown runs in the browser: mm:ss, and it moves.
        var countdown = buyer.Locator("#countdown");
        await Expect(countdown).ToHaveTextAsync(new Regex(@"^1[45]:\d\d$"));
        var first = await countdown.TextContentAsync();
        await Expect(countdown).Not.ToHaveTextAsync(first!, new() { Timeout = 5_000 });
        await BrowserSystem.ScreenshotAsync(buyer, "buy-3-order");

        await buyer.GetByLabel("Card number").FillAsync("4242 4242 4242 4242");
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Pay $19.99" }).ClickAsync();
        await Expect(buyer.GetByRole(AriaRole.Status)).ToContainTextAsync("Paid $19.99");
        // Orders completes the order when payments' event arrives; the page shows what orders says once it has.
        await ExpectEventuallyAsync(buyer, "order-status", "complete");
        await BrowserSystem.ScreenshotAsync(buyer, "buy-4-paid");

        await buyer.GotoAsync($"/?q={Uri.EscapeDataString(title)}");
        await Expect(buyer.GetByTestId("ticket-list").GetByRole(AriaRole.Link)).ToHaveCountAsync(0);
        await seller.GotoAsync("/tickets/mine");
        await Expect(seller.GetByRole(AriaRole.Row, new() { Name = title })).ToContainTextAsync("sold");
        await BrowserSystem.ScreenshotAsync(seller, "sell-2-my-listings");
        await seller.GotoAsync(ticketUrl);
        await Expect(seller.GetByRole(AriaRole.Link, new() { Name = "Edit" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_declined_card_is_explained_and_the_ticket_goes_back_on_sale()
    {
        var title = $"Derby day {Guid.NewGuid():N}"[..20];
        var seller = await system.NewPersonAsync();
        await SignUpAsync(seller, "seller");
        await ListAsync(seller, title, "45");

        var buyer = await system.NewPersonAsync();
        await SignUpAsync(buyer, "buyer");
        await FindAndPurchaseAsync(buyer, title, "decline");
        await buyer.GetByLabel("Card number").FillAsync("4000 0000 0000 0002");
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Pay $45.00" }).ClickAsync();

        await Expect(buyer.GetByTestId("order-errors")).ToContainTextAsync("declined");
        await BrowserSystem.ScreenshotAsync(buyer, "decline-3-declined");
        await ExpectEventuallyAsync(buyer, "order-status", "cancelled");

        // Back on sale: another fan finds it.
        var next = await system.NewPersonAsync();
        await BrowserSystem.EventuallyAsync(async () =>
        {
            await next.GotoAsync($"/?q={Uri.EscapeDataString(title)}");
            await Expect(next.GetByTestId("ticket-list").GetByRole(AriaRole.Link)).ToHaveCountAsync(1, new() { Timeout = 500 });
        });
    }

    [Fact]
    public async Task Bad_input_is_explained_next_to_the_field()
    {
        var seller = await system.NewPersonAsync();
        await SignUpAsync(seller, "seller");
        await seller.GotoAsync("/sell");
        await seller.GetByLabel("Title").FillAsync("Too cheap");
        await seller.GetByLabel("Price (USD)").FillAsync("0.001");
        // The browser's own checks are skipped so the server's answer is what the person sees.
        await seller.EvalOnSelectorAsync("form.stack", "f => f.noValidate = true");
        await seller.GetByRole(AriaRole.Button, new() { Name = "List ticket" }).ClickAsync();

        await Expect(seller.Locator(".field-error", new() { HasText = "Price must have at most 2 decimals." })).ToBeVisibleAsync();
        await BrowserSystem.ScreenshotAsync(seller, "sell-0-validation");

        // A decimal comma is refused with a reason, never read as a thousands separator (12,50 was listed as $1,250.00).
        await seller.GetByLabel("Price (USD)").FillAsync("12,50");
        await seller.GetByRole(AriaRole.Button, new() { Name = "List ticket" }).ClickAsync();
        await Expect(seller.Locator(".field-error", new() { HasText = "without commas" })).ToBeVisibleAsync();
        await Expect(seller.GetByLabel("Price (USD)")).ToHaveValueAsync("12,50");
    }

    [Fact]
    public async Task On_a_phone_nothing_scrolls_sideways_and_the_header_stays_short()
    {
        // 390 px wide (a current phone), a title with no place to break, and the pages a buyer and a seller use.
        var phone = await system.NewPersonAsync(width: 390, height: 844);
        await SignUpAsync(phone, "phone-user-with-a-rather-long-email-address");
        var title = "Superlongunbrokentitle" + new string('x', 90);
        var ticketUrl = await ListAsync(phone, title, "1250");
        foreach (var url in new[] { "/", ticketUrl, "/tickets/mine", "/orders", "/sell" })
        {
            await phone.GotoAsync(url);
            var overflow = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"{url} is {overflow} px wider than the phone");
            var header = await phone.Locator("header.top").BoundingBoxAsync();
            Assert.True(header!.Height < 110, $"{url}: the header is {header.Height} px tall");
        }

        await phone.GotoAsync("/tickets/mine");
        await Expect(phone.GetByText("$1,250.00")).ToBeVisibleAsync();
        await BrowserSystem.ScreenshotAsync(phone, "phone-1-listings");
    }

    [Fact]
    public async Task Every_page_has_an_icon()
    {
        var page = await system.NewPersonAsync();
        var icon = await page.GotoAsync("/favicon.ico");
        Assert.Equal(200, icon!.Status);
        Assert.Equal("image/svg+xml", (await icon.AllHeadersAsync())["content-type"]);
    }

    /// <summary>Reloads until the page shows the status (it changes when another service's event arrives).</summary>
    private static Task ExpectEventuallyAsync(IPage page, string testId, string text) =>
        BrowserSystem.EventuallyAsync(async () =>
        {
            await page.ReloadAsync();
            await Expect(page.GetByTestId(testId)).ToHaveTextAsync(text, new() { Timeout = 500 });
        });
}
