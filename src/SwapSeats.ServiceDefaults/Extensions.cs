using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace SwapSeats.ServiceDefaults;

/// <summary>What every SwapSeats HTTP service shares: telemetry, health, errors, limits, sessions, OpenAPI.</summary>
public static class Extensions
{
    /// <param name="publicEdge">The process faces the internet (the gateway): it trusts no forwarded header unless
    /// <c>ForwardedHeaders:KnownNetworks</c> / <c>KnownProxies</c> name who may send them. Behind it, services trust
    /// the same settings or, when none are set, only loopback (where the gateway runs locally).</param>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, bool authentication = true, bool publicEdge = false)
    {
        builder.ConfigureOpenTelemetry();

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [HealthTags.Live]);

        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemDefaults.Fill);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // Malformed bodies throw so the exception handler answers with a problem instead of an empty 400.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        // Text that PostgreSQL (or UTF-8) cannot hold is refused while the JSON is read: a 400, never a 500 on save.
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new StorableStringConverter()));
        builder.Services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = RequestLimits.MaxBodyBytes);
        // A rush opens a thousand connections at once (buyers to the gateway, the gateway to a service). Kestrel's default
        // accept queue of 512 overflows, and every dropped connection waits out TCP's retransmission: 1 s, 3 s, 7 s.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(options => options.Backlog = 4096);
        builder.Services.Configure<ForwardedHeadersOptions>(options => TrustForwarders(options, builder.Configuration, publicEdge));

        if (authentication)
        {
            builder.AddSessionAuthentication();
        }

        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Who may tell this process, with <c>X-Forwarded-*</c>, that a request came over HTTPS or from another address:
    /// exactly the configured networks and proxies (comma-separated: <c>ForwardedHeaders:KnownNetworks=10.0.0.0/8</c>);
    /// without them nobody at the public edge, and loopback behind it.
    /// </summary>
    internal static void TrustForwarders(ForwardedHeadersOptions options, IConfiguration configuration, bool publicEdge)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
        static string[] List(string? value) => (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var trust = new ForwardedHeadersTrust();
        configuration.GetSection(ForwardedHeadersTrust.Section).Bind(trust);
        var networks = List(trust.KnownNetworks);
        var proxies = List(trust.KnownProxies);
        if (networks.Length == 0 && proxies.Length == 0)
        {
            // Behind the gateway: ASP.NET Core's default, loopback only. At the edge: nobody — which has to be said by
            // applying no header at all, since empty proxy and network lists make the middleware trust every sender.
            options.ForwardedHeaders = publicEdge ? ForwardedHeaders.None : options.ForwardedHeaders;
            return;
        }

        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        foreach (var network in networks)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed)
                ? parsed
                : throw new InvalidOperationException($"ForwardedHeaders:KnownNetworks: '{network}' is not a network in CIDR notation (e.g. 10.0.0.0/8)."));
        }

        foreach (var proxy in proxies)
        {
            options.KnownProxies.Add(System.Net.IPAddress.TryParse(proxy, out var parsed)
                ? parsed
                : throw new InvalidOperationException($"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address."));
        }
    }

    public static IHostApplicationBuilder ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("SwapSeats.*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("SwapSeats.*")
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
        else
        {
            // Nothing would read the spans: create them for their ids only (the traceparent still travels with every
            // request and event), without recording a tag or timing of any.
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.SetSampler(new AlwaysOffSampler()));
        }

        return builder;
    }

    /// <summary>The middleware every service runs, in the order that makes errors and sessions work.</summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(RejectOversizedBodies);
        app.Use(RejectNulInQuery);
        if (app.Services.GetService<Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider>() is not null)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        return app;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthTags.Live) });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => !check.Tags.Contains(HealthTags.Live) || check.Tags.Contains(HealthTags.Ready) });
        app.MapOpenApi();
        return app;
    }

    // PostgreSQL cannot store or compare text with NUL characters and nothing legitimate sends them: a 400 here, where
    // every service's query strings pass, instead of a driver error deep in a query (the JSON counterpart is
    // StorableStringConverter).
    private static Task RejectNulInQuery(HttpContext context, Func<Task> next) =>
        context.Request.QueryString.HasValue && context.Request.Query.Any(q => q.Value.Any(v => v?.Contains('\0') == true))
            ? throw new BadHttpRequestException("The query string contains a NUL character.", StatusCodes.Status400BadRequest)
            : next();

    // Kestrel enforces the limit while the body streams in; a declared Content-Length over the limit is refused at once,
    // before any work, and the same way on every server (the test server has no Kestrel limits).
    private static async Task RejectOversizedBodies(HttpContext context, Func<Task> next)
    {
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (RequestLimits.CarriesTicketFile(context.Request))
        {
            // Its endpoint (or page) bounds the body itself, the API only once it knows the caller is the seller. The
            // gateway, which knows neither, lets it through: the service behind refuses what is too large and stops.
            if (sizeFeature is { IsReadOnly: false })
            {
                sizeFeature.MaxRequestBodySize = null;
            }

            await next();
            return;
        }

        if (await RequestLimits.DeclaredOverAsync(context, RequestLimits.MaxBodyBytes))
        {
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        }

        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = RequestLimits.MaxBodyBytes;
        }

        await next();
    }
}

/// <summary>Who may send <c>X-Forwarded-*</c> headers (see <see cref="Extensions.TrustForwarders"/>).</summary>
public sealed class ForwardedHeadersTrust
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Comma-separated networks in CIDR notation, e.g. the cluster's pod network <c>10.0.0.0/8</c>.</summary>
    public string? KnownNetworks { get; set; }

    /// <summary>Comma-separated IP addresses of trusted proxies.</summary>
    public string? KnownProxies { get; set; }
}
