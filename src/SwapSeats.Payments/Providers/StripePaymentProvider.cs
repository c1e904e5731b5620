using System.Net;
using Microsoft.Extensions.Options;
using Stripe;

namespace SwapSeats.Payments.Providers;

/// <summary>
/// Stripe through Stripe.net: a confirmed PaymentIntent per charge from the card token, with the attempt's idempotency
/// key; refunds by PaymentIntent. Card errors are declines, unknown tokens are invalid, anything else is "unavailable".
/// </summary>
public sealed class StripePaymentProvider(HttpClient http, IOptions<PaymentsOptions> options) : IPaymentProvider
{
    private readonly StripeClient _client = new(
        options.Value.Stripe.SecretKey,
        httpClient: new SystemNetHttpClient(http, maxNetworkRetries: 0),
        apiBase: options.Value.Stripe.ApiBase);

    public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        var create = new PaymentIntentCreateOptions
        {
            Amount = request.Amount,
            Currency = request.Currency,
            Confirm = true,
            // Cards only, never a redirect: the buyer is not sent anywhere, so no return_url is needed.
            AutomaticPaymentMethods = new PaymentIntentAutomaticPaymentMethodsOptions { Enabled = true, AllowRedirects = "never" },
            PaymentMethodData = new PaymentIntentPaymentMethodDataOptions { Type = "card" },
            Metadata = new Dictionary<string, string> { ["orderId"] = request.OrderId.ToString() },
        };
        // Stripe.net does not model card tokens in payment_method_data; the API accepts them.
        create.AddExtraParam("payment_method_data[card][token]", request.Token);
        try
        {
            var intent = await new PaymentIntentService(_client).CreateAsync(
                create, new RequestOptions { IdempotencyKey = request.IdempotencyKey }, cancellationToken);
            return intent.Status == "succeeded"
                ? new ChargeResult(ChargeOutcome.Succeeded, intent.Id)
                : new ChargeResult(ChargeOutcome.Declined, $"payment_intent_{intent.Status}");
        }
        catch (StripeException ex) when (ex.StripeError?.Type == "card_error")
        {
            return new ChargeResult(ChargeOutcome.Declined, ex.StripeError.DeclineCode ?? ex.StripeError.Code ?? "card_declined");
        }
        catch (StripeException ex) when (ex.StripeError?.Type == "invalid_request_error" && ex.HttpStatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound
                                         && ex.StripeError.Param?.Contains("token", StringComparison.Ordinal) == true)
        {
            return new ChargeResult(ChargeOutcome.InvalidToken, ex.StripeError.Message ?? "Invalid token");
        }
        catch (Exception ex) when (ex is StripeException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new PaymentProviderUnavailableException("Stripe could not be reached or failed", ex);
        }
    }

    public async Task<string> RefundAsync(string chargeReference, long amount, string idempotencyKey, CancellationToken cancellationToken)
    {
        try
        {
            var refund = await new RefundService(_client).CreateAsync(
                new RefundCreateOptions { PaymentIntent = chargeReference, Amount = amount },
                new RequestOptions { IdempotencyKey = idempotencyKey }, cancellationToken);
            return refund.Id;
        }
        catch (Exception ex) when (ex is StripeException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new PaymentProviderUnavailableException("Stripe refund failed", ex);
        }
    }
}
