using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Testing;
using static SwapSeats.Testing.HttpAssertions;

namespace SwapSeats.Orders.Tests;

public sealed class OrdersApiTests(OrdersApp app) : IClassFixture<OrdersApp>
{
    private static Guid Id(JsonElement json) => Guid.Parse(json.GetProperty("id").GetString()!);

    [Fact]
    public async Task Every_route_needs_a_session()
    {
        var anonymous = app.Anonymous();
        var id = Guid.CreateVersion7();

        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/api/orders", new { ticketId = id }), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await anonymous.GetAsync("/api/orders"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await anonymous.GetAsync($"/api/orders/{id}"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await anonymous.DeleteAsync($"/api/orders/{id}"), HttpStatusCode.Unauthorized);
        // Before the body is looked at: a malformed body from an anonymous caller is still a 401, not a 400.
        await AssertProblemAsync(await anonymous.PostAsync("/api/orders", new StringContent("{", Encoding.UTF8, "application/json")),
            HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Buying_your_own_ticket_is_refused_before_whether_it_is_reserved()
    {
        var seller = Guid.CreateVersion7();
        var ticket = await app.ListedAsync(seller);
        await app.OrderedAsync(Guid.CreateVersion7(), ticket.Id);

        await AssertProblemAsync(await app.OrderAsync(seller, ticket.Id), HttpStatusCode.BadRequest, "You cannot buy your own ticket");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"ticketId\": \"\"}")]
    [InlineData("{\"ticketId\": \"not-a-uuid\"}")]
    [InlineData("{\"ticketId\": null}")]
    public async Task An_order_without_a_valid_ticket_id_is_a_validation_problem(string body)
    {
        var response = await app.SignedIn(Guid.CreateVersion7())
            .PostAsync("/api/orders", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True((await OrdersApp.Json(response)).GetProperty("errors").TryGetProperty("ticketId", out _));
    }

    [Theory]
    [InlineData("{\"ticketId\": ", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("{\"ticketId\": 42}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("ticketId=1", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType)]
    public async Task A_malformed_body_is_a_problem_not_an_error(string body, string contentType, HttpStatusCode status)
    {
        var response = await app.SignedIn(Guid.CreateVersion7()).PostAsync("/api/orders", new StringContent(body, Encoding.UTF8, contentType));

        await AssertProblemAsync(response, status);
    }

    [Fact]
    public async Task Ordering_an_unknown_ticket_is_not_found()
    {
        var response = await app.OrderAsync(Guid.CreateVersion7(), Guid.CreateVersion7());

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "Ticket not found");
    }

    [Fact]
    public async Task Buying_your_own_ticket_is_refused()
    {
        var seller = Guid.CreateVersion7();
        var ticket = await app.ListedAsync(seller);

        await AssertProblemAsync(await app.OrderAsync(seller, ticket.Id), HttpStatusCode.BadRequest, "You cannot buy your own ticket");
    }

    [Fact]
    public async Task An_order_holds_the_ticket_for_the_reservation_window_and_is_announced()
    {
        var ticket = await app.ListedAsync(title: "Opera, box 4", price: 180.5m);
        var buyer = Guid.CreateVersion7();
        var now = app.Clock.GetUtcNow();

        var response = await app.OrderAsync(buyer, ticket.Id);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var order = await OrdersApp.Json(response);
        Assert.Equal($"/api/orders/{Id(order)}", response.Headers.Location?.OriginalString);
        Assert.Equal((buyer.ToString(), "created", 0), (order.GetProperty("userId").GetString(), order.GetProperty("status").GetString(), order.GetProperty("version").GetInt32()));
        Assert.Equal(now.AddMinutes(15), order.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(now, order.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(order.GetRawText(), (await app.ShowAsync(buyer, Id(order))).GetRawText());
        var shownTicket = order.GetProperty("ticket");
        Assert.Equal((ticket.Id.ToString(), "Opera, box 4", 180.5m),
            (shownTicket.GetProperty("id").GetString(), shownTicket.GetProperty("title").GetString(), shownTicket.GetProperty("price").GetDecimal()));

        var created = await app.Bus.WaitForAsync<OrderCreated>(e => e.Id == Id(order));
        Assert.Equal((buyer, OrderStatuses.Created, 0, ticket.Id, 180.5m, now.AddMinutes(15)),
            (created.UserId, created.Status, created.Version, created.Ticket.Id, created.Ticket.Price, created.ExpiresAt));
    }

    [Fact]
    public async Task Ordering_a_reserved_ticket_is_rejected()
    {
        var ticket = await app.ListedAsync();
        await app.OrderedAsync(Guid.CreateVersion7(), ticket.Id);

        var second = await app.OrderAsync(Guid.CreateVersion7(), ticket.Id);

        await AssertProblemAsync(second, HttpStatusCode.BadRequest, "Ticket is already reserved");
    }

    [Fact]
    public async Task Of_a_hundred_concurrent_orders_for_one_ticket_exactly_one_wins()
    {
        var ticket = await app.ListedAsync();
        var buyers = Enumerable.Range(0, 100).Select(_ => app.SignedIn(Guid.CreateVersion7())).ToList();

        var responses = await Task.WhenAll(buyers.Select(buyer => buyer.PostAsJsonAsync("/api/orders", new { ticketId = ticket.Id })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        var refusals = responses.Where(r => r.StatusCode != HttpStatusCode.Created).ToList();
        Assert.Equal(99, refusals.Count);
        foreach (var refusal in refusals)
        {
            await AssertProblemAsync(refusal, HttpStatusCode.BadRequest, "Ticket is already reserved");
        }

        Assert.Equal(1, await app.WithDbAsync(db => db.Orders.CountAsync(o => o.TicketId == ticket.Id)));
    }

    [Fact]
    public async Task A_cancelled_order_frees_the_ticket_for_the_next_buyer()
    {
        var ticket = await app.ListedAsync();
        var first = Guid.CreateVersion7();
        var order = await app.OrderedAsync(first, ticket.Id);

        var cancel = await app.SignedIn(first).DeleteAsync($"/api/orders/{Id(order)}");

        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        var cancelled = await app.ShowAsync(first, Id(order));
        Assert.Equal(("cancelled", 1), (cancelled.GetProperty("status").GetString(), cancelled.GetProperty("version").GetInt32()));
        var announced = await app.Bus.WaitForAsync<OrderCancelled>(e => e.Id == Id(order));
        Assert.Equal((1, ticket.Id), (announced.Version, announced.Ticket.Id));
        await app.OrderedAsync(Guid.CreateVersion7(), ticket.Id);
    }

    [Fact]
    public async Task Cancelling_twice_is_a_quiet_no_op()
    {
        var ticket = await app.ListedAsync();
        var buyer = Guid.CreateVersion7();
        var order = Id(await app.OrderedAsync(buyer, ticket.Id));

        Assert.Equal(HttpStatusCode.NoContent, (await app.SignedIn(buyer).DeleteAsync($"/api/orders/{order}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.SignedIn(buyer).DeleteAsync($"/api/orders/{order}")).StatusCode);

        Assert.Equal(1, (await app.ShowAsync(buyer, order)).GetProperty("version").GetInt32());
        await app.OutboxDrainedAsync();
        Assert.Single(await app.Bus.PublishedAsync<OrderCancelled>(e => e.Id == order));
    }

    [Fact]
    public async Task A_completed_order_cannot_be_cancelled_and_its_ticket_stays_taken()
    {
        var ticket = await app.ListedAsync();
        var buyer = Guid.CreateVersion7();
        var order = Id(await app.OrderedAsync(buyer, ticket.Id));
        await app.Bus.PublishAsync(new PaymentCreated(Guid.CreateVersion7(), order, 2500, "usd"));
        await Eventually.Until(() => app.ShowAsync(buyer, order), o => o.GetProperty("status").GetString() == "complete");

        await AssertProblemAsync(await app.SignedIn(buyer).DeleteAsync($"/api/orders/{order}"), HttpStatusCode.BadRequest,
            "Cannot cancel a completed order");
        await AssertProblemAsync(await app.OrderAsync(Guid.CreateVersion7(), ticket.Id), HttpStatusCode.BadRequest,
            "Ticket is already reserved");
    }

    [Fact]
    public async Task An_expired_order_gives_way_to_the_next_buyer_before_its_timer_fires()
    {
        var ticket = await app.ListedAsync();
        var first = Guid.CreateVersion7();
        var stale = Id(await app.OrderedAsync(first, ticket.Id));
        app.Clock.Advance(TimeSpan.FromMinutes(14));
        await AssertProblemAsync(await app.OrderAsync(Guid.CreateVersion7(), ticket.Id), HttpStatusCode.BadRequest, "Ticket is already reserved");

        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var next = await app.OrderAsync(Guid.CreateVersion7(), ticket.Id);

        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        var old = await app.ShowAsync(first, stale);
        Assert.Equal(("cancelled", 1), (old.GetProperty("status").GetString(), old.GetProperty("version").GetInt32()));
        Assert.Equal(1, (await app.Bus.WaitForAsync<OrderCancelled>(e => e.Id == stale)).Version);

        // The timer's late event finds nothing left to do; the next order's own expiry, published after it, marks when it has been seen.
        await app.Bus.PublishAsync(new ExpirationComplete(stale));
        await app.Bus.PublishAsync(new ExpirationComplete(Id(await OrdersApp.Json(next))));
        await Eventually.Until(() => app.Bus.PublishedAsync<OrderCancelled>(e => e.Ticket.Id == ticket.Id), e => e.Count == 2);
        Assert.Single(await app.Bus.PublishedAsync<OrderCancelled>(e => e.Id == stale));
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_returns_the_first_order()
    {
        var ticket = await app.ListedAsync();
        var buyer = Guid.CreateVersion7();
        var key = Guid.NewGuid().ToString();

        var first = await app.OrderAsync(buyer, ticket.Id, key);
        var retry = await app.OrderAsync(buyer, ticket.Id, key);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (first.StatusCode, retry.StatusCode));
        Assert.Equal((await OrdersApp.Json(first)).GetRawText(), (await OrdersApp.Json(retry)).GetRawText());
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(1, await app.WithDbAsync(db => db.Orders.CountAsync(o => o.TicketId == ticket.Id)));
    }

    [Fact]
    public async Task Concurrent_retries_with_one_idempotency_key_all_get_the_same_order()
    {
        var ticket = await app.ListedAsync();
        var buyer = Guid.CreateVersion7();
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => app.OrderAsync(buyer, ticket.Id, key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => Id(await OrdersApp.Json(r))));
        Assert.Single(ids.Distinct());
        await app.OutboxDrainedAsync();
        Assert.Single(await app.Bus.PublishedAsync<OrderCreated>(e => e.Ticket.Id == ticket.Id));
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_another_ticket_is_refused()
    {
        var buyer = Guid.CreateVersion7();
        var key = Guid.NewGuid().ToString();
        var first = await app.ListedAsync();
        var other = await app.ListedAsync();
        await app.OrderedAsync(buyer, first.Id);
        Assert.Equal(HttpStatusCode.Created, (await app.OrderAsync(buyer, other.Id, key)).StatusCode);

        var reused = await app.OrderAsync(buyer, first.Id, key);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
        Assert.Contains("Idempotency-Key", (await OrdersApp.Json(reused)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Idempotency_keys_belong_to_their_user()
    {
        var key = Guid.NewGuid().ToString();
        var mine = await app.ListedAsync();
        var theirs = await app.ListedAsync();

        Assert.Equal(HttpStatusCode.Created, (await app.OrderAsync(Guid.CreateVersion7(), mine.Id, key)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await app.OrderAsync(Guid.CreateVersion7(), theirs.Id, key)).StatusCode);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\tinside")]
    public async Task A_malformed_idempotency_key_is_a_validation_problem(string key)
    {
        var ticket = await app.ListedAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(new { ticketId = ticket.Id }) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        var response = await app.SignedIn(Guid.CreateVersion7()).SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True((await OrdersApp.Json(response)).GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
    }

    [Fact]
    public async Task A_too_long_idempotency_key_is_a_validation_problem()
    {
        var ticket = await app.ListedAsync();

        var response = await app.OrderAsync(Guid.CreateVersion7(), ticket.Id, new string('k', 256));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_buyer_lists_their_own_orders_newest_first()
    {
        var buyer = Guid.CreateVersion7();
        var older = Id(await app.OrderedAsync(buyer, (await app.ListedAsync()).Id));
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        var newer = Id(await app.OrderedAsync(buyer, (await app.ListedAsync()).Id));
        await app.OrderedAsync(Guid.CreateVersion7(), (await app.ListedAsync()).Id);

        var list = await OrdersApp.Json(await app.SignedIn(buyer).GetAsync("/api/orders"));

        Assert.Equal([newer, older], list.EnumerateArray().Select(Id));
        Assert.Equal("Concert", list[0].GetProperty("ticket").GetProperty("title").GetString());
    }

    [Fact]
    public async Task Someone_elses_order_does_not_exist_for_you()
    {
        var buyer = Guid.CreateVersion7();
        var order = Id(await app.OrderedAsync(buyer, (await app.ListedAsync()).Id));
        var stranger = app.SignedIn(Guid.CreateVersion7());

        Assert.Equal(HttpStatusCode.OK, (await app.SignedIn(buyer).GetAsync($"/api/orders/{order}")).StatusCode);
        await AssertProblemAsync(await stranger.GetAsync($"/api/orders/{order}"), HttpStatusCode.NotFound, "Order not found");
        await AssertProblemAsync(await stranger.DeleteAsync($"/api/orders/{order}"), HttpStatusCode.NotFound, "Order not found");
        Assert.Equal("created", (await app.ShowAsync(buyer, order)).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("01a214d1-d92b-7b5e-b84e-25a5fecdad51")]
    public async Task An_unknown_or_malformed_order_id_is_not_found(string id)
    {
        var buyer = app.SignedIn(Guid.CreateVersion7());

        await AssertProblemAsync(await buyer.GetAsync($"/api/orders/{id}"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await buyer.DeleteAsync($"/api/orders/{id}"), HttpStatusCode.NotFound);
    }
}
