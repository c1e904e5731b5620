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

    /// <summary>Lists a seat for a new event of its own (named after the seat), at face value.</summary>
    private static async Task<string> ListAsync(IPage seller, string title, string price, FilePayload? file = null)
    {
        await seller.GotoAsync("/sell");
        await FillNewEventAsync(seller, $"Event for {title[..Math.Min(40, title.Length)]}");
        await seller.GetByLabel("Seat").FillAsync(title);
        await seller.GetByLabel("Face value (USD)").FillAsync(price);
        await seller.GetByLabel("Price (USD)").FillAsync(price);
        if (file is not null)
        {
            await seller.GetByLabel("Ticket file").SetInputFilesAsync(file);
        }

        await seller.GetByRole(AriaRole.Button, new() { Name = "List ticket" }).ClickAsync();
        await Expect(seller.GetByRole(AriaRole.Heading, new() { Name = title })).ToBeVisibleAsync();
        return seller.Url;
    }

    private static async Task FillNewEventAsync(IPage seller, string name, string venue = "Royal Albert Hall", string city = "London")
    {
        await seller.GetByLabel("Event name").FillAsync(name);
        await seller.GetByLabel("Venue").FillAsync(venue);
        await seller.GetByLabel("City").FillAsync(city);
        await seller.GetByLabel("Starts at (UTC)").FillAsync(DateTime.UtcNow.AddDays(20).ToString("yyyy-MM-dd'T'19:30"));
    }

    private static async Task FindAndPurchaseAsync(IPage buyer, string title, string shotPrefix)
    {
        await buyer.GotoAsync("/tickets");
        await buyer.GetByLabel("Search").FillAsync(title);
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Find tickets" }).ClickAsync();
        await Expect(buyer.GetByTestId("ticket-list").GetByRole(AriaRole.Link)).ToHaveCountAsync(1);
        await BrowserSystem.ScreenshotAsync(buyer, $"{shotPrefix}-1-search");
        await buyer.GetByRole(AriaRole.Link, new() { Name = title }).ClickAsync();
        await BrowserSystem.ScreenshotAsync(buyer, $"{shotPrefix}-2-ticket");
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Purchase" }).ClickAsync();
        await Expect(buyer.GetByTestId("order-status")).ToHaveAttributeAsync("data-status", "created");
        await Expect(buyer.GetByTestId("order-status")).ToHaveTextAsync("Awaiting payment");
    }

    [Fact]
    public async Task A_second_buyer_on_a_page_loaded_before_the_first_bought_is_told_the_ticket_is_reserved()
    {
        var title = $"Rush seat {Guid.NewGuid():N}"[..20];
        var seller = await system.NewPersonAsync();
        await SignUpAsync(seller, "seller");
        var ticketUrl = await ListAsync(seller, title, "25.00");

        var late = await system.NewPersonAsync();
        await SignUpAsync(late, "late");
        await late.GotoAsync(ticketUrl); // still available when this page was loaded
        await Expect(late.GetByTestId("ticket-status")).ToHaveAttributeAsync("data-status", "available");

        var first = await system.NewPersonAsync();
        await SignUpAsync(first, "first");
        await FindAndPurchaseAsync(first, title, "rush-first");

        await late.GetByRole(AriaRole.Button, new() { Name = "Purchase" }).ClickAsync();
        await Expect(late.GetByRole(AriaRole.Alert)).ToContainTextAsync("Ticket is already reserved");
        await Expect(late.GetByTestId("ticket-status")).ToHaveAttributeAsync("data-status", "reserved");
        await Expect(late.GetByRole(AriaRole.Button, new() { Name = "Purchase" })).ToHaveCountAsync(0);
        await BrowserSystem.ScreenshotAsync(late, "rush-2-refused");
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

        await buyer.GotoAsync($"/tickets?q={Uri.EscapeDataString(title)}");
        await Expect(buyer.GetByTestId("ticket-list").GetByRole(AriaRole.Link)).ToHaveCountAsync(0);
        await seller.GotoAsync("/tickets/mine");
        await Expect(seller.GetByRole(AriaRole.Row, new() { Name = title })).ToContainTextAsync("Sold");
        await BrowserSystem.ScreenshotAsync(seller, "sell-2-my-listings");
        // The sale's money, held in escrow: $19.99 less the 5 % fee ($1.00), released after the event.
        await seller.GetByRole(AriaRole.Row, new() { Name = title }).GetByTestId("payout-link").ClickAsync();
        await Expect(seller.GetByTestId("total-held")).ToHaveTextAsync("$18.99");
        await Expect(seller.GetByTestId("payouts").GetByRole(AriaRole.Row).Nth(1)).ToContainTextAsync("Held");
        await BrowserSystem.ScreenshotAsync(seller, "sell-3-payouts");
        await seller.GotoAsync(ticketUrl);
        await Expect(seller.GetByRole(AriaRole.Link, new() { Name = "Edit" })).ToHaveCountAsync(0);
    }

    private static FilePayload Pdf(string name = "ticket.pdf") =>
        new() { Name = name, MimeType = "application/pdf", Buffer = System.Text.Encoding.ASCII.GetBytes($"%PDF-1.4\n% {Guid.NewGuid()}\n%%EOF\n") };

    private static async Task PayAsync(IPage buyer, string price)
    {
        await buyer.GetByLabel("Card number").FillAsync("4242 4242 4242 4242");
        await buyer.GetByRole(AriaRole.Button, new() { Name = $"Pay ${price}" }).ClickAsync();
        await ExpectEventuallyAsync(buyer, "order-status", "complete");
    }

    /// <summary>
    /// Opens "My tickets" once it lists <paramref name="title"/>: tickets records the buyer when it hears orders'
    /// order.completed, a moment after the order's page says complete, so the page is loaded again until it does.
    /// </summary>
    private static async Task<ILocator> MyTicketAsync(IPage buyer, string title)
    {
        var row = buyer.GetByRole(AriaRole.Row, new() { Name = title });
        await BrowserSystem.EventuallyAsync(async () =>
        {
            await buyer.GotoAsync("/tickets/purchased");
            await Expect(row).ToHaveCountAsync(1, new() { Timeout = 1_000 });
        });
        return row;
    }

    /// <summary>Downloads the ticket from "My tickets" (Playwright's download API) and returns its bytes.</summary>
    private static async Task<byte[]> DownloadFromMyTicketsAsync(IPage buyer, string title)
    {
        await MyTicketAsync(buyer, title);
        var download = await buyer.RunAndWaitForDownloadAsync(() =>
            buyer.GetByRole(AriaRole.Link, new() { Name = $"Download the ticket for {title}" }).ClickAsync());
        Assert.Matches(@"^ticket-[0-9a-f-]{36}\.pdf$", download.SuggestedFilename);
        return await File.ReadAllBytesAsync(await download.PathAsync());
    }

    [Fact]
    public async Task The_buyer_downloads_the_ticket_from_my_tickets_after_paying()
    {
        var title = $"Cup final {Guid.NewGuid():N}"[..20];
        var file = Pdf();
        var seller = await system.NewPersonAsync();
        await SignUpAsync(seller, "seller");
        await ListAsync(seller, title, "30", file);

        var buyer = await system.NewPersonAsync();
        await SignUpAsync(buyer, "buyer");
        await FindAndPurchaseAsync(buyer, title, "deliver");
        await PayAsync(buyer, "30.00");
        // The paid order leads to the ticket.
        await buyer.GetByTestId("my-tickets-link").ClickAsync();
        await Expect(buyer.GetByRole(AriaRole.Heading, new() { Name = "My tickets" })).ToBeVisibleAsync();
        await BrowserSystem.ScreenshotAsync(buyer, "deliver-4-my-tickets");
        Assert.Equal(file.Buffer, await DownloadFromMyTicketsAsync(buyer, title));
    }

    /// <summary>Chooses the file in the listing's row of My listings and presses Attach; returns the file input.</summary>
    private static async Task<ILocator> AttachAsync(IPage seller, string title, FilePayload file, bool withoutScript = false)
    {
        var row = seller.GetByRole(AriaRole.Row, new() { Name = title });
        var input = row.GetByLabel($"Ticket file for {title}");
        if (withoutScript)
        {
            await input.EvaluateAsync("e => { e.removeAttribute('data-max-bytes'); e.setCustomValidity(''); }");
        }

        await input.SetInputFilesAsync(file);
        await row.GetByRole(AriaRole.Button, new() { Name = $"Attach the file for {title}" }).ClickAsync();
        return input;
    }

    [Fact]
    public async Task The_seller_attaches_a_file_to_a_sold_ticket_that_had_none_and_the_buyer_then_gets_it()
    {
        var title = $"Late file {Guid.NewGuid():N}"[..20];
        var seller = await system.NewPersonAsync();
        await SignUpAsync(seller, "seller");
        await ListAsync(seller, title, "22");

        var buyer = await system.NewPersonAsync();
        await SignUpAsync(buyer, "buyer");
        await FindAndPurchaseAsync(buyer, title, "late");
        await PayAsync(buyer, "22.00");
        await Expect(await MyTicketAsync(buyer, title)).ToContainTextAsync("The seller has not attached it yet");

        await BrowserSystem.EventuallyAsync(async () =>
        {
            await seller.GotoAsync("/tickets/mine");
            await Expect(seller.GetByRole(AriaRole.Row, new() { Name = title }).GetByTestId("needs-file")).ToBeVisibleAsync(new() { Timeout = 500 });
        });
        await BrowserSystem.ScreenshotAsync(seller, "late-1-needs-file");
        static FilePayload PdfOf(int bytes) => new() { Name = "big.pdf", MimeType = "application/pdf", Buffer = "%PDF-"u8.ToArray().Concat(new byte[bytes]).ToArray() };
        // Over 2 MiB: the browser refuses to send it, and says why.
        var input = await AttachAsync(seller, title, PdfOf(2 * 1024 * 1024));
        Assert.Contains("larger than 2 MiB", await input.EvaluateAsync<string>("e => e.validationMessage"));
        // Without the page's script the server refuses it the same way.
        await AttachAsync(seller, title, PdfOf(2 * 1024 * 1024), withoutScript: true);
        await Expect(seller.Locator(".errors")).ToContainTextAsync("The file is larger than 2 MiB");
        // Far over the page's limit: the upload is cut off, and the page still says why in words.
        await AttachAsync(seller, title, PdfOf(3 * 1024 * 1024), withoutScript: true);
        await Expect(seller.Locator("main")).ToContainTextAsync("at most 2 MiB");
        await BrowserSystem.ScreenshotAsync(seller, "late-1b-too-large");
        await seller.GotoAsync("/tickets/mine");
        // A page that is not a PDF, named like one: refused with the reason, nothing attached.
        await AttachAsync(seller, title, new FilePayload { Name = "ticket.pdf", MimeType = "application/pdf", Buffer = "<html><script>alert(1)</script></html>"u8.ToArray() });
        await Expect(seller.Locator(".errors")).ToContainTextAsync("The file does not match its type");

        var file = Pdf();
        await AttachAsync(seller, title, file);
        await Expect(seller.GetByRole(AriaRole.Status)).ToContainTextAsync("attached");
        await Expect(seller.GetByRole(AriaRole.Row, new() { Name = title }).GetByTestId("has-file")).ToBeVisibleAsync();
        await BrowserSystem.ScreenshotAsync(seller, "late-2-attached");

        Assert.Equal(file.Buffer, await DownloadFromMyTicketsAsync(buyer, title));
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
            await next.GotoAsync($"/tickets?q={Uri.EscapeDataString(title)}");
            await Expect(next.GetByTestId("ticket-list").GetByRole(AriaRole.Link)).ToHaveCountAsync(1, new() { Timeout = 500 });
        });
    }

    [Fact]
    public async Task A_seller_creates_an_event_and_is_held_to_face_value_and_a_buyer_finds_it_from_the_home_page_and_buys_the_cheapest_seat()
    {
        var name = $"Proms night {Guid.NewGuid():N}"[..22];
        var seller = await system.NewPersonAsync();
        await SignUpAsync(seller, "seller");
        await seller.GotoAsync("/sell");
        await FillNewEventAsync(seller, name, "Royal Albert Hall", "London");
        await seller.GetByLabel("Seat").FillAsync("Stalls, row K, seat 12");
        await seller.GetByLabel("Face value (USD)").FillAsync("40");
        await seller.GetByLabel("Price (USD)").FillAsync("55");
        // The cap is shown while typing, and the server holds to it.
        await Expect(seller.GetByTestId("price-cap")).ToContainTextAsync("Above the face value of $40.00");
        await seller.GetByRole(AriaRole.Button, new() { Name = "List ticket" }).ClickAsync();
        await Expect(seller.Locator(".field-error", new() { HasText = "Price cannot exceed the face value" })).ToBeVisibleAsync();
        await BrowserSystem.ScreenshotAsync(seller, "event-1-above-face-value");
        await seller.GetByLabel("Face value (USD)").FillAsync("40");
        await seller.GetByLabel("Price (USD)").FillAsync("40");
        await seller.GetByRole(AriaRole.Button, new() { Name = "List ticket" }).ClickAsync();
        await Expect(seller.GetByRole(AriaRole.Heading, new() { Name = "Stalls, row K, seat 12" })).ToBeVisibleAsync();

        // A second, cheaper seat for the same event, picked from the list this time.
        await seller.GotoAsync("/sell");
        // Typing the event's name picks it (the datalist offers "name · venue, city · when").
        await seller.Locator("#event-search").FillAsync((await seller.Locator($"#event-choices option[value^='{name}']").First.GetAttributeAsync("value"))!);
        await Expect(seller.Locator("#new-event")).ToBeHiddenAsync();
        await seller.GetByLabel("Seat").FillAsync("Circle, row B, seat 3");
        await seller.GetByLabel("Face value (USD)").FillAsync("30");
        await seller.GetByLabel("Price (USD)").FillAsync("25");
        await seller.GetByRole(AriaRole.Button, new() { Name = "List ticket" }).ClickAsync();
        await Expect(seller.GetByRole(AriaRole.Heading, new() { Name = "Circle, row B, seat 3" })).ToBeVisibleAsync();
        await Expect(seller.GetByTestId("ticket-event")).ToHaveTextAsync(name);

        var buyer = await system.NewPersonAsync();
        await SignUpAsync(buyer, "buyer");
        await buyer.GotoAsync("/");
        await buyer.GetByLabel("Search").FillAsync(name);
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Find events" }).ClickAsync();
        await Expect(buyer.GetByTestId("event-list").GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
        await Expect(buyer.GetByTestId("event-listings")).ToContainTextAsync("2 tickets from $25.00");
        await BrowserSystem.ScreenshotAsync(buyer, "event-2-home");
        await buyer.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await Expect(buyer.GetByTestId("ticket-list").GetByRole(AriaRole.Link).First).ToHaveTextAsync("Circle, row B, seat 3");
        await BrowserSystem.ScreenshotAsync(buyer, "event-3-listings-cheapest-first");
        await buyer.GetByTestId("ticket-list").GetByRole(AriaRole.Link).First.ClickAsync();
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Purchase" }).ClickAsync();
        await Expect(buyer.GetByTestId("order-status")).ToHaveAttributeAsync("data-status", "created");
        await buyer.GetByLabel("Card number").FillAsync("4242 4242 4242 4242");
        await buyer.GetByRole(AriaRole.Button, new() { Name = "Pay $25.00" }).ClickAsync();
        await ExpectEventuallyAsync(buyer, "order-status", "complete");
        await Expect(buyer.GetByTestId("order-status")).ToHaveTextAsync("Paid");
    }

    [Fact]
    public async Task Bad_input_is_explained_next_to_the_field()
    {
        var seller = await system.NewPersonAsync();
        await SignUpAsync(seller, "seller");
        await seller.GotoAsync("/sell");
        await FillNewEventAsync(seller, $"Validation night {Guid.NewGuid():N}");
        await seller.GetByLabel("Seat").FillAsync("Too cheap");
        await seller.GetByLabel("Face value (USD)").FillAsync("10");
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
            var culprits = await phone.EvaluateAsync<string>(
                "() => Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 || e.scrollWidth > e.clientWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + '/' + e.scrollWidth + '/' + e.clientWidth).join(', ')");
            Assert.True(overflow <= 0, $"{url} is {overflow} px wider than the phone: {culprits}");
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
            await Expect(page.GetByTestId(testId)).ToHaveAttributeAsync("data-status", text, new() { Timeout = 500 });
        });
}
