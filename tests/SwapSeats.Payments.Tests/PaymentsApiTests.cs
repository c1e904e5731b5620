using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Testing;
using static SwapSeats.Testing.HttpAssertions;

namespace SwapSeats.Payments.Tests;

public sealed class PaymentsApiTests(PaymentsApp app) : IClassFixture<PaymentsApp>
{
    [Fact]
    public async Task Paying_and_listing_need_a_session()
    {
        await AssertProblemAsync(await app.Anonymous().PostAsJsonAsync("/api/payments", new { orderId = Guid.CreateVersion7(), token = "tok_visa" }),
            HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await app.Anonymous().GetAsync("/api/payments"), HttpStatusCode.Unauthorized);
        // Before the body is looked at: a malformed body from an anonymous caller is still a 401, not a 400.
        await AssertProblemAsync(await app.Anonymous().PostAsync("/api/payments", new StringContent("{", Encoding.UTF8, "application/json")),
            HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_payment_list_shows_only_the_callers_payments()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);
        Assert.Equal(HttpStatusCode.Created, (await app.PayAsync(buyer, order.Id, "tok_visa")).StatusCode);

        var someoneElse = await PaymentsApp.Json(await app.SignedIn(Guid.CreateVersion7()).GetAsync("/api/payments"));

        Assert.Empty(someoneElse.EnumerateArray());
    }

    [Fact]
    public async Task A_payments_location_answers_get_for_its_payer_and_404_for_anyone_else()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, price: 12m);
        var paid = await app.PayAsync(buyer, order.Id, "tok_visa");
        var location = paid.Headers.Location!.ToString();

        var shown = await app.SignedIn(buyer).GetAsync(location);

        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        var payment = await PaymentsApp.Json(shown);
        Assert.Equal((order.Id.ToString(), 1200L, "succeeded"),
            (payment.GetProperty("orderId").GetString(), payment.GetProperty("amount").GetInt64(), payment.GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await app.SignedIn(Guid.CreateVersion7()).GetAsync(location)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.SignedIn(buyer).GetAsync($"/api/payments/{Guid.CreateVersion7()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync(location)).StatusCode);
    }

    [Fact]
    public async Task An_expired_order_is_refused_before_the_token_is_looked_at()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, window: TimeSpan.FromMinutes(1));
        app.Clock.Advance(TimeSpan.FromMinutes(1));

        // SPEC order: 404 → cancelled → already paid → expired → invalid token → charge.
        await AssertProblemAsync(await app.PayAsync(buyer, order.Id, "tok_bogus"), HttpStatusCode.BadRequest, "Order has expired");
    }

    [Theory]
    [InlineData("{\"token\": \"tok_visa\"}", "orderId")]
    [InlineData("{\"orderId\": \"nope\", \"token\": \"tok_visa\"}", "orderId")]
    [InlineData("{\"orderId\": \"01a214d1-d92b-7b5e-b84e-25a5fecdad51\"}", "token")]
    [InlineData("{\"orderId\": \"01a214d1-d92b-7b5e-b84e-25a5fecdad51\", \"token\": \"  \"}", "token")]
    public async Task A_payment_without_an_order_id_or_token_is_a_validation_problem(string body, string field)
    {
        var response = await app.SignedIn(Guid.CreateVersion7()).PostAsync("/api/payments", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True((await PaymentsApp.Json(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Paying_an_unknown_or_someone_elses_order_is_not_found()
    {
        var order = await app.OrderedAsync(Guid.CreateVersion7());

        await AssertProblemAsync(await app.PayAsync(Guid.CreateVersion7(), Guid.CreateVersion7(), "tok_visa"), HttpStatusCode.NotFound, "Order not found");
        await AssertProblemAsync(await app.PayAsync(Guid.CreateVersion7(), order.Id, "tok_visa"), HttpStatusCode.NotFound, "Order not found");
    }

    [Theory]
    [InlineData("tok_visa")]
    [InlineData("tok_mastercard")]
    [InlineData("tok_amex")]
    public async Task A_good_card_pays_the_price_in_cents_and_is_announced(string token)
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, price: 19.99m);

        var response = await app.PayAsync(buyer, order.Id, token);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var payment = await PaymentsApp.Json(response);
        Assert.Equal((order.Id.ToString(), 1999L, "usd", "succeeded"),
            (payment.GetProperty("orderId").GetString(), payment.GetProperty("amount").GetInt64(),
                payment.GetProperty("currency").GetString(), payment.GetProperty("status").GetString()));
        var created = await app.Bus.WaitForAsync<PaymentCreated>(e => e.OrderId == order.Id);
        Assert.Equal((Guid.Parse(payment.GetProperty("id").GetString()!), 1999L, "usd"), (created.Id, created.Amount, created.Currency));

        var mine = await PaymentsApp.Json(await app.SignedIn(buyer).GetAsync("/api/payments"));
        Assert.Equal(payment.GetRawText(), Assert.Single(mine.EnumerateArray()).GetRawText());
    }

    [Fact]
    public async Task An_order_is_paid_only_once()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);
        Assert.Equal(HttpStatusCode.Created, (await app.PayAsync(buyer, order.Id, "tok_visa")).StatusCode);

        await AssertProblemAsync(await app.PayAsync(buyer, order.Id, "tok_mastercard"), HttpStatusCode.BadRequest, "Order is already paid");

        // Also once orders has confirmed it.
        await app.Bus.PublishAsync(new OrderCompleted(order.Id, 1, new TicketRef(order.Ticket.Id)));
        await app.WaitForOrderVersionAsync(order.Id, 1);
        await AssertProblemAsync(await app.PayAsync(buyer, order.Id, "tok_visa"), HttpStatusCode.BadRequest, "Order is already paid");
    }

    [Fact]
    public async Task Of_twenty_concurrent_payments_for_one_order_exactly_one_succeeds()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.PayAsync(buyer, order.Id, "tok_visa")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            await AssertProblemAsync(refused, HttpStatusCode.BadRequest, "Order is already paid");
        }

        Assert.Equal(1, await app.WithDbAsync(db => db.Payments.CountAsync(p => p.OrderId == order.Id)));
    }

    [Fact]
    public async Task A_cancelled_order_cannot_be_paid()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);
        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(order.Ticket.Id)));
        await app.WaitForOrderVersionAsync(order.Id, 1);

        await AssertProblemAsync(await app.PayAsync(buyer, order.Id, "tok_visa"), HttpStatusCode.BadRequest, "Cannot pay for a cancelled order");
    }

    [Fact]
    public async Task An_expired_order_cannot_be_paid_even_before_its_cancellation_arrives()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, window: TimeSpan.FromMinutes(15));
        app.Clock.Advance(TimeSpan.FromMinutes(15));

        await AssertProblemAsync(await app.PayAsync(buyer, order.Id, "tok_visa"), HttpStatusCode.BadRequest, "Order has expired");
        await app.OutboxDrainedAsync();
        Assert.Empty(await app.Bus.PublishedAsync<PaymentCreated>(e => e.OrderId == order.Id));
    }

    [Fact]
    public async Task An_unknown_token_is_refused_and_leaves_the_order_payable()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);

        await AssertProblemAsync(await app.PayAsync(buyer, order.Id, "tok_bogus"), HttpStatusCode.BadRequest, "Invalid payment token");

        Assert.Equal(HttpStatusCode.Created, (await app.PayAsync(buyer, order.Id, "tok_visa")).StatusCode);
    }

    [Theory]
    [InlineData("tok_chargeDeclined", "card_declined")]
    [InlineData("tok_chargeDeclinedInsufficientFunds", "insufficient_funds")]
    public async Task A_declined_card_is_402_and_fails_the_order(string token, string reason)
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);

        var response = await app.PayAsync(buyer, order.Id, token);

        await AssertProblemAsync(response, HttpStatusCode.PaymentRequired);
        var failed = await app.Bus.WaitForAsync<PaymentFailed>(e => e.OrderId == order.Id);
        Assert.Equal(reason, failed.Reason);
        await app.OutboxDrainedAsync();
        Assert.Empty(await app.Bus.PublishedAsync<PaymentCreated>(e => e.OrderId == order.Id));
        // The decline cancels the order: a second card is not tried on it, even before orders' cancellation arrives.
        await AssertProblemAsync(await app.PayAsync(buyer, order.Id, "tok_visa"), HttpStatusCode.BadRequest, "Cannot pay for a cancelled order");
    }

    [Fact]
    public async Task A_payment_that_raced_a_cancellation_is_refunded_and_the_order_stays_cancelled()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, price: 42.5m);
        var paid = await PaymentsApp.Json(await app.PayAsync(buyer, order.Id, "tok_visa"));
        var paymentId = Guid.Parse(paid.GetProperty("id").GetString()!);

        // Orders had already cancelled the order (expired, and a new buyer took the ticket): it refuses the payment.
        using (var cancellation = new System.Diagnostics.Activity("cancellation").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start())
        {
            await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(order.Ticket.Id)));
            cancellation.Stop();

            var refunded = await app.Bus.WaitForAsync<PaymentRefunded>(e => e.OrderId == order.Id);
            Assert.Equal((paymentId, 4250L, "usd"), (refunded.Id, refunded.Amount, refunded.Currency));
            // Carried out later by the refund processor, the refund continues the cancellation's trace.
            var traceParent = await app.WithDbAsync(db => db.Set<SwapSeats.Messaging.Outbox.OutboxMessage>()
                .Where(m => m.Subject == SwapSeats.Contracts.Subjects.PaymentRefunded && m.Payload.Contains(order.Id.ToString()))
                .Select(m => m.TraceParent).SingleAsync());
            Assert.Equal(cancellation.TraceId, System.Diagnostics.ActivityContext.Parse(traceParent!, null).TraceId);
        }

        var listed = await PaymentsApp.Json(await app.SignedIn(buyer).GetAsync("/api/payments"));
        Assert.Equal("refunded", Assert.Single(listed.EnumerateArray()).GetProperty("status").GetString());
        await AssertProblemAsync(await app.PayAsync(buyer, order.Id, "tok_visa"), HttpStatusCode.BadRequest, "Cannot pay for a cancelled order");

        // A redelivered cancellation does not refund twice.
        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(order.Ticket.Id)));
        var marker = await app.OrderedAsync(buyer);
        await app.PayAsync(buyer, marker.Id, "tok_visa");
        await app.Bus.PublishAsync(new OrderCancelled(marker.Id, 1, new TicketRef(marker.Ticket.Id)));
        await app.Bus.WaitForAsync<PaymentRefunded>(e => e.OrderId == marker.Id);
        await app.OutboxDrainedAsync();
        Assert.Single(await app.Bus.PublishedAsync<PaymentRefunded>(e => e.OrderId == order.Id));
    }

    [Fact]
    public async Task Order_events_apply_in_version_order()
    {
        var buyer = Guid.CreateVersion7();
        var order = new OrderCreated(Guid.CreateVersion7(), buyer, OrderStatuses.Created, app.Clock.GetUtcNow().AddMinutes(15), 0,
            new OrderTicket(Guid.CreateVersion7(), 10m));

        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(order.Ticket.Id)));
        await app.Bus.PublishAsync(order);

        await app.WaitForOrderVersionAsync(order.Id, 1);
        await AssertProblemAsync(await app.PayAsync(buyer, order.Id, "tok_visa"), HttpStatusCode.BadRequest, "Cannot pay for a cancelled order");
    }
}
