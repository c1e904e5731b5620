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

public sealed class StripeProviderTests(StripePaymentsApp app) : IClassFixture<StripePaymentsApp>
{
    [Fact]
    public async Task A_charge_is_a_confirmed_payment_intent_in_minor_units_with_an_idempotency_key()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, price: 19.99m);

        var response = await app.PayAsync(buyer, order.Id, "tok_visa");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var payment = await PaymentsApp.Json(response);
        Assert.Equal((1999L, "eur"), (payment.GetProperty("amount").GetInt64(), payment.GetProperty("currency").GetString()));
        var sent = app.Stripe.Requests.Last(r => r.Path == "/v1/payment_intents" && r.Form["metadata[orderId]"] == order.Id.ToString());
        Assert.Equal(("1999", "eur", "true", "tok_visa", "card"),
            (sent.Form["amount"], sent.Form["currency"], sent.Form["confirm"], sent.Form["payment_method_data[card][token]"],
                sent.Form["payment_method_data[type]"]));
        Assert.Equal("Bearer sk_test_swapseats", sent.Authorization);
        Assert.False(string.IsNullOrEmpty(sent.IdempotencyKey));
        var reference = await app.WithDbAsync(db => db.Payments.Where(p => p.OrderId == order.Id).Select(p => p.ProviderReference).SingleAsync());
        Assert.StartsWith("pi_", reference);
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
    }

    [Fact]
    public async Task When_stripe_is_down_the_buyer_gets_503_nothing_changes_and_a_retry_later_charges_once()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);
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
        var attempts = app.Stripe.Requests.Where(r => r.Path == "/v1/payment_intents" && r.Form["metadata[orderId]"] == order.Id.ToString()).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Single(attempts.Select(a => a.IdempotencyKey).Distinct());
    }

    [Fact]
    public async Task Twenty_concurrent_payments_make_one_charge_at_the_provider()
    {
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer);
        var chargesBefore = app.Stripe.Charges;

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.PayAsync(buyer, order.Id, "tok_visa")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(1, app.Stripe.Requests.Count(r => r.Path == "/v1/payment_intents" && r.Form["metadata[orderId]"] == order.Id.ToString()));
        Assert.Equal(chargesBefore + 1, app.Stripe.Charges);
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
