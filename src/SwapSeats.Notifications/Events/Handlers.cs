using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Notifications.Data;
using SwapSeats.Notifications.Domain;
using SwapSeats.Notifications.Sending;

namespace SwapSeats.Notifications.Events;

/// <summary>Queues an email in the event's transaction (the consumer commits it with the inbox record).</summary>
public sealed class Mailbox(NotificationsDbContext db, EmailTemplates templates, KnownAddresses addresses, TimeProvider time)
{
    public EmailTemplates Templates => templates;

    /// <summary>
    /// Orders the consumers that meet at one recipient: user.created and the event that emails them ride separate
    /// consumers, and without this each could commit unseen by the other, leaving an email waiting for an address that
    /// had already arrived. Held until the consumer's transaction ends.
    /// </summary>
    public static Task LockRecipientAsync(NotificationsDbContext db, Guid recipientId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({BitConverter.ToInt64(recipientId.ToByteArray(), 8)})", cancellationToken);

    /// <summary>
    /// Events older than this are history (a new consumer replays the stream's 30 days): the replicas learn from them,
    /// but nobody is emailed about a hold that ran out weeks ago.
    /// </summary>
    public static readonly TimeSpan NewsLifetime = TimeSpan.FromDays(1);

    /// <summary>How long an event waits for the replica it needs before it is sent with less detail.</summary>
    public static readonly TimeSpan DetailWait = TimeSpan.FromMinutes(1);

    public bool IsHistory(SwapSeats.Contracts.IntegrationEvent @event) => time.GetUtcNow() - @event.OccurredAt > NewsLifetime;

    public bool MayWaitForDetail(SwapSeats.Contracts.IntegrationEvent @event) => time.GetUtcNow() - @event.OccurredAt < DetailWait;

    /// <summary>
    /// Adds the email to the transaction. A redelivered cause never gets here (the consumer's inbox stops it) and the
    /// unique index on cause, recipient and kind backs that up, so no look for an earlier copy is needed.
    /// </summary>
    public async Task QueueAsync(SwapSeats.Contracts.IntegrationEvent cause, string kind, Guid recipientId, Composed content, CancellationToken cancellationToken)
    {
        if (IsHistory(cause))
        {
            return;
        }

        // A known address needs neither the lookup nor the lock: the email does not wait for user.created.
        if (addresses.Find(recipientId) is not { } to)
        {
            await LockRecipientAsync(db, recipientId, cancellationToken);
            // Null when the recipient's user.created has not arrived yet: the email waits for it.
            to = await NotificationsDbContext.AddressAsync(db, recipientId, cancellationToken);
            if (to is not null)
            {
                addresses.Remember(recipientId, to);
            }
        }

        db.Emails.Add(Email.Queue(cause.EventId, kind, recipientId, to, content, time.GetUtcNow()));
    }
}

/// <summary>
/// The addresses read from the database, kept in memory: an address never changes once <c>user.created</c> has told
/// it (there is no other event about it), so a remembered one is as good as the row. Bounded: when full it starts over.
/// </summary>
public sealed class KnownAddresses
{
    public const int Capacity = 100_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> _addresses = new();
    private int _count; // ConcurrentDictionary.Count takes every lock; this is kept beside it instead

    public string? Find(Guid recipientId) => _addresses.GetValueOrDefault(recipientId);

    public void Remember(Guid recipientId, string address)
    {
        if (!_addresses.TryAdd(recipientId, address))
        {
            return;
        }

        if (Interlocked.Increment(ref _count) > Capacity)
        {
            _addresses.Clear();
            Interlocked.Exchange(ref _count, 0);
        }
    }
}

/// <summary>A new address; emails that waited for it are due now.</summary>
public sealed class UserCreatedHandler(NotificationsDbContext db, KnownAddresses addresses, TimeProvider time) : IEventHandler<UserCreated>
{
    public async Task<HandleResult> HandleAsync(UserCreated @event, CancellationToken cancellationToken)
    {
        // Remembered at once, before this commits: the address is true whatever becomes of this transaction, and the
        // user's first email (usually moments away: a sign-up, then a purchase) then needs neither the lock nor the lookup.
        addresses.Remember(@event.Id, @event.Email);
        await Mailbox.LockRecipientAsync(db, @event.Id, cancellationToken);
        if (await db.Recipients.AnyAsync(r => r.Id == @event.Id, cancellationToken))
        {
            return HandleResult.Ignored;
        }

        db.Recipients.Add(Recipient.From(@event));
        foreach (var waiting in await db.Emails.Where(e => e.RecipientId == @event.Id && e.To == null).ToListAsync(cancellationToken))
        {
            waiting.AddressKnown(@event.Email, time.GetUtcNow());
        }

        return HandleResult.Applied;
    }
}

public sealed class TicketCreatedHandler(NotificationsDbContext db) : IEventHandler<TicketCreated>
{
    public async Task<HandleResult> HandleAsync(TicketCreated @event, CancellationToken cancellationToken)
    {
        var current = await db.Tickets.FindAsync([@event.Id], cancellationToken);
        var result = Versioned.Check(current?.Version, @event.Version);
        if (result == HandleResult.Applied)
        {
            db.Tickets.Add(TicketCopy.From(@event));
        }

        return result;
    }
}

/// <summary>Keeps the listing's copy; the first file after the sale tells the buyer the ticket is ready.</summary>
public sealed class TicketUpdatedHandler(NotificationsDbContext db, Mailbox mail) : IEventHandler<TicketUpdated>
{
    public async Task<HandleResult> HandleAsync(TicketUpdated @event, CancellationToken cancellationToken)
    {
        // The common case in one statement: the next version of a copy the database has, by an update that cannot be
        // the late file (a sale's two updates). The rest takes the read below: a sold ticket with its file, a copy this
        // batch has loaded (updated behind its back, it would go stale for the rest of the batch), one not there yet,
        // an event out of order.
        if (!(@event.HasFile && @event.Status == TicketStatuses.Sold)
            && await Versioned.TryInOneStatementAsync<TicketCopy>(db, @event.Id, () => UpdateNextAsync(@event, cancellationToken)))
        {
            return HandleResult.Applied;
        }

        var current = await db.Tickets.FindAsync([@event.Id], cancellationToken);
        if (current is null)
        {
            // A listing whose ticket.created is older than the stream: the update carries all an email needs.
            db.Tickets.Add(TicketCopy.From(new TicketCreated(@event.Id, @event.Title, @event.Price, @event.UserId, @event.Version)
            {
                Event = @event.Event, Status = @event.Status, HasFile = @event.HasFile,
            }).With(@event.UserId, @event.Title, @event.Event, @event.Status, @event.OrderId, @event.HasFile, @event.Version));
            return HandleResult.Applied;
        }

        var result = Versioned.Check(current.Version, @event.Version);
        if (result != HandleResult.Applied)
        {
            return result;
        }

        var lateFile = !current!.HasFile && @event.HasFile && current.Status == TicketStatuses.Sold && @event.Status == TicketStatuses.Sold;
        current.With(@event.UserId, @event.Title, @event.Event, @event.Status, @event.OrderId, @event.HasFile, @event.Version);
        if (lateFile && @event.OrderId is { } orderId)
        {
            if (await db.Orders.FindAsync([orderId], cancellationToken) is not { } order)
            {
                return mail.IsHistory(@event) ? HandleResult.Applied : HandleResult.RetryLater;
            }

            await mail.QueueAsync(@event, EmailKinds.TicketReady, order.BuyerId, mail.Templates.TicketReady(current), cancellationToken);
        }

        return HandleResult.Applied;
    }

    /// <summary>What <see cref="TicketCopy.With"/> does, as one statement, only where the copy is at the previous version.</summary>
    // SQL, not ExecuteUpdate: the setters' expression tree, built, funcletized and hashed on every event, cost more
    // than the statement (NotificationTests compares this path's row with the read-and-save path's).
    private Task<int> UpdateNextAsync(TicketUpdated @event, CancellationToken cancellationToken) => @event.Event is { } e
        ? db.Database.ExecuteSqlAsync($"""
            UPDATE tickets SET seller_id = {@event.UserId}, title = {@event.Title}, status = {@event.Status}, order_id = {@event.OrderId},
                has_file = {@event.HasFile}, version = {@event.Version},
                event_name = {e.Name}, venue = {e.Venue}, city = {e.City}, starts_at = {e.StartsAt.ToUniversalTime()}
            WHERE id = {@event.Id} AND version = {@event.Version - 1}
            """, cancellationToken)
        : db.Database.ExecuteSqlAsync($"""
            UPDATE tickets SET seller_id = {@event.UserId}, title = {@event.Title}, status = {@event.Status}, order_id = {@event.OrderId},
                has_file = {@event.HasFile}, version = {@event.Version}
            WHERE id = {@event.Id} AND version = {@event.Version - 1}
            """, cancellationToken);
}

/// <summary>The buyer hears the ticket is held, with the time it runs out and a link to pay.</summary>
public sealed class OrderCreatedHandler(NotificationsDbContext db, Mailbox mail) : IEventHandler<OrderCreated>
{
    public async Task<HandleResult> HandleAsync(OrderCreated @event, CancellationToken cancellationToken)
    {
        // The ticket and whether the order is known already, in one statement in the common case (the ticket is here).
        var found = await NotificationsDbContext.TicketAndOrderAsync(db, @event.Ticket.Id, @event.Id, cancellationToken);
        if (found?.OrderKnown ?? await db.Orders.AnyAsync(o => o.Id == @event.Id, cancellationToken))
        {
            return HandleResult.Ignored;
        }

        // Orders took the order only after hearing of the ticket; here ticket.> may not have caught up yet. A listing
        // never announced within the stream's reach is not waited for beyond a minute: the email says "your ticket".
        var ticket = found?.Ticket;
        if (ticket is null && mail.MayWaitForDetail(@event))
        {
            return HandleResult.RetryLater;
        }

        var order = OrderCopy.From(@event);
        db.Orders.Add(order);
        await mail.QueueAsync(@event, EmailKinds.Reserved, order.BuyerId, mail.Templates.Reserved(order, ticket), cancellationToken);
        return HandleResult.Applied;
    }
}

/// <summary>A reservation released because it ran out or the card was declined: the buyer is told why.</summary>
public sealed class OrderCancelledHandler(NotificationsDbContext db, Mailbox mail) : IEventHandler<OrderCancelled>
{
    public async Task<HandleResult> HandleAsync(OrderCancelled @event, CancellationToken cancellationToken)
    {
        if (@event.Reason is not (CancelReasons.Expired or CancelReasons.PaymentFailed))
        {
            return HandleResult.Ignored;
        }

        if (await db.Orders.FindAsync([@event.Id], cancellationToken) is not { } order)
        {
            return mail.IsHistory(@event) ? HandleResult.Ignored : HandleResult.RetryLater;
        }

        var ticket = await db.Tickets.FindAsync([order.TicketId], cancellationToken);
        await mail.QueueAsync(@event, EmailKinds.Released, order.BuyerId, mail.Templates.Released(order, ticket, @event.Reason), cancellationToken);
        return HandleResult.Applied;
    }
}

/// <summary>A sale: the buyer's receipt and the seller's "sold" with the payout's terms.</summary>
public sealed class PaymentCreatedHandler(NotificationsDbContext db, Mailbox mail) : IEventHandler<PaymentCreated>
{
    public async Task<HandleResult> HandleAsync(PaymentCreated @event, CancellationToken cancellationToken)
    {
        // payment.> and order.> are separate consumers: the order may still be on its way.
        if (await NotificationsDbContext.OrderAndTicketAsync(db, @event.OrderId, cancellationToken) is not { } found)
        {
            return mail.IsHistory(@event) ? HandleResult.Ignored : HandleResult.RetryLater;
        }

        var (order, ticket) = found;

        if (ticket is null && mail.MayWaitForDetail(@event))
        {
            return HandleResult.RetryLater;
        }

        await mail.QueueAsync(@event, EmailKinds.Receipt, order.BuyerId, mail.Templates.Receipt(order, ticket, @event.Amount, @event.Currency), cancellationToken);
        if (ticket is not null)
        {
            await mail.QueueAsync(@event, EmailKinds.Sold, ticket.SellerId, mail.Templates.Sold(ticket, @event.Amount, @event.Currency, @event.Payout), cancellationToken);
        }
        return HandleResult.Applied;
    }
}

public sealed class PaymentRefundedHandler(NotificationsDbContext db, Mailbox mail) : IEventHandler<PaymentRefunded>
{
    public async Task<HandleResult> HandleAsync(PaymentRefunded @event, CancellationToken cancellationToken)
    {
        if (await db.Orders.FindAsync([@event.OrderId], cancellationToken) is not { } order)
        {
            return mail.IsHistory(@event) ? HandleResult.Ignored : HandleResult.RetryLater;
        }

        var ticket = await db.Tickets.FindAsync([order.TicketId], cancellationToken);
        await mail.QueueAsync(@event, EmailKinds.Refunded, order.BuyerId,
            mail.Templates.Refunded(order, ticket, @event.Amount, @event.Currency, @event.Reason), cancellationToken);
        return HandleResult.Applied;
    }
}

public sealed class PayoutPaidHandler(NotificationsDbContext db, Mailbox mail) : IEventHandler<PayoutPaid>
{
    public async Task<HandleResult> HandleAsync(PayoutPaid @event, CancellationToken cancellationToken)
    {
        var order = await db.Orders.FindAsync([@event.OrderId], cancellationToken);
        var ticket = order is null ? null : await db.Tickets.FindAsync([order.TicketId], cancellationToken);
        await mail.QueueAsync(@event, EmailKinds.PaidOut, @event.SellerId, mail.Templates.PaidOut(ticket, @event.Amount, @event.Currency), cancellationToken);
        return HandleResult.Applied;
    }
}
