using Microsoft.Extensions.Options;
using Stripe;

namespace SwapSeats.Payments.Providers;

/// <summary>
/// Stripe through Stripe.net. Each order has one PaymentIntent, created unconfirmed (no money moves) and stored before
/// anything else; every attempt to pay first reads the intent and confirms it only if it still needs a payment, so a
/// retry after a Stripe 5xx or a timeout — whose outcome is unknown — finds out what happened instead of charging
/// again, and an intent can succeed only once. Each request has its own idempotency key: Stripe stores a 5xx under
/// the key it answered (as the stub does), so a retry under the same key could never succeed.
/// </summary>
public sealed partial class StripePaymentProvider(HttpClient http, IOptions<PaymentsOptions> options, ILogger<StripePaymentProvider> logger)
    : IPaymentProvider
{
    private readonly StripeClient _client = new(
        options.Value.Stripe.SecretKey,
        httpClient: new SystemNetHttpClient(http, maxNetworkRetries: 0),
        apiBase: options.Value.Stripe.ApiBase);

    public bool PreparedChargesAreRemote => true;

    public async Task<string> PrepareAsync(Guid orderId, long amount, string currency, CancellationToken cancellationToken)
    {
        var create = new PaymentIntentCreateOptions
        {
            Amount = amount,
            Currency = currency,
            // Cards only, never a redirect: the buyer is not sent anywhere, so no return_url is needed.
            AutomaticPaymentMethods = new PaymentIntentAutomaticPaymentMethodsOptions { Enabled = true, AllowRedirects = "never" },
            Metadata = new Dictionary<string, string> { ["orderId"] = orderId.ToString() },
        };
        var intent = await CallAsync(() => new PaymentIntentService(_client).CreateAsync(
            create, new RequestOptions { IdempotencyKey = NewKey("create", orderId.ToString("N")) }, cancellationToken), cancellationToken);
        return intent.Id;
    }

    public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        var service = new PaymentIntentService(_client);
        var intent = await CallAsync(() => service.GetAsync(request.Charge, cancellationToken: cancellationToken), cancellationToken);
        if (intent.Status is "requires_payment_method" or "requires_confirmation")
        {
            var confirm = new PaymentIntentConfirmOptions { PaymentMethodData = new PaymentIntentPaymentMethodDataOptions { Type = "card" } };
            // Stripe.net does not model card tokens in payment_method_data; the API accepts them.
            confirm.AddExtraParam("payment_method_data[card][token]", request.Token);
            try
            {
                intent = await CallAsync(() => service.ConfirmAsync(request.Charge, confirm,
                    new RequestOptions { IdempotencyKey = NewKey("confirm", request.Charge) }, cancellationToken), cancellationToken);
            }
            catch (StripeException ex) when (ex.StripeError?.Type == "card_error")
            {
                return new ChargeResult(ChargeOutcome.Declined, ex.StripeError.DeclineCode ?? ex.StripeError.Code ?? "card_declined");
            }
            catch (PaymentRefusedException ex) when (ex.InnerException is StripeException { StripeError.Param: { } param } && param.Contains("token", StringComparison.Ordinal))
            {
                return new ChargeResult(ChargeOutcome.InvalidToken, ex.Message);
            }
            catch (PaymentRefusedException ex) when (ex.InnerException is StripeException { StripeError.Code: "payment_intent_unexpected_state" })
            {
                // An earlier attempt is confirming (or has confirmed) it: report what that attempt did.
                intent = await CallAsync(() => service.GetAsync(request.Charge, cancellationToken: cancellationToken), cancellationToken);
            }
        }

        return intent.Status switch
        {
            "succeeded" => new ChargeResult(ChargeOutcome.Succeeded, intent.Id),
            "processing" => new ChargeResult(ChargeOutcome.Pending, intent.Id),
            // 3-D Secure would need a redirect or a client-side step this checkout does not have.
            "requires_action" => new ChargeResult(ChargeOutcome.Declined, "authentication_required"),
            _ => new ChargeResult(ChargeOutcome.Declined, intent.LastPaymentError?.DeclineCode ?? intent.LastPaymentError?.Code ?? $"payment_intent_{intent.Status}"),
        };
    }

    public async Task<ChargeResult> CheckAsync(string charge, CancellationToken cancellationToken)
    {
        var service = new PaymentIntentService(_client);
        var intent = await CallAsync(() => service.GetAsync(charge, cancellationToken: cancellationToken), cancellationToken);
        switch (intent.Status)
        {
            case "succeeded":
                return new ChargeResult(ChargeOutcome.Succeeded, intent.Id);
            case "processing":
                return new ChargeResult(ChargeOutcome.Pending, intent.Id);
            case "canceled":
                return new ChargeResult(ChargeOutcome.Declined, "canceled");
            default:
                // Never paid: cancel it, so no later confirmation (from anywhere) can take money for a cancelled order.
                await CallAsync(() => service.CancelAsync(charge, cancellationToken: cancellationToken), cancellationToken);
                return new ChargeResult(ChargeOutcome.Declined, "canceled");
        }
    }

    public async Task<string> RefundAsync(string chargeReference, long amount, string idempotencyKey, CancellationToken cancellationToken)
    {
        // The refund processor gives each attempt its own key (a 5xx stored under one would replay); a refund whose answer
        // was lost and is tried again is refused by Stripe as charge_already_refunded, never paid out twice.
        try
        {
            var refund = await CallAsync(() => new RefundService(_client).CreateAsync(
            new RefundCreateOptions { PaymentIntent = chargeReference, Amount = amount },
            new RequestOptions { IdempotencyKey = idempotencyKey }, cancellationToken), cancellationToken);
            return refund.Id;
        }
        catch (PaymentRefusedException ex) when (ex.InnerException is StripeException { StripeError.Code: "charge_already_refunded" })
        {
            return "already_refunded";
        }
    }

    public bool PayoutsNeedAccount => true;

    /// <summary>
    /// A Transfer to the seller's connected account, in the payout's own transfer group. Before a retry the group is
    /// looked up: a transfer whose answer was lost is found, never made twice. Each attempt has its own key, since
    /// Stripe replays a stored 5xx for ever under the key it answered.
    /// </summary>
    public async Task<string> PayoutAsync(PayoutRequest request, CancellationToken cancellationToken)
    {
        var service = new TransferService(_client);
        var group = $"payout_{request.PayoutId:N}";
        // Always, the first attempt too: a batch whose commit failed after the transfer went out is tried again as attempt 0.
        {
            var earlier = await CallAsync(() => service.ListAsync(new TransferListOptions { TransferGroup = group, Limit = 1 }, cancellationToken: cancellationToken),
                cancellationToken);
            if (earlier.Data.FirstOrDefault() is { } done)
            {
                return done.Id;
            }
        }

        var transfer = await CallAsync(() => service.CreateAsync(new TransferCreateOptions
        {
            Amount = request.Amount,
            Currency = request.Currency,
            Destination = request.Account,
            TransferGroup = group,
            Metadata = new Dictionary<string, string> { ["payoutId"] = request.PayoutId.ToString(), ["orderId"] = request.OrderId.ToString() },
        }, new RequestOptions { IdempotencyKey = $"swapseats-payout-{request.PayoutId:N}-{request.Attempt}" }, cancellationToken), cancellationToken);
        return transfer.Id;
    }

    private static string NewKey(string what, string about) => $"swapseats-{what}-{about}-{Guid.NewGuid():N}";

    /// <summary>What Stripe's answer means for the caller: a refusal for good, our configuration, or "try again".</summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (StripeException ex) when (ex.StripeError?.Type == "card_error")
        {
            throw;
        }
        catch (StripeException ex) when (ex.StripeError?.Type is "authentication_error" or "permission_error")
        {
            LogMisconfigured(logger, ex, ex.StripeError.Message);
            throw new PaymentProviderMisconfiguredException("Stripe refuses this service's API key", ex);
        }
        catch (StripeException ex) when (ex.StripeError?.Type is "invalid_request_error" && (int)ex.HttpStatusCode is >= 400 and < 500
                                         && ex.StripeError.Code != "idempotency_key_in_use" && (int)ex.HttpStatusCode != 429)
        {
            throw new PaymentRefusedException(ex.StripeError.Message ?? "Stripe refused the request", ex);
        }
        catch (Exception ex) when (ex is StripeException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new PaymentProviderUnavailableException("Stripe could not be reached or failed", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Stripe refuses the configured API key (Payments:Stripe:SecretKey): {Message}. No payment can succeed.")]
    private static partial void LogMisconfigured(ILogger logger, Exception exception, string? message);
}
