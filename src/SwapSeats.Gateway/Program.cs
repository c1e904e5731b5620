using Scalar.AspNetCore;
using SwapSeats.Gateway;
using SwapSeats.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults(authentication: false, publicEdge: true);
var services = builder.Configuration.GetSection("Gateway:Services");
var authLimited = AuthRateLimit.AddAuthRateLimit(builder);
var (routes, clusters) = GatewayRoutes.Build(services, authLimited ? AuthRateLimit.Policy : null,
    builder.Configuration.GetValue<TimeSpan?>("Gateway:HealthProbeInterval"),
    builder.Configuration.GetValue("Gateway:ConnectionsPerReplica", GatewayRoutes.ConnectionsPerReplica));
builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);

var app = builder.Build();

app.UseServiceDefaults();
app.UseRateLimiter();
app.MapHealthChecks("/health/live");
app.MapHealthChecks("/health/ready");

app.MapScalarApiReference("/api/docs", options =>
{
    options.WithTitle("SwapSeats API");
    foreach (var service in GatewayRoutes.ApiPrefixes.Keys.Where(name => !string.IsNullOrWhiteSpace(services[name])))
    {
        options.AddDocument(service, service, $"/api/docs/openapi/{service}.json");
    }
});

// An /api path that no service owns is a 404 problem here, never a page from the web UI.
app.Map("/api/{**rest}", () => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
    detail: "No API route matches this path."));

app.MapReverseProxy();

await app.RunAsync();

public partial class Program;
