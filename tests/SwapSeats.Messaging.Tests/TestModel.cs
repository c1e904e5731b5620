using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;

namespace SwapSeats.Messaging.Tests;

/// <summary>A small replica of tickets, as a consuming service keeps one.</summary>
public sealed class ReplicaTicket
{
    public Guid Id { get; set; }

    public string Title { get; set; } = "";

    public int Version { get; set; }
}

/// <summary>One application of an event: the tests count these to prove nothing is applied twice.</summary>
public sealed class Application
{
    public long Id { get; set; }

    public Guid TicketId { get; set; }

    public int Version { get; set; }

    public string Instance { get; set; } = "";
}

public sealed class TestDb(DbContextOptions<TestDb> options) : DbContext(options)
{
    public DbSet<ReplicaTicket> Tickets => Set<ReplicaTicket>();

    public DbSet<Application> Applications => Set<Application>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ReplicaTicket>().ToTable("tickets");
        modelBuilder.Entity<Application>().ToTable("applications");
        modelBuilder.AddOutboxAndInbox();
    }
}

/// <summary>Per host: which instance it is, what should fail, and what the handlers saw.</summary>
public sealed class HandlerProbe
{
    public string Instance { get; init; } = "";

    public Func<string, bool> FailsOnTitle { get; init; } = _ => false;

    /// <summary>Runs in the handler before it touches the database (a test takes the database away here).</summary>
    public Func<string, Task> BeforeHandling { get; init; } = _ => Task.CompletedTask;

    public ConcurrentDictionary<string, int> Attempts { get; } = new();

    public ConcurrentBag<ActivityTraceId> TraceIds { get; } = new();
}

public sealed class TicketCreatedHandler(TestDb db, HandlerProbe probe) : IEventHandler<TicketCreated>
{
    public async Task<HandleResult> HandleAsync(TicketCreated @event, CancellationToken cancellationToken)
    {
        probe.Attempts.AddOrUpdate(@event.Title, 1, (_, n) => n + 1);
        if (Activity.Current is { } activity)
        {
            probe.TraceIds.Add(activity.TraceId);
        }

        if (probe.FailsOnTitle(@event.Title))
        {
            throw new InvalidOperationException($"The handler refuses '{@event.Title}'.");
        }

        await probe.BeforeHandling(@event.Title);

        var current = await db.Tickets.FindAsync([@event.Id], cancellationToken);
        var check = Versioned.Check(current?.Version, @event.Version);
        if (check == HandleResult.Applied)
        {
            db.Tickets.Add(new ReplicaTicket { Id = @event.Id, Title = @event.Title, Version = @event.Version });
            db.Applications.Add(new Application { TicketId = @event.Id, Version = @event.Version, Instance = probe.Instance });
        }

        return check;
    }
}

public sealed class TicketUpdatedHandler(TestDb db, HandlerProbe probe) : IEventHandler<TicketUpdated>
{
    public async Task<HandleResult> HandleAsync(TicketUpdated @event, CancellationToken cancellationToken)
    {
        var current = await db.Tickets.FindAsync([@event.Id], cancellationToken);
        var check = Versioned.Check(current?.Version, @event.Version);
        if (check == HandleResult.Applied)
        {
            current!.Title = @event.Title;
            current.Version = @event.Version;
            db.Applications.Add(new Application { TicketId = @event.Id, Version = @event.Version, Instance = probe.Instance });
        }

        return check;
    }
}
