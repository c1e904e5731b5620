using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using SwapSeats.Testing;
using SwapSeats.Tickets.Data;

namespace SwapSeats.Tickets.Tests;

/// <summary>Listings made before events existed survive the migration that introduced them, each with an event of its own.</summary>
public sealed class LegacyListingsMigrationTests
{
    [Fact]
    public async Task Every_listing_from_before_events_gets_an_event_of_its_own_and_its_price_as_face_value()
    {
        var postgres = await PostgresServer.SharedAsync();
        var connectionString = await postgres.CreateDatabaseAsync("tickets_legacy");
        await using var db = new TicketsDbContext(new DbContextOptionsBuilder<TicketsDbContext>().UseNpgsql(connectionString).Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261125222813_InitialCreate");
        var seller = Guid.CreateVersion7();
        Guid[] ids = [Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7()];
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            // Two with the same title: their events must not collide on the natural key.
            var title = i < 2 ? "Same seat title" : "Wembley, block 112";
            await db.Database.ExecuteSqlAsync($"INSERT INTO tickets (id, title, price, user_id, status, version, created_at) VALUES ({id}, {title}, {10m + i}, {seller}, 'available', 0, now())");
        }

        await migrator.MigrateAsync();

        var tickets = await db.Tickets.Include(t => t.Event).Where(t => ids.Contains(t.Id)).OrderBy(t => t.Id).ToListAsync();
        Assert.Equal(3, tickets.Count);
        Assert.All(tickets, t =>
        {
            Assert.Equal(t.Price, t.FaceValue);
            Assert.Equal(t.Title, t.Event.Name);
            Assert.True(t.Event.StartsAt > DateTimeOffset.UtcNow.AddDays(29));
            Assert.Contains(t.Title.ToLowerInvariant(), t.SearchText);
        });
        Assert.Equal(3, tickets.Select(t => t.EventId).Distinct().Count());
        Assert.All(tickets, t => Assert.Equal(1, t.Version));

        // Orders and payments hear of it: one ticket.updated per listing, the next version, with its event.
        var payloads = await db.Set<SwapSeats.Messaging.Outbox.OutboxMessage>().Where(m => m.Subject == SwapSeats.Contracts.Subjects.TicketUpdated)
            .Select(m => new { m.EventId, m.Payload }).ToListAsync();
        var announced = payloads.Select(p => (p.EventId, Event: SwapSeats.Contracts.EventJson.Deserialize<SwapSeats.Contracts.TicketUpdated>(System.Text.Encoding.UTF8.GetBytes(p.Payload))))
            .Where(p => ids.Contains(p.Event.Id)).ToList();
        Assert.Equal(3, announced.Count);
        Assert.All(announced, a =>
        {
            var ticket = tickets.Single(t => t.Id == a.Event.Id);
            Assert.Equal(a.EventId, a.Event.EventId);
            Assert.Equal((1, ticket.Price, ticket.EventId, ticket.Event.StartsAt), (a.Event.Version, a.Event.FaceValue!.Value, a.Event.Event!.Id, a.Event.Event.StartsAt));
        });
    }
}
