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
    private static readonly ConcurrentDictionary<string, double> WorkerOverdue = new();
    private static readonly ConcurrentDictionary<string, long> WorkerQueued = new();

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
        Meter.CreateObservableGauge("swapseats.worker.overdue",
            () => WorkerOverdue.Select(p => new Measurement<double>(p.Value, new KeyValuePair<string, object?>("worker", p.Key))),
            unit: "s", description: "How long the oldest row still due after the worker's last round has been due (timers, payouts, emails)");
        Meter.CreateObservableGauge("swapseats.worker.queued",
            () => WorkerQueued.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("worker", p.Key))),
            description: "Rows waiting for the worker, due now or retrying later (emails not yet sent)");
    }

    /// <summary>
    /// What a due-row worker sleeps for after a round, given its next due row: until then, at most
    /// <paramref name="maxSleep"/>. Records how overdue that row is (<c>swapseats.worker.overdue</c>).
    /// </summary>
    public static TimeSpan SleepUntilDue(string worker, DateTimeOffset? next, DateTimeOffset now, TimeSpan maxSleep, long? queued = null)
    {
        WorkerOverdue[worker] = next is { } due && due < now ? (now - due).TotalSeconds : 0;
        if (queued is { } count)
        {
            WorkerQueued[worker] = count;
        }

        var untilNext = next is null ? maxSleep : next.Value - now;
        return untilNext < maxSleep ? untilNext : maxSleep;
    }

    internal static void SetOutboxPending(string service, long pending) => OutboxPending[service] = pending;

    internal static void SetConsumerLag(string consumer, long pending) => ConsumerPending[consumer] = pending;

    /// <summary>
    /// Background work that a request or an event asked for earlier (a timer firing, a refund) continues that trace:
    /// a span whose parent is the stored <paramref name="traceparent"/>; events published inside it carry it on.
    /// </summary>
    public static Activity? Continue(string name, string? traceparent) =>
        Source.StartActivity(name, ActivityKind.Internal, ParentFrom(traceparent));

    /// <summary>What to store with work for later, so it can be continued (<see cref="Continue"/>).</summary>
    public static string? CurrentTraceParent => Activity.Current?.Id;

    // Remote: the parent came over the wire or out of storage. It matters when nothing records spans (AlwaysOff, no OTLP
    // endpoint): OpenTelemetry then still creates an activity under a remote parent, for its ids, but none under a local
    // one, and without that activity whatever a handler publishes would start a new trace.
    internal static ActivityContext ParentFrom(string? traceparent) =>
        traceparent is not null && ActivityContext.TryParse(traceparent, null, isRemote: true, out var context) ? context : default;
}
