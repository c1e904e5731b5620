using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SwapSeats.Payments.Tests;

/// <summary>
/// A local stand-in for api.stripe.com that answers like Stripe for the calls SwapSeats makes (PaymentIntents created,
/// read and confirmed; refunds), and keeps Stripe's documented idempotency: the first answer under a key is stored and
/// replayed — 5xx answers included — except requests refused before they ran (validation errors, a bad API key).
/// A PaymentIntent succeeds at most once. It records what it received so tests can check it.
/// </summary>
public sealed class StripeStub : IAsyncDisposable
{
    public const string ApiKey = "sk_test_swapseats";
    public const long MinimumAmount = 50; // Stripe's minimum charge is about 0.50 in most currencies

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _byIdempotencyKey = new();
    private readonly ConcurrentDictionary<string, Intent> _intents = new();
    private readonly ConcurrentDictionary<string, long> _refunded = new();
    private readonly ConcurrentQueue<Transfer> _transfers = new();

    public StripeStub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        _app = builder.Build();
        _app.MapPost("/v1/payment_intents", context => AnswerAsync(context, Create));
        _app.MapGet("/v1/payment_intents/{id}", context => AnswerAsync(context, _ =>
            _intents.TryGetValue((string)context.Request.RouteValues["id"]!, out var intent) ? (200, intent.Json()) : Missing("payment_intent")));
        _app.MapPost("/v1/payment_intents/{id}/confirm", context => AnswerAsync(context, form => Confirm((string)context.Request.RouteValues["id"]!, form)));
        _app.MapPost("/v1/payment_intents/{id}/cancel", context => AnswerAsync(context, _ => Cancel((string)context.Request.RouteValues["id"]!)));
        _app.MapPost("/v1/refunds", context => AnswerAsync(context, Refund));
        _app.MapPost("/v1/transfers", context => AnswerAsync(context, CreateTransfer));
        _app.MapGet("/v1/transfers", context => AnswerAsync(context, _ => ListTransfers(context.Request.Query["transfer_group"].ToString())));
        _app.StartAsync().GetAwaiter().GetResult();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public string Url { get; }

    /// <summary>When set, every call gets a 500 as from an outage (and Stripe stores it under the request's key).</summary>
    public bool Down { get; set; }

    /// <summary>When set, the next confirmation takes the money and then answers 500: the outcome is lost on the way.</summary>
    public bool LoseNextConfirmation { get; set; }

    /// <summary>Card tokens whose confirmation stays <c>processing</c> until <see cref="Settle"/>.</summary>
    public const string ProcessingToken = "tok_processing";

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Money actually taken: PaymentIntents that succeeded (each one can only once).</summary>
    public int Charges => _intents.Values.Count(i => i.Status == "succeeded");

    /// <summary>Intents that took money for the order.</summary>
    public int ChargesFor(Guid orderId) => _intents.Values.Count(i => i.OrderId == orderId.ToString() && i.Status == "succeeded");

    /// <summary>The card network decides the processing payments of the order: they succeed.</summary>
    public void Settle(Guid orderId)
    {
        foreach (var intent in _intents.Values.Where(i => i.OrderId == orderId.ToString() && i.Status == "processing"))
        {
            intent.Status = "succeeded";
        }
    }

    /// <summary>When set, the next transfer moves the money and then answers 500: the outcome is lost on the way.</summary>
    public bool LoseNextTransfer { get; set; }

    /// <summary>Money actually sent to connected accounts.</summary>
    public IReadOnlyList<Transfer> Transfers => _transfers.ToList();

    public sealed record Transfer(string Id, long Amount, string Currency, string Destination, string? Group);

    private (int, string) CreateTransfer(Dictionary<string, string> form)
    {
        var destination = form.GetValueOrDefault("destination") ?? "";
        if (!destination.StartsWith("acct_", StringComparison.Ordinal))
        {
            return Invalid("resource_missing", "destination", $"No such destination: '{destination}'");
        }

        var transfer = new Transfer($"tr_{Guid.NewGuid():N}", long.Parse(form["amount"]), form["currency"], destination, form.GetValueOrDefault("transfer_group"));
        _transfers.Enqueue(transfer);
        if (LoseNextTransfer)
        {
            LoseNextTransfer = false;
            return ServerError();
        }

        return (200, TransferJson(transfer));
    }

    private (int, string) ListTransfers(string group)
    {
        var found = _transfers.Where(t => string.IsNullOrEmpty(group) || t.Group == group).Select(TransferJson).ToList();
        return (200, $$"""{"object":"list","url":"/v1/transfers","has_more":false,"data":[{{string.Join(",", found)}}]}""");
    }

    private static string TransferJson(Transfer t) => JsonSerializer.Serialize(new
    {
        id = t.Id, @object = "transfer", amount = t.Amount, currency = t.Currency, destination = t.Destination, transfer_group = t.Group,
    });

    public sealed record Received(string Method, string Path, Dictionary<string, string> Form, string? IdempotencyKey, string? Authorization);

    private sealed class Intent(string id, long amount, string currency, string orderId)
    {
        public string Id { get; } = id;
        public long Amount { get; } = amount;
        public string Currency { get; } = currency;
        public string OrderId { get; } = orderId;
        public string Status { get; set; } = "requires_payment_method";
        public string? DeclineCode { get; set; }

        public string Json() => JsonSerializer.Serialize(new
        {
            id = Id, @object = "payment_intent", status = Status, amount = Amount, currency = Currency,
            metadata = new Dictionary<string, string> { ["orderId"] = OrderId },
            last_payment_error = DeclineCode is null ? null : new { type = "card_error", code = "card_declined", decline_code = DeclineCode },
        });
    }

    private (int, string) Create(Dictionary<string, string> form)
    {
        var amount = long.Parse(form["amount"]);
        if (amount < MinimumAmount)
        {
            return Invalid("amount_too_small", "amount", "Amount must be at least €0.50 eur");
        }

        var intent = new Intent($"pi_{Guid.NewGuid():N}", amount, form["currency"], form.GetValueOrDefault("metadata[orderId]") ?? "");
        _intents[intent.Id] = intent;
        return (200, intent.Json());
    }

    private (int, string) Confirm(string id, Dictionary<string, string> form)
    {
        if (!_intents.TryGetValue(id, out var intent))
        {
            return Missing("payment_intent");
        }

        lock (intent)
        {
            if (intent.Status is not ("requires_payment_method" or "requires_confirmation"))
            {
                return Invalid("payment_intent_unexpected_state", null, $"This PaymentIntent's status is {intent.Status}.");
            }

            var token = form.GetValueOrDefault("payment_method_data[card][token]");
            switch (token)
            {
                case "tok_visa" or "tok_mastercard" or "tok_amex":
                    intent.Status = "succeeded";
                    intent.DeclineCode = null;
                    break;
                case ProcessingToken:
                    intent.Status = "processing";
                    break;
                case { } declined when declined.StartsWith("tok_chargeDeclined", StringComparison.Ordinal):
                    intent.DeclineCode = "generic_decline";
                    return (402, """{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined."}}""");
                default:
                    return Invalid("resource_missing", "payment_method_data[card][token]", $"No such token: '{token}'");
            }

            if (LoseNextConfirmation)
            {
                LoseNextConfirmation = false;
                return ServerError();
            }

            return (200, intent.Json());
        }
    }

    private (int, string) Cancel(string id)
    {
        if (!_intents.TryGetValue(id, out var intent))
        {
            return Missing("payment_intent");
        }

        lock (intent)
        {
            if (intent.Status is "succeeded" or "processing")
            {
                return Invalid("payment_intent_unexpected_state", null, $"This PaymentIntent's status is {intent.Status}.");
            }

            intent.Status = "canceled";
            return (200, intent.Json());
        }
    }

    private (int, string) Refund(Dictionary<string, string> form)
    {
        var intentId = form["payment_intent"];
        var amount = long.Parse(form["amount"]);
        if (!_intents.TryGetValue(intentId, out var intent) || intent.Status != "succeeded")
        {
            return Invalid("charge_not_succeeded", "payment_intent", "This PaymentIntent has no successful charge to refund.");
        }

        if (_refunded.AddOrUpdate(intentId, amount, (_, before) => before + amount) > intent.Amount)
        {
            _refunded.AddOrUpdate(intentId, 0, (_, after) => after - amount);
            return Invalid("charge_already_refunded", null, "Charge has already been refunded.");
        }

        return (200, JsonSerializer.Serialize(new { id = $"re_{Guid.NewGuid():N}", @object = "refund", status = "succeeded", payment_intent = intentId, amount }));
    }

    private static (int, string) Invalid(string code, string? param, string message) =>
        (400, JsonSerializer.Serialize(new { error = new { type = "invalid_request_error", code, param, message } }));

    private static (int, string) Missing(string what) => Invalid("resource_missing", "id", $"No such {what}");

    private static (int, string) ServerError() => (500, """{"error":{"type":"api_error","message":"Something went wrong on Stripe's end."}}""");

    private async Task AnswerAsync(HttpContext context, Func<Dictionary<string, string>, (int Status, string Body)> answer)
    {
        var form = context.Request.HasFormContentType
            ? (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString())
            : [];
        var key = context.Request.Headers["Idempotency-Key"].FirstOrDefault();
        var authorization = context.Request.Headers.Authorization.FirstOrDefault();
        Requests.Enqueue(new Received(context.Request.Method, context.Request.Path, form, key, authorization));
        (int Status, string Body) response;
        if (authorization != $"Bearer {ApiKey}")
        {
            // Refused before it ran: nothing is stored under the key.
            response = (401, """{"error":{"type":"authentication_error","message":"Invalid API Key provided."}}""");
        }
        else if (key is null || context.Request.Method == "GET")
        {
            response = Down ? ServerError() : answer(form);
        }
        else if (_byIdempotencyKey.TryGetValue($"{context.Request.Path} {key}", out var stored))
        {
            response = stored;
        }
        else
        {
            response = Down ? ServerError() : answer(form);
            // Stripe stores what the endpoint answered once it ran, a 5xx included; a validation error is not stored.
            if (response.Status != 400)
            {
                response = _byIdempotencyKey.GetOrAdd($"{context.Request.Path} {key}", response);
            }
        }

        context.Response.StatusCode = response.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.Body);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
