using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Payments.Data;
using SwapSeats.Payments.Domain;
using SwapSeats.Payments.Providers;

namespace SwapSeats.Payments.Events;

/// <summary>
/// Payments' replica of listings, in version order: a payout needs the seller, the event's start and whether the ticket
/// file is there. A listing that arrives after its sale's payment (its event was late) describes the waiting payout.
/// </summary>
public sealed class TicketCreatedHandler(PaymentsDbContext db, IOptions<PaymentsOptions> options) : IEventHandler<TicketCreated>
{
    public async Task<HandleResult> HandleAsync(TicketCreated @event, CancellationToken cancellationToken)
    {
        var current = await db.Listings.FindAsync([@event.Id], cancellationToken);
        var result = Versioned.Check(current?.Version, @event.Version);
        if (result == HandleResult.Applied)
        {
            var listing = Listing.Replicate(@event.Id, @event.UserId, @event.Event?.StartsAt, @event.HasFile, @event.Version);
            db.Listings.Add(listing);
            await ListingChange.DescribeWaitingPayoutsAsync(db, listing, options.Value.PayoutDelay, cancellationToken);
        }

        return result;
    }
}

public sealed class TicketUpdatedHandler(PaymentsDbContext db, IOptions<PaymentsOptions> options) : IEventHandler<TicketUpdated>
{
    public async Task<HandleResult> HandleAsync(TicketUpdated @event, CancellationToken cancellationToken)
    {
        // The common case in one statement: the next version of a listing this replica has in the database (a sale's
        // two updates only move its version). Anything else takes the read below: a listing this batch has loaded
        // (updated behind its back, it would go stale for the rest of the batch), one not there yet, an event out of
        // order.
        if (await Versioned.TryInOneStatementAsync<Listing>(db, @event.Id, () => UpdateNextAsync(@event, cancellationToken)))
        {
            return HandleResult.Applied;
        }

        var current = await db.Listings.FindAsync([@event.Id], cancellationToken);
        if (current is null)
        {
            // A listing whose ticket.created is older than the stream (30 days): the update carries all a payout needs.
            var listing = Listing.Replicate(@event.Id, @event.UserId, @event.Event?.StartsAt, @event.HasFile, @event.Version);
            db.Listings.Add(listing);
            await ListingChange.DescribeWaitingPayoutsAsync(db, listing, options.Value.PayoutDelay, cancellationToken);
            return HandleResult.Applied;
        }

        var result = Versioned.Check(current.Version, @event.Version);
        if (result == HandleResult.Applied)
        {
            current.Update(@event.Event?.StartsAt, @event.HasFile, @event.Version);
        }

        return result;
    }

    /// <summary>What <see cref="Listing.Update"/> does, as one statement, only where the listing is at the previous version.</summary>
    /// <remarks>SQL, not ExecuteUpdate: its setters' expression tree, rebuilt and hashed per event, cost more than the statement.</remarks>
    private Task<int> UpdateNextAsync(TicketUpdated @event, CancellationToken cancellationToken) => @event.Event is { } e
        ? db.Database.ExecuteSqlAsync($"""
            UPDATE listings SET has_file = {@event.HasFile}, version = {@event.Version}, event_starts_at = {e.StartsAt.ToUniversalTime()}
            WHERE id = {@event.Id} AND version = {@event.Version - 1}
            """, cancellationToken)
        : db.Database.ExecuteSqlAsync($"""
            UPDATE listings SET has_file = {@event.HasFile}, version = {@event.Version}
            WHERE id = {@event.Id} AND version = {@event.Version - 1}
            """, cancellationToken);
}

internal static class ListingChange
{
    public static async Task DescribeWaitingPayoutsAsync(PaymentsDbContext db, Listing listing, TimeSpan delay, CancellationToken cancellationToken)
    {
        foreach (var payout in await db.Payouts.Where(p => p.TicketId == listing.Id && p.SellerId == null).ToListAsync(cancellationToken))
        {
            payout.Describe(listing, delay);
        }
    }
}
