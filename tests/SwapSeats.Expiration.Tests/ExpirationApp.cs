using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SwapSeats.Contracts;
using SwapSeats.Expiration.Data;
using SwapSeats.Expiration.Domain;
using SwapSeats.Testing;

namespace SwapSeats.Expiration.Tests;

/// <summary>The expiration service in memory on the real clock.</summary>
public class ExpirationApp() : ServiceApp<Program>("expiration")
{
    /// <summary>A long idle sleep, so a timer that fires on time proves the scheduler was woken, not that it polled.</summary>
    protected override Dictionary<string, string?> Settings() => new() { ["Expiration:MaxSleep"] = "00:01:00" };

    public Task<T> WithDbAsync<T>(Func<ExpirationDbContext, Task<T>> work) => WithDbAsync<ExpirationDbContext, T>(work);

    public static OrderCreated Order(DateTimeOffset expiresAt) =>
        new(Guid.CreateVersion7(), Guid.CreateVersion7(), OrderStatuses.Created, expiresAt, 0, new OrderTicket(Guid.CreateVersion7(), 10m));

    public Task<TimerStatus?> StatusAsync(Guid orderId) =>
        WithDbAsync(db => db.Timers.Where(t => t.OrderId == orderId).Select(t => (TimerStatus?)t.Status).SingleOrDefaultAsync());

    /// <summary>Publishes the order and waits until its timer is stored.</summary>
    public async Task<OrderCreated> ScheduledAsync(DateTimeOffset expiresAt)
    {
        var order = Order(expiresAt);
        await Bus.PublishAsync(order);
        await Eventually.Until(() => StatusAsync(order.Id), status => status is not null);
        return order;
    }
}

/// <summary>The expiration service with a clock the tests move.</summary>
public sealed class FakeClockExpirationApp : ExpirationApp
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}
