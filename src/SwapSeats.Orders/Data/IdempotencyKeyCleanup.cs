using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Orders.Api;

namespace SwapSeats.Orders.Data;

/// <summary>Forgets Idempotency-Keys older than <see cref="OrdersOptions.IdempotencyKeyRetention"/>, hourly.</summary>
public sealed partial class IdempotencyKeyCleanup(
    IServiceScopeFactory scopes, IOptions<OrdersOptions> options, TimeProvider time, ILogger<IdempotencyKeyCleanup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<OrdersDbContext>();
                var cutoff = time.GetUtcNow() - options.Value.IdempotencyKeyRetention;
                var removed = await db.IdempotentRequests.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(stoppingToken);
                if (removed > 0)
                {
                    LogRemoved(logger, removed);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Forgot {Count} expired idempotency keys")]
    private static partial void LogRemoved(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Idempotency key cleanup failed; it runs again in an hour")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
