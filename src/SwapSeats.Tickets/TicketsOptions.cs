using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.ServiceDefaults;
using SwapSeats.Tickets.Data;

namespace SwapSeats.Tickets;

public sealed class TicketsOptions
{
    public const string Section = "Tickets";

    /// <summary>
    /// How long a cancelled order is remembered, so its own <c>order.created</c> arriving after the cancellation does not
    /// reserve the ticket. Such an overtaking happens within moments; a redelivery later than this is stopped by the inbox
    /// (kept as long by default).
    /// </summary>
    public TimeSpan CancelledOrderRetention { get; set; } = TimeSpan.FromDays(31);

    /// <summary>A price may be at most the face value times this: 1.0 (the default) never above face value.</summary>
    public decimal PriceCap { get; set; } = 1.0m;

    public static IHostApplicationBuilder AddTicketsOptions(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TicketsOptions>()
            .Bind(builder.Configuration.GetSection(Section))
            .Validate(o => o.CancelledOrderRetention >= TimeSpan.FromDays(1), "Tickets:CancelledOrderRetention must be at least 1.00:00:00.")
            .Validate(o => o.PriceCap is >= 0.01m and <= 10m, "Tickets:PriceCap must be between 0.01 and 10 (1.0: never above face value).")
            .ValidateOnStart();
        builder.Services.AddCleanup<TicketsDbContext>("cancelled_orders", (scope, now, cancellationToken) =>
        {
            var cutoff = now - scope.GetRequiredService<IOptions<TicketsOptions>>().Value.CancelledOrderRetention;
            return scope.GetRequiredService<TicketsDbContext>().CancelledOrders.Where(o => o.CancelledAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        });
        return builder;
    }
}
