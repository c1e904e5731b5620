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
    public async Task<OrderCreated> OrderedAsync(Guid buyer, decimal price = 19.99m, TimeSpan? window = null, Guid? ticketId = null)
    {
        var order = new OrderCreated(Guid.CreateVersion7(), buyer, OrderStatuses.Created,
            Clock.GetUtcNow() + (window ?? TimeSpan.FromMinutes(15)), 0, new OrderTicket(ticketId ?? Guid.CreateVersion7(), price));
        await Bus.PublishAsync(order);
        await Eventually.Until(() => WithDbAsync(db => db.Orders.AnyAsync(o => o.Id == order.Id)), known => known);
        return order;
    }

    /// <summary>Announces a listing as tickets would (its event starting <paramref name="startsIn"/> from the clock's now) and waits until payments knows it.</summary>
    public async Task<TicketCreated> ListedAsync(Guid seller, TimeSpan startsIn, bool hasFile, decimal price = 19.99m)
    {
        var ticket = new TicketCreated(Guid.CreateVersion7(), "Block 1, row A, seat 1", price, seller, 0)
        {
            Event = new EventInfo(Guid.CreateVersion7(), "Test event", "Test Arena", "Testville", Clock.GetUtcNow() + startsIn),
            FaceValue = price,
            HasFile = hasFile,
        };
        await Bus.PublishAsync(ticket);
        await Eventually.Until(() => WithDbAsync(db => db.Listings.AnyAsync(l => l.Id == ticket.Id)), known => known);
        return ticket;
    }

    /// <summary>Lists, orders and pays: a sale whose payout is now held. Returns the order.</summary>
    public async Task<OrderCreated> SoldAsync(Guid seller, Guid buyer, TimeSpan startsIn, bool hasFile, decimal price = 19.99m)
    {
        var ticket = await ListedAsync(seller, startsIn, hasFile, price);
        var order = await OrderedAsync(buyer, price, ticketId: ticket.Id);
        var paid = await PayAsync(buyer, order.Id, "tok_visa");
        paid.EnsureSuccessStatusCode();
        // Orders completes the paid order; payments releases money only for a complete order.
        await Bus.PublishAsync(new OrderCompleted(order.Id, 1, new TicketRef(ticket.Id)));
        await WaitForOrderVersionAsync(order.Id, 1);
        return order;
    }

    public Task<SwapSeats.Payments.Domain.Payout> PayoutAsync(Guid orderId) =>
        WithDbAsync(db => db.Payouts.AsNoTracking().SingleAsync(p => p.OrderId == orderId));

    /// <summary>Waits until the replica has applied the order's version.</summary>
    public Task WaitForOrderVersionAsync(Guid orderId, int version) =>
        Eventually.Until(() => WithDbAsync(db => db.Orders.Where(o => o.Id == orderId).Select(o => (int?)o.Version).SingleOrDefaultAsync()), v => v == version);

    public Task<HttpResponseMessage> PayAsync(Guid buyer, Guid orderId, string token) =>
        SignedIn(buyer).PostAsJsonAsync("/api/payments", new { orderId, token });
}
