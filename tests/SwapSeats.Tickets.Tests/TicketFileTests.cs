using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Testing;

namespace SwapSeats.Tickets.Tests;

/// <summary>The ticket itself: attached by the seller, downloadable by the seller and, once sold, by its buyer only.</summary>
public sealed class TicketFileTests(TicketsApp app) : IClassFixture<TicketsApp>
{
    public const int Limit = 2 * 1024 * 1024;

    /// <summary>A tiny but real PDF; the bytes differ per call so a replacement is told apart.</summary>
    public static byte[] Pdf(string text = "ticket") => System.Text.Encoding.ASCII.GetBytes($"%PDF-1.4\n% {text} {Guid.NewGuid()}\n%%EOF\n");

    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];

    private static ByteArrayContent Body(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private Task<HttpResponseMessage> PutAsync(HttpClient client, Guid ticket, byte[] bytes, string contentType = "application/pdf") =>
        client.PutAsync($"/api/tickets/{ticket}/file", Body(bytes, contentType));

    private async Task<(Guid Seller, Guid Ticket)> ListedAsync()
    {
        var seller = Guid.CreateVersion7();
        var ticket = await app.ListAsync(seller, "Block 7, row B, seat 3", 30m);
        return (seller, Guid.Parse(ticket.GetProperty("id").GetString()!));
    }

    private async Task SellAsync(Guid ticket, Guid buyer, Guid? order = null)
    {
        order ??= await ReserveAsync(ticket, buyer);
        await app.Bus.PublishAsync(new OrderCompleted(order.Value, 1, new TicketRef(ticket)) { UserId = buyer });
        await Eventually.Until(() => app.ShowAsync(ticket), t => t.GetProperty("status").GetString() == "sold");
    }

    private async Task<Guid> ReserveAsync(Guid ticket, Guid buyer)
    {
        var order = Guid.CreateVersion7();
        await app.Bus.PublishAsync(new OrderCreated(order, buyer, OrderStatuses.Created, DateTimeOffset.UtcNow.AddMinutes(15), 0, new OrderTicket(ticket, 30m)));
        await Eventually.Until(() => app.ShowAsync(ticket), t => t.GetProperty("orderId").GetString() == order.ToString());
        return order;
    }

    [Fact]
    public async Task Attaching_follows_the_check_order_and_a_refused_body_leaves_nothing()
    {
        var (seller, ticket) = await ListedAsync();
        var stranger = app.SignedIn(Guid.CreateVersion7());
        var html = System.Text.Encoding.ASCII.GetBytes("<html><script>alert(1)</script></html>");
        var tooLarge = Pdf().Concat(new byte[Limit]).Take(Limit + 1).ToArray();

        // 401 → 404 → 403 before anything about the body: a stranger's oversized HTML is a 403, not a 415 or 413.
        await HttpAssertions.AssertProblemAsync(await PutAsync(app.Anonymous(), ticket, html, "text/html"), HttpStatusCode.Unauthorized);
        await HttpAssertions.AssertProblemAsync(await PutAsync(app.SignedIn(seller), Guid.CreateVersion7(), Pdf()), HttpStatusCode.NotFound);
        await HttpAssertions.AssertProblemAsync(await app.SignedIn(seller).PutAsync("/api/tickets/not-a-uuid/file", Body(Pdf(), "application/pdf")), HttpStatusCode.NotFound);
        await HttpAssertions.AssertProblemAsync(await PutAsync(stranger, ticket, tooLarge, "text/html"), HttpStatusCode.Forbidden);
        await HttpAssertions.AssertProblemAsync(await PutAsync(app.SignedIn(seller), ticket, html, "text/html"), HttpStatusCode.UnsupportedMediaType);
        await HttpAssertions.AssertProblemAsync(await PutAsync(app.SignedIn(seller), ticket, tooLarge), HttpStatusCode.RequestEntityTooLarge);
        var mismatch = await PutAsync(app.SignedIn(seller), ticket, html);
        await HttpAssertions.AssertProblemAsync(mismatch, HttpStatusCode.BadRequest);
        Assert.Equal("The file does not match its type", (await TicketsApp.Json(mismatch)).GetProperty("detail").GetString());
        var jpegSaysPng = await PutAsync(app.SignedIn(seller), ticket, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], "image/png");
        Assert.Equal(HttpStatusCode.BadRequest, jpegSaysPng.StatusCode);

        var listing = await app.ShowAsync(ticket);
        Assert.False(listing.GetProperty("hasFile").GetBoolean());
        Assert.Equal(0, listing.GetProperty("version").GetInt32());
        Assert.False(await app.WithDbAsync(db => db.TicketFiles.AnyAsync(f => f.TicketId == ticket)));
        await HttpAssertions.AssertProblemAsync(await app.SignedIn(seller).GetAsync($"/api/tickets/{ticket}/file"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_seller_attaches_a_file_of_exactly_the_limit_and_downloads_it_as_an_attachment()
    {
        var (seller, ticket) = await ListedAsync();
        var exact = Pdf().Concat(new byte[Limit]).Take(Limit).ToArray();

        var put = await PutAsync(app.SignedIn(seller), ticket, exact, "application/pdf; charset=binary");
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var listing = await app.ShowAsync(ticket);
        Assert.True(listing.GetProperty("hasFile").GetBoolean());
        Assert.Equal(1, listing.GetProperty("version").GetInt32());
        var updated = await app.Bus.WaitForAsync<TicketUpdated>(e => e.Id == ticket && e.Version == 1);
        Assert.True(updated.HasFile);

        var get = await app.SignedIn(seller).GetAsync($"/api/tickets/{ticket}/file");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(exact, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/pdf", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"attachment; filename=\"ticket-{ticket}.pdf\"", string.Join(",", get.Content.Headers.GetValues("Content-Disposition")));
        Assert.True(get.Headers.CacheControl is { Private: true, NoStore: true, MaxAge: null }, $"Cache-Control: {get.Headers.CacheControl}");
        Assert.Equal("nosniff", string.Join(",", get.Headers.GetValues("X-Content-Type-Options")));

        // The listing rows never carry the bytes: lists read the tickets table only.
        var list = await TicketsApp.Json(await app.SignedIn(seller).GetAsync("/api/tickets/mine"));
        Assert.DoesNotContain("content", list.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_replaced_file_serves_the_new_bytes_and_the_file_survives_a_restart_byte_for_byte()
    {
        var (seller, ticket) = await ListedAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await PutAsync(app.SignedIn(seller), ticket, Pdf("first"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await PutAsync(app.SignedIn(seller), ticket, Png, "image/png")).StatusCode);

        await app.RestartAsync();

        var get = await app.SignedIn(seller).GetAsync($"/api/tickets/{ticket}/file");
        var bytes = await get.Content.ReadAsByteArrayAsync();
        Assert.Equal(SHA256.HashData(Png), SHA256.HashData(bytes));
        Assert.Equal("image/png", get.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith($"ticket-{ticket}.png\"", get.Content.Headers.ContentDisposition?.ToString());
        Assert.Equal(SHA256.HashData(Png), await app.WithDbAsync(db => db.TicketFiles.Where(f => f.TicketId == ticket).Select(f => f.Sha256).SingleAsync()));
        Assert.Equal(2, (await app.ShowAsync(ticket)).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Only_the_buyer_of_a_sold_ticket_gets_it_and_it_is_in_their_purchases()
    {
        var (seller, ticket) = await ListedAsync();
        var file = Pdf();
        await PutAsync(app.SignedIn(seller), ticket, file);
        var buyer = Guid.CreateVersion7();
        var rival = Guid.CreateVersion7();

        var order = await ReserveAsync(ticket, buyer);
        // Reserved is not bought: the file stays with the seller until the sale.
        await HttpAssertions.AssertProblemAsync(await app.SignedIn(buyer).GetAsync($"/api/tickets/{ticket}/file"), HttpStatusCode.NotFound);
        Assert.Empty((await TicketsApp.Json(await app.SignedIn(buyer).GetAsync("/api/tickets/purchased"))).EnumerateArray());

        await SellAsync(ticket, buyer, order);
        var get = await app.SignedIn(buyer).GetAsync($"/api/tickets/{ticket}/file");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(file, await get.Content.ReadAsByteArrayAsync());
        await HttpAssertions.AssertProblemAsync(await app.SignedIn(rival).GetAsync($"/api/tickets/{ticket}/file"), HttpStatusCode.NotFound);
        await HttpAssertions.AssertProblemAsync(await app.Anonymous().GetAsync($"/api/tickets/{ticket}/file"), HttpStatusCode.Unauthorized);

        var purchased = (await TicketsApp.Json(await app.SignedIn(buyer).GetAsync("/api/tickets/purchased"))).EnumerateArray().ToList();
        var bought = Assert.Single(purchased);
        Assert.Equal(ticket.ToString(), bought.GetProperty("id").GetString());
        Assert.True(bought.GetProperty("hasFile").GetBoolean());
        Assert.Equal("sold", bought.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(bought.GetProperty("event").GetProperty("name").GetString()));
        Assert.Empty((await TicketsApp.Json(await app.SignedIn(rival).GetAsync("/api/tickets/purchased"))).EnumerateArray());
        await HttpAssertions.AssertProblemAsync(await app.Anonymous().GetAsync("/api/tickets/purchased"), HttpStatusCode.Unauthorized);

        // Sold with its file: the buyer may already have it, so it is never replaced.
        var replace = await PutAsync(app.SignedIn(seller), ticket, Pdf("other"));
        Assert.Equal(HttpStatusCode.BadRequest, replace.StatusCode);
        Assert.Equal("Cannot replace the file of a sold ticket", (await TicketsApp.Json(replace)).GetProperty("detail").GetString());
        Assert.Equal(file, await (await app.SignedIn(buyer).GetAsync($"/api/tickets/{ticket}/file")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task The_buyer_of_a_cancelled_order_gets_nothing_and_the_next_buyer_gets_it()
    {
        var (seller, ticket) = await ListedAsync();
        await PutAsync(app.SignedIn(seller), ticket, Pdf());
        var first = Guid.CreateVersion7();
        var order = await ReserveAsync(ticket, first);
        await app.Bus.PublishAsync(new OrderCancelled(order, 1, new TicketRef(ticket)) { Reason = CancelReasons.Expired });
        await Eventually.Until(() => app.ShowAsync(ticket), t => t.GetProperty("status").GetString() == "available");

        var second = Guid.CreateVersion7();
        await SellAsync(ticket, second);
        await HttpAssertions.AssertProblemAsync(await app.SignedIn(first).GetAsync($"/api/tickets/{ticket}/file"), HttpStatusCode.NotFound);
        Assert.Empty((await TicketsApp.Json(await app.SignedIn(first).GetAsync("/api/tickets/purchased"))).EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, (await app.SignedIn(second).GetAsync($"/api/tickets/{ticket}/file")).StatusCode);
    }

    [Fact]
    public async Task A_sold_ticket_without_a_file_receives_its_first_file_late_and_a_withdrawn_one_none()
    {
        var (seller, ticket) = await ListedAsync();
        var buyer = Guid.CreateVersion7();
        await SellAsync(ticket, buyer);
        var sold = await app.ShowAsync(ticket);
        Assert.False(sold.GetProperty("hasFile").GetBoolean());
        await HttpAssertions.AssertProblemAsync(await app.SignedIn(buyer).GetAsync($"/api/tickets/{ticket}/file"), HttpStatusCode.NotFound);

        var late = Pdf("late");
        Assert.Equal(HttpStatusCode.NoContent, (await PutAsync(app.SignedIn(seller), ticket, late)).StatusCode);
        Assert.Equal(late, await (await app.SignedIn(buyer).GetAsync($"/api/tickets/{ticket}/file")).Content.ReadAsByteArrayAsync());
        var updated = await app.Bus.WaitForAsync<TicketUpdated>(e => e.Id == ticket && e.HasFile);
        Assert.Equal((TicketStatuses.Sold, sold.GetProperty("version").GetInt32() + 1), (updated.Status, updated.Version));

        var (otherSeller, withdrawn) = await ListedAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await app.SignedIn(otherSeller).DeleteAsync($"/api/tickets/{withdrawn}")).StatusCode);
        var refused = await PutAsync(app.SignedIn(otherSeller), withdrawn, Pdf());
        Assert.Equal("Cannot attach a file to a withdrawn ticket", (await TicketsApp.Json(refused)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_ticket_withdrawn_while_its_buyer_paid_is_sold_to_the_buyer_named_by_the_completed_order()
    {
        var (seller, ticket) = await ListedAsync();
        await PutAsync(app.SignedIn(seller), ticket, Pdf());
        Assert.Equal(HttpStatusCode.NoContent, (await app.SignedIn(seller).DeleteAsync($"/api/tickets/{ticket}")).StatusCode);
        var buyer = Guid.CreateVersion7();

        // The order reached tickets after the withdrawal (so it reserved nothing); its payment completed it anyway.
        await app.Bus.PublishAsync(new OrderCompleted(Guid.CreateVersion7(), 1, new TicketRef(ticket)) { UserId = buyer });
        await Eventually.Until(() => app.ShowAsync(ticket), t => t.GetProperty("status").GetString() == "sold");
        Assert.Equal(HttpStatusCode.OK, (await app.SignedIn(buyer).GetAsync($"/api/tickets/{ticket}/file")).StatusCode);
    }
}
