namespace SwapSeats.Messaging.Inbox;

/// <summary>
/// That a consumer has applied an event. Written in the same transaction as the effect, so a redelivered
/// message finds it and changes nothing twice.
/// </summary>
public sealed class InboxMessage(string consumer, Guid eventId, DateTimeOffset processedAt)
{
    public string Consumer { get; private set; } = consumer;

    public Guid EventId { get; private set; } = eventId;

    public DateTimeOffset ProcessedAt { get; private set; } = processedAt;
}
