using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace SwapSeats.Gateway;

/// <summary>
/// Sign-up and sign-in per client address: <c>Gateway:AuthRequestsPerMinute</c> (default 60; 0 turns it off), then a
/// 429 problem with <c>Retry-After</c>. The address is the connection's, or the one a trusted proxy forwarded
/// (ServiceDefaults' forwarded-header rules): a client cannot pick a new one per request.
/// </summary>
public static class AuthRateLimit
{
    public const string Policy = "credentials";

    /// <returns>Whether the limit is on.</returns>
    public static bool AddAuthRateLimit(WebApplicationBuilder builder)
    {
        var perMinute = builder.Configuration.GetValue("Gateway:AuthRequestsPerMinute", 60);
        if (perMinute < 0)
        {
            throw new InvalidOperationException("Gateway:AuthRequestsPerMinute must be 0 (off) or a positive number of requests per minute.");
        }

        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(Policy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = Math.Max(1, perMinute),
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            options.OnRejected = async (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var http = rejected.HttpContext;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = $"Too many sign-up and sign-in requests from this address. Try again in {Math.Ceiling(retryAfter.TotalSeconds)} second(s).",
                    },
                });
            };
        });
        return perMinute > 0;
    }
}
