using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SwapSeats.Contracts;
using SwapSeats.Payments.Data;
using SwapSeats.Testing;

namespace SwapSeats.Payments.Tests;

/// <summary>The payments service in memory with the local provider and a clock the tests move.</summary>
public class PaymentsApp() : ServiceApp<Program>("payments")
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);

    public Task<T> WithDbAsync<T>(Func<PaymentsDbContext, Task<T>> work) => WithDbAsync<PaymentsDbContext, T>(work);

    public Task OutboxDrainedAsync() => OutboxDrainedAsync<PaymentsDbContext>();

    /// <summary>Announces an order as the orders service would, and waits until payments knows it.</summary>
    public async Task<OrderCreated> OrderedAsync(Guid buyer, decimal price = 19.99m, TimeSpan? window = null)
    {
        var order = new OrderCreated(Guid.CreateVersion7(), buyer, OrderStatuses.Created,
            Clock.GetUtcNow() + (window ?? TimeSpan.FromMinutes(15)), 0, new OrderTicket(Guid.CreateVersion7(), price));
        await Bus.PublishAsync(order);
        await Eventually.Until(() => WithDbAsync(db => db.Orders.AnyAsync(o => o.Id == order.Id)), known => known);
        return order;
    }

    /// <summary>Waits until the replica has applied the order's version.</summary>
    public Task WaitForOrderVersionAsync(Guid orderId, int version) =>
        Eventually.Until(() => WithDbAsync(db => db.Orders.Where(o => o.Id == orderId).Select(o => (int?)o.Version).SingleOrDefaultAsync()), v => v == version);

    public Task<HttpResponseMessage> PayAsync(Guid buyer, Guid orderId, string token) =>
        SignedIn(buyer).PostAsJsonAsync("/api/payments", new { orderId, token });
}
