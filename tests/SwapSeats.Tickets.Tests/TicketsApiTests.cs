using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SwapSeats.Contracts;

namespace SwapSeats.Tickets.Tests;

public sealed class TicketsApiTests(TicketsApp app) : IClassFixture<TicketsApp>
{
    private static string Marker() => $"m{Guid.NewGuid():N}"[..12];

    [Fact]
    public async Task A_seller_lists_a_ticket_and_the_created_event_carries_version_0()
    {
        var seller = Guid.CreateVersion7();
        var @event = await app.EventAsync(seller, "Taylor Swift, The Eras Tour", "Wembley Stadium", "London");
        var eventId = @event.GetProperty("id").GetString();

        var response = await app.SignedIn(seller).PostAsJsonAsync("/api/tickets",
            new { eventId, title = "  Block 112, row 12  ", price = 149.99m, faceValue = 159.5m });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ticket = await TicketsApp.Json(response);
        var id = Guid.Parse(ticket.GetProperty("id").GetString()!);
        Assert.Equal(7, id.Version);
        Assert.Equal($"/api/tickets/{id}", response.Headers.Location?.ToString());
        Assert.Equal("Block 112, row 12", ticket.GetProperty("title").GetString());
        Assert.Equal(149.99m, ticket.GetProperty("price").GetDecimal());
        Assert.Equal(159.5m, ticket.GetProperty("faceValue").GetDecimal());
        Assert.Equal(eventId, ticket.GetProperty("eventId").GetString());
        Assert.Equal(("Taylor Swift, The Eras Tour", "Wembley Stadium", "London"), (ticket.GetProperty("event").GetProperty("name").GetString(),
            ticket.GetProperty("event").GetProperty("venue").GetString(), ticket.GetProperty("event").GetProperty("city").GetString()));
        Assert.False(ticket.GetProperty("hasFile").GetBoolean());
        Assert.Equal(seller.ToString(), ticket.GetProperty("userId").GetString());
        Assert.Equal(JsonValueKind.Null, ticket.GetProperty("orderId").ValueKind);
        Assert.Equal("available", ticket.GetProperty("status").GetString());
        Assert.Equal(0, ticket.GetProperty("version").GetInt32());

        var created = await app.Bus.WaitForAsync<TicketCreated>(e => e.Id == id);
        Assert.Equal(("Block 112, row 12", 149.99m, seller, 0), (created.Title, created.Price, created.UserId, created.Version));
        Assert.Equal((159.5m, Guid.Parse(eventId!), "Wembley Stadium"), (created.FaceValue, created.Event!.Id, created.Event.Venue));
    }

    [Fact]
    public async Task Listing_needs_a_session_before_anything_else()
    {
        var response = await app.Anonymous().PostAsync("/api/tickets", new StringContent("{garbage", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("", "10", "title")]
    [InlineData("   ", "10", "title")]
    [InlineData(null, "10", "title")]
    [InlineData("ok", "0", "price")]
    [InlineData("ok", "-5", "price")]
    [InlineData("ok", "1000000.01", "price")]
    [InlineData("ok", "10.999", "price")]
    [InlineData("ok", null, "price")]
    public async Task Invalid_listings_are_a_validation_problem(string? title, string? price, string field)
    {
        var seller = Guid.CreateVersion7();
        var eventId = (await app.EventAsync(seller)).GetProperty("id").GetString();
        var response = await app.SignedIn(seller).PostAsJsonAsync("/api/tickets",
            new { eventId, title, price = price is null ? (decimal?)null : decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture), faceValue = 2_000_000m });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TicketsApp.Json(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Limits_hold_at_their_edges()
    {
        var sellerId = Guid.CreateVersion7();
        var seller = app.SignedIn(sellerId);
        var eventId = (await app.EventAsync(sellerId)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Created, (await seller.PostAsJsonAsync("/api/tickets", new { eventId, title = new string('t', 120), price = 1000000m, faceValue = 1000000m })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await seller.PostAsJsonAsync("/api/tickets", new { eventId, title = "t", price = 0.01m, faceValue = 0.01m })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await seller.PostAsJsonAsync("/api/tickets", new { eventId, title = new string('t', 121), price = 1m, faceValue = 1m })).StatusCode);
        // The cap at its boundary: price == face value × 1.0 is fine, a cent more is not.
        Assert.Equal(HttpStatusCode.Created, (await seller.PostAsJsonAsync("/api/tickets", new { eventId, title = "at face", price = 80m, faceValue = 80m })).StatusCode);
        var above = await seller.PostAsJsonAsync("/api/tickets", new { eventId, title = "above face", price = 80.01m, faceValue = 80m });
        Assert.Equal(HttpStatusCode.BadRequest, above.StatusCode);
        Assert.Equal("Price cannot exceed the face value", (await TicketsApp.Json(above)).GetProperty("errors").GetProperty("price")[0].GetString());
    }

    [Theory]
    [InlineData("{\"title\": \"x\", \"price\": \"ten\"}", "application/json", 400)]
    [InlineData("{\"title\": 5, \"price\": 10}", "application/json", 400)]
    [InlineData("[1,2]", "application/json", 400)]
    [InlineData("title=x&price=10", "application/x-www-form-urlencoded", 415)]
    public async Task Malformed_bodies_are_a_problem(string body, string contentType, int status)
    {
        var response = await app.SignedIn(Guid.CreateVersion7()).PostAsync("/api/tickets", new StringContent(body, Encoding.UTF8, contentType));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Showing_a_ticket_is_public_and_unknown_or_malformed_ids_are_404()
    {
        var ticket = await app.ListAsync(Guid.CreateVersion7());
        var id = ticket.GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync($"/api/tickets/{id}")).StatusCode);
        var unknown = await app.Anonymous().GetAsync($"/api/tickets/{Guid.CreateVersion7()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Anonymous().GetAsync("/api/tickets/not-a-uuid")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Anonymous().GetAsync("/api/tickets/' OR 1=1 --")).StatusCode);
    }

    [Fact]
    public async Task The_public_list_shows_available_tickets_newest_first_with_search_and_price_bounds()
    {
        var marker = Marker();
        var seller = Guid.CreateVersion7();
        var cheap = await app.ListAsync(seller, $"{marker} Cheap seats", 10m);
        var middle = await app.ListAsync(seller, $"{marker} MIDDLE seats", 20m);
        var dear = await app.ListAsync(seller, $"{marker} front row", 30m);

        var all = await ListIds($"?q={marker.ToUpperInvariant()}");
        Assert.Equal([Id(dear), Id(middle), Id(cheap)], all);

        Assert.Equal([Id(middle)], await ListIds($"?q={marker}%20middle"));
        Assert.Equal([Id(middle), Id(cheap)], await ListIds($"?q={marker}&minPrice=10&maxPrice=20"));
        Assert.Equal([Id(dear)], await ListIds($"?q={marker}&minPrice=30"));
        Assert.Empty(await ListIds($"?q={marker}&maxPrice=9.99"));
    }

    [Fact]
    public async Task Search_matches_percent_and_underscore_literally()
    {
        var marker = Marker();
        var literal = await app.ListAsync(Guid.CreateVersion7(), $"{marker} 100%_real");
        await app.ListAsync(Guid.CreateVersion7(), $"{marker} 100 and real");

        Assert.Equal([Id(literal)], await ListIds($"?q={Uri.EscapeDataString($"{marker} 100%_")}"));
        Assert.Empty(await ListIds($"?q={Uri.EscapeDataString($"{marker} 1_0")}"));
    }

    [Fact]
    public async Task The_list_pages_with_a_relative_next_link_until_the_end()
    {
        var marker = Marker();
        var listed = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            listed.Add(Id(await app.ListAsync(Guid.CreateVersion7(), $"{marker} #{i}")));
        }

        listed.Reverse();
        var seen = new List<string>();
        var url = $"/api/tickets?q={marker}&limit=2";
        var pages = 0;
        while (url is not null)
        {
            var response = await app.Anonymous().GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.AddRange((await TicketsApp.Json(response)).EnumerateArray().Select(t => t.GetProperty("id").GetString()!));
            pages++;
            url = response.Headers.TryGetValues("Link", out var links) ? NextLink(links.Single()) : null;
            if (url is not null)
            {
                Assert.StartsWith("/api/tickets?", url);
            }
        }

        Assert.Equal(3, pages);
        Assert.Equal(listed, seen);
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=201", "limit")]
    [InlineData("?limit=abc", "limit")]
    [InlineData("?cursor=garbage", "cursor")]
    [InlineData("?minPrice=-1", "minPrice")]
    [InlineData("?maxPrice=lots", "maxPrice")]
    [InlineData("?minPrice=20&maxPrice=10", "minPrice")]
    public async Task Bad_list_parameters_are_a_validation_problem(string query, string field)
    {
        var response = await app.Anonymous().GetAsync("/api/tickets" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TicketsApp.Json(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Mine_lists_only_the_callers_tickets_in_every_status()
    {
        var seller = Guid.CreateVersion7();
        var first = await app.ListAsync(seller, "mine 1");
        var second = await app.ListAsync(seller, "mine 2");
        await app.ListAsync(Guid.CreateVersion7(), "someone else's");
        await app.Bus.PublishAsync(new OrderCreated(Guid.CreateVersion7(), Guid.CreateVersion7(), OrderStatuses.Created,
            DateTimeOffset.UtcNow.AddMinutes(15), 0, new OrderTicket(Guid.Parse(Id(first)), 25m)));
        await SwapSeats.Testing.Eventually.Until(() => app.ShowAsync(Guid.Parse(Id(first))), t => t.GetProperty("status").GetString() == "reserved");

        var mine = await TicketsApp.Json(await app.SignedIn(seller).GetAsync("/api/tickets/mine"));

        Assert.Equal([Id(second), Id(first)], mine.EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Equal(["available", "reserved"], mine.EnumerateArray().Select(t => t.GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync("/api/tickets/mine")).StatusCode);
    }

    [Fact]
    public async Task The_seller_edits_a_ticket_and_the_version_grows_on_the_wire()
    {
        var seller = Guid.CreateVersion7();
        var id = Id(await app.ListAsync(seller));

        var response = await app.SignedIn(seller).PutAsJsonAsync($"/api/tickets/{id}", new { title = "Better seats", price = 30.5m, faceValue = 30.5m });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ticket = await TicketsApp.Json(response);
        Assert.Equal(("Better seats", 30.5m, 1), (ticket.GetProperty("title").GetString(), ticket.GetProperty("price").GetDecimal(), ticket.GetProperty("version").GetInt32()));
        var updated = await app.Bus.WaitForAsync<TicketUpdated>(e => e.Id == Guid.Parse(id));
        Assert.Equal(("Better seats", 30.5m, 1, "available"), (updated.Title, updated.Price, updated.Version, updated.Status));
    }

    [Fact]
    public async Task Editing_checks_session_then_input_then_existence_then_ownership()
    {
        var seller = Guid.CreateVersion7();
        var id = Id(await app.ListAsync(seller));
        var valid = new { title = "x", price = 1m, faceValue = 1m };
        var invalid = new { title = "", price = 1m, faceValue = 1m };

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().PutAsJsonAsync($"/api/tickets/{id}", invalid)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.SignedIn(Guid.CreateVersion7()).PutAsJsonAsync($"/api/tickets/{Guid.CreateVersion7()}", invalid)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.SignedIn(seller).PutAsJsonAsync($"/api/tickets/{Guid.CreateVersion7()}", valid)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.SignedIn(seller).PutAsJsonAsync("/api/tickets/nope", valid)).StatusCode);
        var forbidden = await app.SignedIn(Guid.CreateVersion7()).PutAsJsonAsync($"/api/tickets/{id}", valid);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, (await app.ShowAsync(Guid.Parse(id))).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Concurrent_edits_never_silently_overwrite_each_other()
    {
        var seller = Guid.CreateVersion7();
        var id = Guid.Parse(Id(await app.ListAsync(seller)));

        // Two writers read version 0, then both write: the second must fail, not overwrite.
        await app.WithDbAsync(async first =>
        {
            var mine = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
                Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.Include(first.Tickets, t => t.Event), t => t.Id == id);
            await app.WithDbAsync(async second =>
            {
                var theirs = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
                    Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.Include(second.Tickets, t => t.Event), t => t.Id == id);
                theirs.Edit("theirs", 2m, 2m, DateTimeOffset.UtcNow);
                return await second.SaveChangesAsync();
            });
            mine.Edit("mine", 3m, 3m, DateTimeOffset.UtcNow);
            await Assert.ThrowsAsync<Microsoft.EntityFrameworkCore.DbUpdateConcurrencyException>(() => first.SaveChangesAsync());
            return 0;
        });

        var ticket = await app.ShowAsync(id);
        Assert.Equal(("theirs", 1), (ticket.GetProperty("title").GetString(), ticket.GetProperty("version").GetInt32()));
    }

    private async Task<List<string>> ListIds(string query)
    {
        var response = await app.Anonymous().GetAsync("/api/tickets" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await TicketsApp.Json(response)).EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToList();
    }

    private static string Id(JsonElement ticket) => ticket.GetProperty("id").GetString()!;

    private static string NextLink(string header) => header[(header.IndexOf('<') + 1)..header.IndexOf('>')];
}
