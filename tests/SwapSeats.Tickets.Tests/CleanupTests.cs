using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SwapSeats.Contracts;
using SwapSeats.ServiceDefaults;
using SwapSeats.Testing;
using SwapSeats.Tickets.Data;
using SwapSeats.Tickets.Domain;

namespace SwapSeats.Tickets.Tests;

/// <summary>Tables that would only grow are trimmed by the service's cleanup worker, by the injected clock.</summary>
public sealed class CleanupTests(TicketsApp app) : IClassFixture<TicketsApp>
{
    [Fact]
    public async Task Tombstones_of_cancelled_orders_are_stamped_by_the_clock_and_forgotten_after_their_retention()
    {
        var ticket = Guid.Parse((await app.ListAsync(Guid.CreateVersion7(), "Cleanup seat")).GetProperty("id").GetString()!);
        var fresh = Guid.CreateVersion7();
        var before = DateTimeOffset.UtcNow;
        await app.Bus.PublishAsync(new OrderCancelled(fresh, 1, new TicketRef(ticket)));
        var stamped = await Eventually.Until(() => app.WithDbAsync(db => db.CancelledOrders.SingleOrDefaultAsync(o => o.OrderId == fresh)), o => o is not null);
        Assert.InRange(stamped!.CancelledAt, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        var old = Guid.CreateVersion7();
        await app.WithDbAsync(async db =>
        {
            db.CancelledOrders.Add(new CancelledOrder(old, ticket, DateTimeOffset.UtcNow.AddDays(-32)));
            return await db.SaveChangesAsync();
        });

        var removed = await app.Factory.Services.GetRequiredService<CleanupWorker<TicketsDbContext>>().RunAllAsync(default);

        Assert.True(removed["cancelled_orders"] >= 1);
        Assert.False(await app.WithDbAsync(db => db.CancelledOrders.AnyAsync(o => o.OrderId == old)));
        Assert.True(await app.WithDbAsync(db => db.CancelledOrders.AnyAsync(o => o.OrderId == fresh)));
        // The messaging tables are trimmed by the same worker.
        Assert.Contains("outbox_messages", removed.Keys);
        Assert.Contains("inbox_messages", removed.Keys);
    }
}
