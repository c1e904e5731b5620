using System.Diagnostics;
using System.Text;
using SwapSeats.Contracts;

namespace SwapSeats.Messaging.Outbox;

/// <summary>An event waiting to be published, written in the same transaction as the change that caused it.</summary>
public sealed class OutboxMessage
{
    private OutboxMessage()
    {
    }

    /// <summary>Publication order.</summary>
    public long Id { get; private set; }

    public Guid EventId { get; private set; }

    public string Subject { get; private set; } = "";

    public string Payload { get; private set; } = "";

    /// <summary>W3C traceparent of the request that caused the event.</summary>
    public string? TraceParent { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? SentAt { get; private set; }

    public static OutboxMessage For<TEvent>(TEvent @event) where TEvent : IIntegrationEvent => new()
    {
        EventId = @event.EventId,
        Subject = TEvent.Subject,
        Payload = Encoding.UTF8.GetString(EventJson.Serialize(@event)),
        TraceParent = Activity.Current?.Id,
        CreatedAt = @event.OccurredAt,
    };
}
