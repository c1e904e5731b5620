using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace SwapSeats.Tickets.Tests;

/// <summary>SPEC §3 "Events": created once per natural key, listed upcoming with live counts, found by name, city and dates.</summary>
public sealed class EventsApiTests(TicketsApp app) : IClassFixture<TicketsApp>
{
    private static object Body(string name, string venue = "Wembley Stadium", string city = "London", DateTimeOffset? startsAt = null) =>
        new { name, venue, city, startsAt = startsAt ?? DateTimeOffset.UtcNow.AddDays(30).AddTicks(-(DateTimeOffset.UtcNow.Ticks % TimeSpan.TicksPerSecond)) };

    [Fact]
    public async Task Fifty_concurrent_creators_of_one_event_get_one_201_and_the_same_id()
    {
        var name = $"Coldplay {Guid.NewGuid():N}";
        var startsAt = new DateTimeOffset(2027, 6, 5, 19, 30, 0, TimeSpan.FromHours(1));
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            app.SignedIn(Guid.CreateVersion7()).PostAsJsonAsync("/api/events",
                i % 2 == 0 ? Body(name, startsAt: startsAt) : Body($"  {name.ToUpperInvariant()} ", "wembley stadium", " LONDON", startsAt.ToUniversalTime()))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{(int)r.StatusCode}"));
        var ids = await Task.WhenAll(responses.Select(async r => (await TicketsApp.Json(r)).GetProperty("id").GetString()));
        Assert.Single(ids.Distinct());
        Assert.Equal(1, await app.WithDbAsync(db => db.Events.CountAsync(e => e.NameKey == name.ToLowerInvariant())));
    }

    [Theory]
    [InlineData("", "v", "c", 30, "name")]
    [InlineData("n", " ", "c", 30, "venue")]
    [InlineData("n", "v", "", 30, "city")]
    [InlineData("n", "v", "c", -1, "startsAt")]
    [InlineData("n", "v", "c", 800, "startsAt")]
    public async Task Invalid_events_are_a_validation_problem(string name, string venue, string city, int inDays, string field)
    {
        var response = await app.SignedIn(Guid.CreateVersion7()).PostAsJsonAsync("/api/events", Body(name, venue, city, DateTimeOffset.UtcNow.AddDays(inDays)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TicketsApp.Json(response)).GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().PostAsJsonAsync("/api/events", Body("x"))).StatusCode);
    }

    [Theory]
    [InlineData("2027-06-05T19:30:00")]
    [InlineData("5 June 2027")]
    [InlineData("2027-06-05")]
    public async Task A_start_without_an_offset_is_refused_as_ambiguous(string startsAt)
    {
        var response = await app.SignedIn(Guid.CreateVersion7()).PostAsJsonAsync("/api/events", new { name = "n", venue = "v", city = "c", startsAt });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("offset", (await TicketsApp.Json(response)).GetProperty("errors").GetProperty("startsAt")[0].GetString());
    }

    [Fact]
    public async Task Upcoming_events_soonest_first_with_live_counts_filters_and_paging()
    {
        var tag = $"e{Guid.NewGuid():N}"[..12];
        var user = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        var later = await app.EventAsync(user, $"{tag} later", "Anfield", $"Liverpool {tag}", now.AddDays(20));
        var sooner = await app.EventAsync(user, $"{tag} sooner", "O2 Academy", $"Bristol {tag}", now.AddDays(10));
        var soonest = await app.EventAsync(user, $"{tag} soonest", $"{tag} Hall", $"Bristol {tag}", now.AddDays(5));
        var soonerId = Guid.Parse(sooner.GetProperty("id").GetString()!);
        await app.ListAsync(user, "Seat 1", 30m, soonerId);
        await app.ListAsync(user, "Seat 2", 20m, soonerId);

        var page1 = await app.Anonymous().GetAsync($"/api/events?q={tag}&limit=2");
        var first = await TicketsApp.Json(page1);
        Assert.Equal([Id(soonest), Id(sooner)], first.EnumerateArray().Select(Id));
        Assert.Equal((2, 20m), (first[1].GetProperty("listings").GetInt32(), first[1].GetProperty("minPrice").GetDecimal()));
        Assert.Equal((0, JsonValueKind.Null), (first[0].GetProperty("listings").GetInt32(), first[0].GetProperty("minPrice").ValueKind));
        var link = Assert.Single(page1.Headers.GetValues("Link"));
        var page2 = await TicketsApp.Json(await app.Anonymous().GetAsync(link[1..link.IndexOf('>')]));
        Assert.Equal([Id(later)], page2.EnumerateArray().Select(Id));

        var bristol = await TicketsApp.Json(await app.Anonymous().GetAsync($"/api/events?city=bristol%20{tag}"));
        Assert.Equal([Id(soonest), Id(sooner)], bristol.EnumerateArray().Select(Id));
        var byVenue = await TicketsApp.Json(await app.Anonymous().GetAsync($"/api/events?q={tag}%20hall"));
        Assert.Equal([Id(soonest)], byVenue.EnumerateArray().Select(Id));
        var window = await TicketsApp.Json(await app.Anonymous().GetAsync(
            $"/api/events?q={tag}&from={Uri.EscapeDataString(now.AddDays(9).ToString("O"))}&to={Uri.EscapeDataString(now.AddDays(11).ToString("O"))}"));
        Assert.Equal([Id(sooner)], window.EnumerateArray().Select(Id));
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Anonymous().GetAsync("/api/events?cursor=nonsense")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Anonymous().GetAsync("/api/events?limit=0")).StatusCode);
    }

    [Fact]
    public async Task An_event_is_shown_by_id_and_unknown_or_malformed_ids_are_404()
    {
        var @event = await app.EventAsync(Guid.CreateVersion7());

        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync($"/api/events/{Id(@event)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Anonymous().GetAsync($"/api/events/{Guid.CreateVersion7()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Anonymous().GetAsync("/api/events/nope")).StatusCode);
    }

    [Fact]
    public async Task Listing_needs_a_known_event_and_withdrawing_follows_the_rules()
    {
        var seller = Guid.CreateVersion7();
        var unknown = await app.SignedIn(seller).PostAsJsonAsync("/api/tickets", new { eventId = Guid.CreateVersion7(), title = "x", price = 1m, faceValue = 1m });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var ticket = await app.ListAsync(seller);
        var id = Id(ticket);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.SignedIn(Guid.CreateVersion7()).DeleteAsync($"/api/tickets/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.SignedIn(seller).DeleteAsync($"/api/tickets/{Guid.CreateVersion7()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.SignedIn(seller).DeleteAsync($"/api/tickets/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.SignedIn(seller).DeleteAsync($"/api/tickets/{id}")).StatusCode);
        var shown = await app.ShowAsync(Guid.Parse(id));
        Assert.Equal(("withdrawn", 1), (shown.GetProperty("status").GetString(), shown.GetProperty("version").GetInt32()));
        var edit = await app.SignedIn(seller).PutAsJsonAsync($"/api/tickets/{id}", new { title = "x", price = 1m, faceValue = 1m });
        Assert.Equal("Cannot edit a withdrawn ticket", (await TicketsApp.Json(edit)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Once_an_event_has_started_its_seats_leave_the_list_and_no_new_one_can_be_listed_or_edited()
    {
        var seller = Guid.CreateVersion7();
        var tag = $"s{Guid.NewGuid():N}"[..12];
        var @event = await app.EventAsync(seller, $"{tag} show");
        var eventId = Guid.Parse(Id(@event));
        var ticket = await app.ListAsync(seller, $"{tag} seat", 10m, eventId);
        Assert.Single((await TicketsApp.Json(await app.Anonymous().GetAsync($"/api/tickets?q={tag}"))).EnumerateArray());

        // The doors open (moved in the database: the API only accepts events in the future).
        await app.WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE events SET starts_at = now() - interval '1 minute' WHERE id = {eventId}"));

        Assert.Empty((await TicketsApp.Json(await app.Anonymous().GetAsync($"/api/tickets?q={tag}"))).EnumerateArray());
        var shown = await TicketsApp.Json(await app.Anonymous().GetAsync($"/api/events/{eventId}"));
        Assert.Equal(0, shown.GetProperty("listings").GetInt32());
        Assert.DoesNotContain((await TicketsApp.Json(await app.Anonymous().GetAsync($"/api/events?q={tag}"))).EnumerateArray(), e => Id(e) == eventId.ToString());
        var listing = await app.SignedIn(seller).PostAsJsonAsync("/api/tickets", new { eventId, title = "late", price = 5m, faceValue = 5m });
        Assert.Equal(HttpStatusCode.BadRequest, listing.StatusCode);
        Assert.Equal("Event has already started", (await TicketsApp.Json(listing)).GetProperty("detail").GetString());
        var edit = await app.SignedIn(seller).PutAsJsonAsync($"/api/tickets/{Id(ticket)}", new { title = "x", price = 5m, faceValue = 5m });
        Assert.Equal("Event has already started", (await TicketsApp.Json(edit)).GetProperty("detail").GetString());
    }

    private static string Id(JsonElement element) => element.GetProperty("id").GetString()!;
}
