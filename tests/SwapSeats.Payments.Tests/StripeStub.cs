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
/// A local stand-in for api.stripe.com that answers like Stripe for the calls SwapSeats makes, honours idempotency keys
/// as Stripe does (same key, same answer, no second charge), and records what it received so tests can check it.
/// </summary>
public sealed class StripeStub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _byIdempotencyKey = new();

    public StripeStub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        _app = builder.Build();
        _app.MapPost("/v1/payment_intents", request => AnswerAsync(request, form => Charge(form)));
        _app.MapPost("/v1/refunds", request => AnswerAsync(request, form => (200, JsonSerializer.Serialize(new
        {
            id = $"re_{Guid.NewGuid():N}", @object = "refund", status = "succeeded", payment_intent = form["payment_intent"],
            amount = long.Parse(form["amount"]),
        }))));
        _app.StartAsync().GetAwaiter().GetResult();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public string Url { get; }

    /// <summary>When set, every call gets a 500 as from an outage.</summary>
    public bool Down { get; set; }

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Charges actually made: requests with a new idempotency key that succeeded.</summary>
    public int Charges => _byIdempotencyKey.Count(r => r.Key.StartsWith("/v1/payment_intents ", StringComparison.Ordinal) && r.Value.Status == 200);

    public sealed record Received(string Path, Dictionary<string, string> Form, string? IdempotencyKey, string? Authorization);

    private static (int Status, string Body) Charge(Dictionary<string, string> form) =>
        form.GetValueOrDefault("payment_method_data[card][token]") switch
        {
            "tok_visa" or "tok_mastercard" or "tok_amex" => (200, JsonSerializer.Serialize(new
            {
                id = $"pi_{Guid.NewGuid():N}", @object = "payment_intent", status = "succeeded", amount = long.Parse(form["amount"]),
                currency = form["currency"],
            })),
            { } token when token.StartsWith("tok_chargeDeclined", StringComparison.Ordinal) => (402,
                """{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined."}}"""),
            var token => (400, JsonSerializer.Serialize(new
            {
                error = new
                {
                    type = "invalid_request_error", code = "resource_missing", param = "payment_method_data[card][token]",
                    message = $"No such token: '{token}'",
                },
            })),
        };

    private async Task AnswerAsync(HttpContext context, Func<Dictionary<string, string>, (int Status, string Body)> answer)
    {
        var form = (await context.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
        var key = context.Request.Headers["Idempotency-Key"].FirstOrDefault();
        Requests.Enqueue(new Received(context.Request.Path, form, key, context.Request.Headers.Authorization.FirstOrDefault()));
        var (status, body) = Down
            ? (500, """{"error":{"type":"api_error","message":"Something went wrong on Stripe's end."}}""")
            : key is null ? answer(form) : _byIdempotencyKey.GetOrAdd($"{context.Request.Path} {key}", _ => answer(form));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
