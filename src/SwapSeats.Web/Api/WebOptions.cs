namespace SwapSeats.Web.Api;

public sealed class WebOptions
{
    public const string Section = "Web";

    /// <summary>Where each API lives: auth, tickets, orders, payments (the gateway's upstreams, called directly).</summary>
    public Dictionary<string, string> Services { get; set; } = [];

    /// <summary>When set, the payment form uses Stripe.js with this key; otherwise it maps Stripe's test card numbers.</summary>
    public string? StripePublishableKey { get; set; }

    public static readonly string[] RequiredServices = ["auth", "tickets", "orders", "payments"];
}
