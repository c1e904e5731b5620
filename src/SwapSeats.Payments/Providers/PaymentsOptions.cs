using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SwapSeats.Payments.Providers;

public sealed partial class PaymentsOptions
{
    public const string Section = "Payments";

    /// <summary><c>local</c> (no network, Stripe's test tokens) or <c>stripe</c>.</summary>
    public string Provider { get; set; } = "local";

    /// <summary>
    /// The local provider takes no money. In Production a service refuses to start with it unless this says so (a
    /// staging cluster, the dev overlay): a production deployment that forgot its Stripe settings must not sell tickets
    /// for fake payments.
    /// </summary>
    public bool AllowLocalProvider { get; set; }

    /// <summary>ISO 4217, lower case, as Stripe wants it.</summary>
    public string Currency { get; set; } = "usd";

    public StripeOptions Stripe { get; set; } = new();

    /// <summary>The marketplace's fee, a fraction of the price kept from each payout.</summary>
    public decimal SellerFeeRate { get; set; } = 0.05m;

    /// <summary>How long after the event's start the seller is paid (the buyer's time to say the ticket did not work).</summary>
    public TimeSpan PayoutDelay { get; set; } = TimeSpan.FromDays(1);

    public sealed class StripeOptions
    {
        public string SecretKey { get; set; } = "";

        /// <summary>Where the Stripe API lives; tests point it at a local stub.</summary>
        public string ApiBase { get; set; } = "https://api.stripe.com";

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
    }

    [GeneratedRegex("^[a-z]{3}$")]
    private static partial Regex CurrencyCode();

    public static IHostApplicationBuilder AddPaymentProvider(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PaymentsOptions>()
            .Bind(builder.Configuration.GetSection(Section))
            .Validate(o => o.Provider is "local" or "stripe", "Payments:Provider (env Payments__Provider) must be 'local' or 'stripe'.")
            .Validate(o => o.Provider != "local" || !builder.Environment.IsProduction() || o.AllowLocalProvider,
                "Payments:Provider is 'local' (no real payments) in Production: set Payments__Provider=stripe and Payments__Stripe__SecretKey, " +
                "or Payments__AllowLocalProvider=true where fake payments are meant (a staging or dev cluster).")
            .Validate(o => CurrencyCode().IsMatch(o.Currency), "Payments:Currency must be a lower-case ISO 4217 code such as 'usd'.")
            .Validate(o => o.Provider != "stripe" || !string.IsNullOrWhiteSpace(o.Stripe.SecretKey),
                "Payments:Stripe:SecretKey (env Payments__Stripe__SecretKey) is required when Payments:Provider is 'stripe'.")
            .Validate(o => Uri.TryCreate(o.Stripe.ApiBase, UriKind.Absolute, out _), "Payments:Stripe:ApiBase must be an absolute URL.")
            .Validate(o => o.SellerFeeRate is >= 0m and < 1m, "Payments:SellerFeeRate must be at least 0 and below 1 (0.05 is 5 %).")
            .Validate(o => o.PayoutDelay >= TimeSpan.Zero, "Payments:PayoutDelay must not be negative.")
            .ValidateOnStart();

        var provider = builder.Configuration[$"{Section}:Provider"] ?? "local";
        if (provider == "stripe")
        {
            builder.Services.AddHttpClient<IPaymentProvider, StripePaymentProvider>((services, http) =>
                http.Timeout = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PaymentsOptions>>().Value.Stripe.Timeout);
        }
        else
        {
            builder.Services.TryAddSingleton<IPaymentProvider, LocalPaymentProvider>();
        }

        return builder;
    }
}
