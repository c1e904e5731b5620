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

    public static IHostApplicationBuilder AddTicketsOptions(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TicketsOptions>()
            .Bind(builder.Configuration.GetSection(Section))
            .Validate(o => o.CancelledOrderRetention >= TimeSpan.FromDays(1), "Tickets:CancelledOrderRetention must be at least 1.00:00:00.")
            .ValidateOnStart();
        builder.Services.AddCleanup<TicketsDbContext>("cancelled_orders", (scope, now, cancellationToken) =>
        {
            var cutoff = now - scope.GetRequiredService<IOptions<TicketsOptions>>().Value.CancelledOrderRetention;
            return scope.GetRequiredService<TicketsDbContext>().CancelledOrders.Where(o => o.CancelledAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        });
        return builder;
    }
}
