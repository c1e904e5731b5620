using System.Text.Json;
using System.Text.Json.Serialization;

namespace SwapSeats.Contracts;

/// <summary>
/// An event one service publishes for the others. Each carries a unique id (also the NATS message id, so the
/// stream drops duplicates) and the time it occurred. Payloads only grow: fields are added, never renamed or removed.
/// </summary>
public interface IIntegrationEvent
{
    /// <summary>The NATS subject this event type is published on.</summary>
    static abstract string Subject { get; }

    Guid EventId { get; }

    DateTimeOffset OccurredAt { get; }
}

public abstract record IntegrationEvent
{
    public Guid EventId { get; init; } = Guid.CreateVersion7();

    public DateTimeOffset OccurredAt { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>The one JSON shape of every event on the wire: camelCase, as the HTTP APIs.</summary>
public static class EventJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static byte[] Serialize<TEvent>(TEvent @event) where TEvent : IIntegrationEvent =>
        JsonSerializer.SerializeToUtf8Bytes(@event, Options);

    public static TEvent Deserialize<TEvent>(ReadOnlySpan<byte> payload) where TEvent : IIntegrationEvent =>
        JsonSerializer.Deserialize<TEvent>(payload, Options) ?? throw new JsonException("The event payload is null.");
}
