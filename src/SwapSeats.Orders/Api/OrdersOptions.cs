using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Orders.Data;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Orders.Api;

public sealed class OrdersOptions
{
    public const string Section = "Orders";

    /// <summary>How long a new order holds its ticket for the buyer to pay.</summary>
    public TimeSpan ReservationWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long an Idempotency-Key is remembered (the contract promises at least a day).</summary>
    public TimeSpan IdempotencyKeyRetention { get; set; } = TimeSpan.FromDays(2);

    public static IHostApplicationBuilder AddOrdersOptions(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OrdersOptions>()
            .Bind(builder.Configuration.GetSection(Section))
            .Validate(o => o.ReservationWindow > TimeSpan.Zero && o.ReservationWindow <= TimeSpan.FromDays(1),
                "Orders:ReservationWindow (env Orders__ReservationWindow) must be a duration between 00:00:01 and 1.00:00:00.")
            .Validate(o => o.IdempotencyKeyRetention >= TimeSpan.FromDays(1),
                "Orders:IdempotencyKeyRetention must be at least 1.00:00:00.")
            .ValidateOnStart();
        builder.Services.AddCleanup<OrdersDbContext>("idempotent_requests", (scope, now, cancellationToken) =>
        {
            var cutoff = now - scope.GetRequiredService<IOptions<OrdersOptions>>().Value.IdempotencyKeyRetention;
            return scope.GetRequiredService<OrdersDbContext>().IdempotentRequests.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        });
        return builder;
    }
}
