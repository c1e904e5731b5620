using SwapSeats.Contracts;
using SwapSeats.Messaging;

namespace SwapSeats.Notifications.Domain;

/// <summary>Where a user's emails go, from <c>user.created</c>.</summary>
public sealed class Recipient
{
    private Recipient()
    {
    }

    public Guid Id { get; private set; }

    public string Email { get; private set; } = "";

    public static Recipient From(UserCreated created) => new() { Id = created.Id, Email = created.Email };
}

/// <summary>Notifications' replica of a listing: what an email says about the ticket, in version order.</summary>
public sealed class TicketCopy
{
    private TicketCopy()
    {
    }

    public Guid Id { get; private set; }

    public Guid SellerId { get; private set; }

    public string Title { get; private set; } = "";

    public string? EventName { get; private set; }

    public string? Venue { get; private set; }

    public string? City { get; private set; }

    public DateTimeOffset? StartsAt { get; private set; }

    public string Status { get; private set; } = TicketStatuses.Available;

    public Guid? OrderId { get; private set; }

    public bool HasFile { get; private set; }

    public int Version { get; private set; }

    public static TicketCopy From(TicketCreated created) => new TicketCopy { Id = created.Id }.With(
        created.UserId, created.Title, created.Event, created.Status, null, created.HasFile, created.Version);

    public TicketCopy With(Guid seller, string title, EventInfo? @event, string status, Guid? orderId, bool hasFile, int version)
    {
        SellerId = seller;
        Title = title;
        EventName = @event?.Name ?? EventName;
        Venue = @event?.Venue ?? Venue;
        City = @event?.City ?? City;
        StartsAt = @event?.StartsAt ?? StartsAt;
        Status = status;
        OrderId = orderId;
        HasFile = hasFile;
        Version = version;
        return this;
    }
}

/// <summary>Notifications' replica of an order: who bought which ticket, for how much, until when.</summary>
public sealed class OrderCopy
{
    private OrderCopy()
    {
    }

    public Guid Id { get; private set; }

    public Guid BuyerId { get; private set; }

    public Guid TicketId { get; private set; }

    public decimal Price { get; private set; }

    public DateTimeOffset ExpiresAt { get; private set; }

    public static OrderCopy From(OrderCreated created) => new()
    {
        Id = created.Id, BuyerId = created.UserId, TicketId = created.Ticket.Id, Price = created.Ticket.Price, ExpiresAt = created.ExpiresAt,
    };
}

public static class EmailKinds
{
    public const string Reserved = "reserved";
    public const string Receipt = "receipt";
    public const string Sold = "sold";
    public const string TicketReady = "ticketReady";
    public const string Released = "released";
    public const string Refunded = "refunded";
    public const string PaidOut = "paidOut";
}

/// <summary>
/// One email, queued in the same transaction as the event that caused it (unique per event, recipient and kind: a
/// redelivered event sends nothing more), then delivered by the sender. <see cref="To"/> is null until the recipient's
/// <c>user.created</c> has arrived; the email waits for it.
/// </summary>
public sealed class Email : IDueAt
{
    private Email()
    {
    }

    public Guid Id { get; private set; }

    public Guid CauseEventId { get; private set; }

    public string Kind { get; private set; } = "";

    public Guid RecipientId { get; private set; }

    public string? To { get; private set; }

    public string Subject { get; private set; } = "";

    public string Text { get; private set; } = "";

    public string Html { get; private set; } = "";

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? SentAt { get; private set; }

    public int Attempts { get; private set; }

    /// <summary>When the sender must try it (null: sent, or waiting for the address).</summary>
    public DateTimeOffset? DueAt { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>Stable across resends, so a copy delivered twice after a crash is recognisably the same email.</summary>
    public string MessageId => $"{Id:N}@swapseats";

    public static Email Queue(Guid causeEventId, string kind, Guid recipientId, string? to, Composed content, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        CauseEventId = causeEventId,
        Kind = kind,
        RecipientId = recipientId,
        To = to,
        Subject = content.Subject,
        Text = content.Text,
        Html = content.Html,
        CreatedAt = now,
        DueAt = to is null ? null : now,
    };

    /// <summary>A row as the sender's claim returned it (read with Npgsql, not EF): due again when its lease ends.</summary>
    public static Email Claimed(Guid id, Guid causeEventId, string kind, Guid recipientId, string to, Composed content, DateTimeOffset createdAt,
        int attempts, string? lastError, DateTimeOffset leaseEnds)
    {
        var email = Queue(causeEventId, kind, recipientId, to, content, createdAt);
        email.Id = id;
        email.Attempts = attempts;
        email.LastError = lastError;
        email.DueAt = leaseEnds;
        return email;
    }

    public void AddressKnown(string to, DateTimeOffset now)
    {
        To = to;
        DueAt = now;
    }

    /// <summary>Claimed but not tried (the sender stopped, or its connection dropped): due again at once.</summary>
    public void Retry(DateTimeOffset now) => DueAt = now;

    public void Sent(DateTimeOffset now)
    {
        Attempts++;
        SentAt = now;
        DueAt = null;
        LastError = null;
    }

    /// <summary>It can never be sent (an address SMTP cannot take): kept, with why, and not tried again.</summary>
    public void Undeliverable(string error)
    {
        Attempts++;
        LastError = error.Length > 500 ? error[..500] : error;
        DueAt = null;
    }

    public void Failed(string error, DateTimeOffset now)
    {
        Attempts++;
        LastError = error.Length > 500 ? error[..500] : error;
        // The system's one retry schedule, on a mail server's scale: 1 s doubling to 5 minutes.
        DueAt = now + SwapSeats.ServiceDefaults.Backoff.Delay(Attempts, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
    }
}

public sealed record Composed(string Subject, string Text, string Html);
