using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SwapSeats.Messaging;

/// <summary>Traces (publish and process spans joined by the traceparent header) and backlog metrics.</summary>
public static class MessagingTelemetry
{
    public const string Name = "SwapSeats.Messaging";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);
    private static readonly ConcurrentDictionary<string, long> OutboxPending = new();
    private static readonly ConcurrentDictionary<string, long> ConsumerPending = new();

    public static readonly Counter<long> Published = Meter.CreateCounter<long>("swapseats.outbox.published", description: "Events published from the outbox");
    public static readonly Counter<long> Processed = Meter.CreateCounter<long>("swapseats.consumer.processed", description: "Messages handled, by outcome");
    public static readonly Counter<long> EarlyWaits = Meter.CreateCounter<long>("swapseats.consumer.early_waits",
        description: "Deliveries of events that came ahead of their predecessor and were put back to wait for it");
    public static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("swapseats.consumer.deadlettered", description: "Messages moved to the dead-letter stream");

    static MessagingTelemetry()
    {
        Meter.CreateObservableGauge("swapseats.outbox.pending",
            () => OutboxPending.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("service", p.Key))),
            description: "Outbox rows not yet acknowledged by JetStream");
        Meter.CreateObservableGauge("swapseats.consumer.lag",
            () => ConsumerPending.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("consumer", p.Key))),
            description: "Messages in the stream not yet delivered to the consumer");
    }

    internal static void SetOutboxPending(string service, long pending) => OutboxPending[service] = pending;

    internal static void SetConsumerLag(string consumer, long pending) => ConsumerPending[consumer] = pending;

    internal static ActivityContext ParentFrom(string? traceparent) =>
        traceparent is not null && ActivityContext.TryParse(traceparent, null, out var context) ? context : default;
}
