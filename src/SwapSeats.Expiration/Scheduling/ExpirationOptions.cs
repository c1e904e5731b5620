using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Expiration.Data;
using SwapSeats.Expiration.Domain;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Expiration.Scheduling;

public sealed class ExpirationOptions
{
    public const string Section = "Expiration";

    /// <summary>Timers fired per transaction.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// The longest the scheduler sleeps without looking at the database: a commit here wakes it at once, but a timer
    /// stored by another replica (which then died) is found at the latest after this long.
    /// </summary>
    public TimeSpan MaxSleep { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long fired and dropped timers are kept, so late events for their orders stay harmless.</summary>
    public TimeSpan FinishedRetention { get; set; } = TimeSpan.FromDays(7);

    public static IHostApplicationBuilder AddExpirationOptions(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ExpirationOptions>()
            .Bind(builder.Configuration.GetSection(Section))
            .Validate(o => o.BatchSize is >= 1 and <= 10_000, "Expiration:BatchSize must be between 1 and 10000.")
            .Validate(o => o.MaxSleep > TimeSpan.Zero && o.MaxSleep <= TimeSpan.FromMinutes(10),
                "Expiration:MaxSleep must be a positive duration of at most 00:10:00.")
            .Validate(o => o.FinishedRetention >= TimeSpan.FromDays(1), "Expiration:FinishedRetention must be at least 1.00:00:00.")
            .ValidateOnStart();
        // Finished timers are kept a while so a late or duplicate order.created cannot bring one back; then forgotten.
        builder.Services.AddCleanup<ExpirationDbContext>("timers", (scope, now, cancellationToken) =>
        {
            var cutoff = now - scope.GetRequiredService<IOptions<ExpirationOptions>>().Value.FinishedRetention;
            return scope.GetRequiredService<ExpirationDbContext>().Timers
                .Where(t => t.Status != TimerStatus.Pending && t.UpdatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        });
        return builder;
    }
}
