using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;

namespace SwapSeats.Payments.Tests;

/// <summary>The payments service with Payments:Provider=stripe, talking to a local Stripe stub instead of the internet.</summary>
public sealed class StripePaymentsApp : PaymentsApp
{
    public StripeStub Stripe { get; } = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Payments:Provider"] = "stripe",
        ["Payments:Stripe:SecretKey"] = "sk_test_swapseats",
        ["Payments:Stripe:ApiBase"] = Stripe.Url,
        ["Payments:Currency"] = "eur",
    };
}

/// <summary>The same, with an API key Stripe does not accept.</summary>
public sealed class BadKeyStripePaymentsApp : PaymentsApp
{
    public StripeStub Stripe { get; } = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Payments:Provider"] = "stripe",
        ["Payments:Stripe:SecretKey"] = "sk_test_revoked",
        ["Payments:Stripe:ApiBase"] = Stripe.Url,
    };
}

public sealed class StripeBadKeyTests(BadKeyStripePaymentsApp app) : IClassFixture<BadKeyStripePaymentsApp>
{
    [Fact]
    public async Task A_key_stripe_refuses_is_not_a_try_again_and_charges_nothing()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);

        var response = await app.PayAsync(buyer, order.Id, "tok_visa");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var problem = await PaymentsApp.Json(response);
        Assert.Contains("credentials", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("Try again", problem.GetProperty("detail").GetString());
        Assert.False(response.Headers.Contains("Retry-After"));
        Assert.Equal(0, app.Stripe.Charges);
    }
}

public sealed class StripeProviderTests(StripePaymentsApp app) : IClassFixture<StripePaymentsApp>
{
    private IEnumerable<StripeStub.Received> Confirmations(string intent) =>
        app.Stripe.Requests.Where(r => r.Path == $"/v1/payment_intents/{intent}/confirm");

    private Task<string?> IntentAsync(Guid order) =>
        app.WithDbAsync(db => db.Orders.Where(o => o.Id == order).Select(o => o.ChargeReference).SingleAsync());

    [Fact]
    public async Task A_charge_is_one_payment_intent_in_minor_units_opened_then_confirmed_with_the_token()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, price: 19.99m);

        var response = await app.PayAsync(buyer, order.Id, "tok_visa");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var payment = await PaymentsApp.Json(response);
        Assert.Equal((1999L, "eur"), (payment.GetProperty("amount").GetInt64(), payment.GetProperty("currency").GetString()));
        var created = Assert.Single(app.Stripe.Requests, r => r.Path == "/v1/payment_intents" && r.Form.GetValueOrDefault("metadata[orderId]") == order.Id.ToString());
        Assert.Equal(("1999", "eur"), (created.Form["amount"], created.Form["currency"]));
        Assert.False(created.Form.ContainsKey("confirm"));
        Assert.Equal($"Bearer {StripeStub.ApiKey}", created.Authorization);
        var intent = await IntentAsync(order.Id);
        Assert.StartsWith("pi_", intent);
        var confirm = Assert.Single(Confirmations(intent!));
        Assert.Equal(("tok_visa", "card"), (confirm.Form["payment_method_data[card][token]"], confirm.Form["payment_method_data[type]"]));
        Assert.False(string.IsNullOrEmpty(confirm.IdempotencyKey));
        var reference = await app.WithDbAsync(db => db.Payments.Where(p => p.OrderId == order.Id).Select(p => p.ProviderReference).SingleAsync());
        Assert.Equal(intent, reference);
        Assert.Equal(1, app.Stripe.ChargesFor(order.Id));
    }

    [Fact]
    public async Task A_card_error_is_a_decline_and_an_unknown_token_is_invalid()
    {
        var buyer = Guid.CreateVersion7();
        var declined = await app.OrderedAsync(buyer);
        var invalid = await app.OrderedAsync(buyer);

        Assert.Equal(HttpStatusCode.PaymentRequired, (await app.PayAsync(buyer, declined.Id, "tok_chargeDeclined")).StatusCode);
        Assert.Equal("generic_decline", (await app.Bus.WaitForAsync<PaymentFailed>(e => e.OrderId == declined.Id)).Reason);
        var bad = await app.PayAsync(buyer, invalid.Id, "tok_nonsense");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("Invalid payment token", (await PaymentsApp.Json(bad)).GetProperty("detail").GetString());
        // A wrong token is not the end of the order: the right one pays it.
        Assert.Equal(HttpStatusCode.Created, (await app.PayAsync(buyer, invalid.Id, "tok_visa")).StatusCode);
    }

    [Fact]
    public async Task After_a_stripe_5xx_stored_under_its_key_a_retry_can_still_succeed_and_charges_once()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);
        Assert.Equal(HttpStatusCode.Created, (await app.PayAsync(buyer, (await app.OrderedAsync(buyer)).Id, "tok_visa")).StatusCode); // warm
        app.Stripe.Down = true;
        try
        {
            var response = await app.PayAsync(buyer, order.Id, "tok_visa");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(0, await app.WithDbAsync(db => db.Payments.CountAsync(p => p.OrderId == order.Id)));
        }
        finally
        {
            app.Stripe.Down = false;
        }

        Assert.Equal(HttpStatusCode.Created, (await app.PayAsync(buyer, order.Id, "tok_visa")).StatusCode);
        Assert.Equal(1, app.Stripe.ChargesFor(order.Id));
        var creates = app.Stripe.Requests.Where(r => r.Path == "/v1/payment_intents" && r.Form.GetValueOrDefault("metadata[orderId]") == order.Id.ToString()).ToList();
        Assert.Equal(2, creates.Count); // the first got the stored 500, the retry used a key of its own
        Assert.Equal(2, creates.Select(c => c.IdempotencyKey).Distinct().Count());
    }

    [Fact]
    public async Task When_stripe_took_the_money_but_the_answer_was_lost_the_retry_finds_it_and_does_not_charge_again()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);
        app.Stripe.LoseNextConfirmation = true;

        var lost = await app.PayAsync(buyer, order.Id, "tok_visa");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, lost.StatusCode);
        Assert.Equal(1, app.Stripe.ChargesFor(order.Id));

        var retried = await app.PayAsync(buyer, order.Id, "tok_visa");

        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(1, app.Stripe.ChargesFor(order.Id));
        Assert.Single(Confirmations((await IntentAsync(order.Id))!));
        Assert.Equal(1, await app.WithDbAsync(db => db.Payments.CountAsync(p => p.OrderId == order.Id)));
    }

    [Fact]
    public async Task When_the_answer_was_lost_and_the_buyer_never_came_back_the_cancelled_orders_money_is_found_and_refunded()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, price: 30m);
        app.Stripe.LoseNextConfirmation = true;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.PayAsync(buyer, order.Id, "tok_visa")).StatusCode);
        Assert.Equal(1, app.Stripe.ChargesFor(order.Id)); // Stripe took the money; payments does not know

        // The reservation runs out and orders cancels the order: payments asks Stripe what became of the charge.
        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(order.Ticket.Id)) { Reason = CancelReasons.Expired });
        await Testing.Eventually.Until(() => app.WithDbAsync(db => db.Orders.Where(o => o.Id == order.Id).Select(o => o.ChargeCheckDueAt).SingleAsync()),
            due => due is not null);
        // The refund processor looks at least every 30 s (a rare case: nothing wakes it sooner).
        app.Clock.Advance(TimeSpan.FromSeconds(31));

        var refunded = await app.Bus.WaitForAsync<PaymentRefunded>(e => e.OrderId == order.Id, TimeSpan.FromSeconds(60));
        Assert.Equal(3000L, refunded.Amount);
        var intent = await IntentAsync(order.Id);
        Assert.Single(app.Stripe.Requests, r => r.Path == "/v1/refunds" && r.Form["payment_intent"] == intent);
        var listed = await PaymentsApp.Json(await app.SignedIn(buyer).GetAsync("/api/payments"));
        Assert.Contains(listed.EnumerateArray(), p => p.GetProperty("orderId").GetString() == order.Id.ToString() && p.GetProperty("status").GetString() == "refunded");
    }

    [Fact]
    public async Task A_processing_payment_is_not_a_decline_and_completes_when_the_network_decides()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);

        var processing = await app.PayAsync(buyer, order.Id, StripeStub.ProcessingToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, processing.StatusCode);
        Assert.Contains("processing", (await PaymentsApp.Json(processing)).GetProperty("detail").GetString());
        Assert.Equal(0, await app.WithDbAsync(db => db.Payments.CountAsync(p => p.OrderId == order.Id)));
        await app.OutboxDrainedAsync();
        Assert.Empty(await app.Bus.PublishedAsync<PaymentFailed>(e => e.OrderId == order.Id));

        app.Stripe.Settle(order.Id);
        var settled = await app.PayAsync(buyer, order.Id, StripeStub.ProcessingToken);

        Assert.Equal(HttpStatusCode.Created, settled.StatusCode);
        Assert.Equal(1, app.Stripe.ChargesFor(order.Id));
        await app.Bus.WaitForAsync<PaymentCreated>(e => e.OrderId == order.Id);
    }

    [Fact]
    public async Task An_amount_below_stripes_minimum_is_a_clear_400_not_a_try_again()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, price: 0.30m);

        var response = await app.PayAsync(buyer, order.Id, "tok_visa");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("refused this payment: Amount must be at least", (await PaymentsApp.Json(response)).GetProperty("detail").GetString());
        Assert.Equal(0, await app.WithDbAsync(db => db.Payments.CountAsync(p => p.OrderId == order.Id)));
        Assert.Equal(0, app.Stripe.ChargesFor(order.Id));
    }

    [Fact]
    public async Task Twenty_concurrent_payments_make_one_charge_at_the_provider()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.PayAsync(buyer, order.Id, "tok_visa")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.Single(app.Stripe.Requests, r => r.Path == "/v1/payment_intents" && r.Form.GetValueOrDefault("metadata[orderId]") == order.Id.ToString());
        Assert.Single(Confirmations((await IntentAsync(order.Id))!));
        Assert.Equal(1, app.Stripe.ChargesFor(order.Id));
    }

    [Fact]
    public async Task A_refund_goes_to_stripe_for_the_payment_intent()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, price: 5m);
        Assert.Equal(HttpStatusCode.Created, (await app.PayAsync(buyer, order.Id, "tok_visa")).StatusCode);
        var reference = await app.WithDbAsync(db => db.Payments.Where(p => p.OrderId == order.Id).Select(p => p.ProviderReference).SingleAsync());

        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(order.Ticket.Id)));

        await app.Bus.WaitForAsync<PaymentRefunded>(e => e.OrderId == order.Id);
        var refund = app.Stripe.Requests.Single(r => r.Path == "/v1/refunds" && r.Form["payment_intent"] == reference);
        Assert.Equal("500", refund.Form["amount"]);
        Assert.False(string.IsNullOrEmpty(refund.IdempotencyKey));
    }
}
