using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Inbox;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Messaging.Consumers;

/// <summary>Names and headers shared by every consumer.</summary>
public static class JetStreamConsumer
{
    public const string ErrorHeader = "SwapSeats-Error";
    public const string ConsumerHeader = "SwapSeats-Consumer";
    public const string SubjectHeader = "SwapSeats-Subject";
    public const string DeliveriesHeader = "SwapSeats-Deliveries";

    /// <summary>The durable consumer of one service for one source: <c>{service}-{source}</c>, e.g. <c>payments-order</c>.</summary>
    public static string DurableName(string service, string source) => $"{service}-{source}";

    /// <summary>
    /// What the inbox calls a subject's handler: <c>{service}-{subject}</c>, the name of the per-subject durable consumers
    /// this service had before. Kept, so inbox records written then and now stop the same redeliveries.
    /// </summary>
    public static string InboxName(string service, string subject) => $"{service}-{subject.Replace('.', '-')}";

    /// <summary>The publishing service a subject belongs to: its first token (<c>order</c> of <c>order.created</c>).</summary>
    public static string SourceOf(string subject) => subject[..subject.IndexOf('.')];
}

/// <summary>How one subject's messages are read and applied.</summary>
internal sealed class EventRoute
{
    public required string Subject { get; init; }

    public required string InboxName { get; init; }

    public required Func<byte[], IntegrationEvent> Deserialize { get; init; }

    public required Func<IServiceProvider, IntegrationEvent, CancellationToken, Task<HandleResult>> Handle { get; init; }
}

/// <summary>
/// One durable JetStream consumer per service and source (<c>{service}-{source}</c> on <c>{source}.&gt;</c>), so a
/// service reads each source's events in the order they were published. Replicas share it and split the messages.
/// Messages are applied in pulled batches: one DI scope, one transaction, one inbox statement for the whole batch, each
/// effect flushed in stream order, one commit, then the acks. When a batch fails it is applied
/// again one message at a time, so only a poison message is retried and, after <see cref="MessagingOptions.MaxDeliver"/>
/// deliveries, parked in the dead-letter stream while the messages behind it keep flowing. Duplicates are acked
/// without effect; early ones come back after a delay.
/// </summary>
internal sealed partial class JetStreamConsumer<TContext> : Worker where TContext : DbContext
{
    private const int BatchSize = 100;

    // Short pulls with heartbeats: after NATS restarts, a lost pull request is noticed in seconds, not at its expiry.
    private static readonly NatsJSConsumeOpts ConsumeOptions = new()
    {
        MaxMsgs = 200,
        Expires = TimeSpan.FromSeconds(5),
        IdleHeartbeat = TimeSpan.FromSeconds(1),
    };

    private readonly IServiceScopeFactory _scopes;
    private readonly NatsBus _bus;
    private readonly MessagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _source;
    private readonly IReadOnlyDictionary<string, EventRoute> _routes;

    public JetStreamConsumer(string source, IReadOnlyDictionary<string, EventRoute> routes, IServiceScopeFactory scopes, NatsBus bus,
        IOptions<MessagingOptions> options, TimeProvider time, ILogger<JetStreamConsumer<TContext>> logger)
        : base(logger, time)
    {
        _source = source;
        _routes = routes;
        _scopes = scopes;
        _bus = bus;
        _options = options.Value;
        _time = time;
        _logger = logger;
        Name = JetStreamConsumer.DurableName(_options.ServiceName, source);
    }

    protected override string Name { get; }

    protected override TimeSpan FirstRetry => _options.RetryBaseDelay;

    protected override TimeSpan LongestRetry => _options.MaxRetryDelay;

    /// <summary>After a failed round (NATS gone at start or mid-pull): only until NATS is back, while it is away.</summary>
    protected override Task RetryAsync(TimeSpan wait, CancellationToken cancellationToken) => _bus.BackOffAsync(wait, _time, cancellationToken);

    /// <summary>Consumes until the consumer fails (NATS gone, the consumer deleted); the worker then reopens it after the backoff.</summary>
    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        var consumer = await OpenAsync(cancellationToken);
        await ConsumeInBatchesAsync(consumer, cancellationToken);
        return TimeSpan.Zero;
    }

    private ConsumerConfig Config(ulong? startSequence) => new(Name)
    {
        DurableName = Name,
        FilterSubject = $"{_source}.>",
        AckPolicy = ConsumerConfigAckPolicy.Explicit,
        DeliverPolicy = startSequence is null ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.ByStartSequence,
        OptStartSeq = startSequence ?? 0,
        AckWait = _options.AckWait,
        // Redelivery is ours to bound (dead-letter after MaxDeliver); the server never drops silently.
        MaxDeliver = -1,
        MaxAckPending = 1000,
    };

    /// <summary>
    /// The durable consumer, created on first use. A service that ran the older per-subject consumers
    /// (<c>{service}-{subject}</c>) moves over without losing or re-applying a message: the new consumer starts at the
    /// lowest of their ack floors, the inbox (which keeps the per-subject names) turns what they had already applied
    /// above that floor into no-ops, and the old consumers are deleted.
    /// </summary>
    private async Task<INatsJSConsumer> OpenAsync(CancellationToken cancellationToken)
    {
        await _bus.EnsureStreamsAsync(cancellationToken);
        try
        {
            var existing = await _bus.JetStream.GetConsumerAsync(Subjects.EventStream, Name, cancellationToken);
            // Settings such as AckWait may change between releases; the start position cannot, and is not touched.
            var config = Config(null);
            config.DeliverPolicy = existing.Info.Config.DeliverPolicy;
            config.OptStartSeq = existing.Info.Config.OptStartSeq;
            var opened = await _bus.JetStream.CreateOrUpdateConsumerAsync(Subjects.EventStream, config, cancellationToken);
            // During a rolling upgrade a replica of the earlier release recreates its per-subject consumer after the
            // hand-over deleted it; whatever it consumes the inbox turns into no-ops, and it must not linger after it.
            await DeleteLegacyConsumersAsync(cancellationToken);
            return opened;
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
        }

        ulong? start = null;
        var legacy = new List<string>();
        foreach (var route in _routes.Values)
        {
            try
            {
                var old = await _bus.JetStream.GetConsumerAsync(Subjects.EventStream, route.InboxName, cancellationToken);
                var floor = old.Info.AckFloor.StreamSeq + 1;
                start = start is null ? floor : Math.Min(start.Value, floor);
                legacy.Add(route.InboxName);
            }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404)
            {
            }
        }

        var created = await _bus.JetStream.CreateOrUpdateConsumerAsync(Subjects.EventStream, Config(start), cancellationToken);
        foreach (var name in legacy)
        {
            LogMigrated(_logger, name, Name, start ?? 0);
        }

        await DeleteLegacyConsumersAsync(cancellationToken);
        return created;
    }

    private async Task DeleteLegacyConsumersAsync(CancellationToken cancellationToken)
    {
        foreach (var route in _routes.Values)
        {
            try
            {
                await _bus.JetStream.DeleteConsumerAsync(Subjects.EventStream, route.InboxName, cancellationToken);
            }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404)
            {
                // Gone already (or never there): the usual case.
            }
        }
    }

    private async Task ConsumeInBatchesAsync(INatsJSConsumer consumer, CancellationToken stoppingToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var channel = Channel.CreateBounded<INatsJSMsg<byte[]>>(new BoundedChannelOptions(ConsumeOptions.MaxMsgs!.Value) { SingleReader = true, SingleWriter = true });
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in consumer.ConsumeAsync<byte[]>(opts: ConsumeOptions, cancellationToken: stop.Token))
                {
                    await channel.Writer.WriteAsync(message, stop.Token);
                }

                channel.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        try
        {
            var batch = new List<INatsJSMsg<byte[]>>(BatchSize);
            while (await channel.Reader.WaitToReadAsync(stoppingToken))
            {
                // Whatever has arrived, up to a batch: one message under light load, many under a rush.
                while (batch.Count < BatchSize && channel.Reader.TryRead(out var message))
                {
                    batch.Add(message);
                }

                await ProcessAsync(batch, stoppingToken);
                batch.Clear();
            }

            await channel.Reader.Completion; // rethrows what ended the pull loop, so the consumer is reopened
        }
        finally
        {
            await stop.CancelAsync();
            await reader.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>A received message with what became of it.</summary>
    private sealed class Item(INatsJSMsg<byte[]> message, EventRoute? route)
    {
        public INatsJSMsg<byte[]> Message { get; } = message;

        public EventRoute? Route { get; } = route;

        public IntegrationEvent? Event { get; set; }

        public HandleResult? Result { get; set; }

        /// <summary>Its handler, or the flush of what the handler did, threw.</summary>
        public bool Failed { get; set; }

        /// <summary>The inbox had it: delivered again after it was applied (acked as ignored, counted as a duplicate).</summary>
        public bool Duplicate { get; set; }

        public int Deliveries => (int)(Message.Metadata?.NumDelivered ?? 1);

        public string? TraceParent => Message.Headers is not null && Message.Headers.TryGetValue(NatsBus.TraceParentHeader, out var values)
            ? values.ToString()
            : null;
    }

    private async Task ProcessAsync(List<INatsJSMsg<byte[]>> messages, CancellationToken cancellationToken)
    {
        MessagingTelemetry.SetConsumerLag(Name, (long)(messages[^1].Metadata?.NumPending ?? 0));
        var items = new List<Item>(messages.Count);
        foreach (var message in messages)
        {
            var item = new Item(message, _routes.GetValueOrDefault(message.Subject));
            if (item.Route is null)
            {
                // Another event of this source that this service has no use for.
                await message.AckAsync(cancellationToken: cancellationToken);
                continue;
            }

            try
            {
                item.Event = item.Route.Deserialize(message.Data ?? []);
                items.Add(item);
            }
            catch (JsonException ex)
            {
                // Retrying cannot make a malformed payload readable.
                await DeadLetterAsync(message, item.Deliveries, ex, cancellationToken);
            }
        }

        if (items.Count > 0)
        {
            await ApplyAndSettleAsync(items, cancellationToken);
        }
    }

    /// <summary>
    /// Applies a run of messages in one transaction and settles each. When one of them fails, the run is split around it:
    /// the messages before it are applied again without it, it alone is retried later (or dead-lettered), and the ones
    /// after it go on — so a poison message costs its neighbours one rolled-back attempt, never a retry of their own.
    /// </summary>
    private async Task ApplyAndSettleAsync(List<Item> items, CancellationToken cancellationToken)
    {
        try
        {
            await ApplyAsync(items, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var failing = items.FindIndex(i => i.Failed);
            foreach (var item in items)
            {
                item.Result = null;
                item.Failed = false;
            }

            if (items.Count == 1)
            {
                await FailedAsync(items[0], ex, cancellationToken);
                return;
            }

            LogBatchFailed(_logger, ex, Name, items.Count);
            if (failing < 0)
            {
                // Not any one message's doing (the commit failed, the database went away before the first handler).
                foreach (var item in items)
                {
                    await ApplyAndSettleAsync([item], cancellationToken);
                }

                return;
            }

            if (failing > 0)
            {
                await ApplyAndSettleAsync(items[..failing], cancellationToken);
            }

            await FailedAsync(items[failing], ex, cancellationToken);
            if (failing + 1 < items.Count)
            {
                await ApplyAndSettleAsync(items[(failing + 1)..], cancellationToken);
            }

            return;
        }

        foreach (var item in items)
        {
            await SettleAsync(item, cancellationToken);
        }
    }

    /// <summary>
    /// Applies the items in one transaction: their inbox records are written first, in one statement that also tells
    /// which are new, then each new one's effect is flushed in stream order (so each handler sees what the ones before
    /// it did), and one commit makes all of it durable at once. Nothing is acked here; on any exception nothing is
    /// committed, the inbox records included.
    /// </summary>
    private async Task ApplyAsync(List<Item> items, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The batch's transaction is the unit of failure; a savepoint per SaveChanges would only add round trips.
        db.Database.AutoSavepointsEnabled = false;
        // One statement records the whole batch in the inbox and returns the keys that were not there: an event applied
        // before comes back missing, and so does one a replica is applying right now (the insert waits for its commit).
        // In one order everywhere, so two replicas inserting overlapping batches wait for each other instead of deadlocking.
        var keys = items.Select(i => (Consumer: i.Route!.InboxName, i.Event!.EventId)).Distinct()
            .OrderBy(k => k.Consumer, StringComparer.Ordinal).ThenBy(k => k.EventId).ToList();
        var consumers = keys.Select(k => k.Consumer).ToArray();
        var eventIds = keys.Select(k => k.EventId).ToArray();
        var now = _time.GetUtcNow();
        var fresh = (await PlainSql.ReadAsync(db, """
                INSERT INTO inbox_messages (consumer, event_id, processed_at)
                SELECT k.consumer, k.event_id, $1 FROM unnest($2::text[], $3::uuid[]) AS k(consumer, event_id)
                ON CONFLICT DO NOTHING
                RETURNING consumer, event_id
                """, row => (row.GetString(0), row.GetGuid(1)), cancellationToken, now, consumers, eventIds))
            .ToHashSet();

        var early = new HashSet<(string, Guid)>();

        foreach (var item in items)
        {
            var key = (item.Route!.InboxName, item.Event!.EventId);
            if (!fresh.Remove(key))
            {
                // A second copy in the batch (possibly the very same stream message, redelivered while the first waited
                // in the buffer): it shares the first copy's fate, so an early event is never acked as a duplicate.
                item.Result = early.Contains(key) ? HandleResult.RetryLater : HandleResult.Ignored;
                item.Duplicate = item.Result == HandleResult.Ignored; // applied before, or earlier in this batch
                continue;
            }

            item.Failed = true; // until its effect is flushed
            using (var activity = MessagingTelemetry.Source.StartActivity($"{item.Message.Subject} process", ActivityKind.Consumer,
                       MessagingTelemetry.ParentFrom(item.TraceParent)))
            {
                activity?.SetTag("messaging.system", "nats");
                activity?.SetTag("messaging.consumer.group.name", Name);
                activity?.SetTag("messaging.message.id", item.Event.EventId.ToString());
                item.Result = await item.Route.Handle(scope.ServiceProvider, item.Event, cancellationToken);
            }

            if (item.Result == HandleResult.RetryLater)
            {
                // Too early: nothing of it may be saved, its inbox record included. What earlier items did is flushed already.
                db.ChangeTracker.Clear();
                early.Add(key);
                var (consumer, eventId) = key;
                await db.Set<InboxMessage>().Where(m => m.Consumer == consumer && m.EventId == eventId).ExecuteDeleteAsync(cancellationToken);
                item.Failed = false;
                continue;
            }

            await db.SaveChangesAsync(cancellationToken);
            item.Failed = false;
            // The next handler starts from the database, as if alone; its reads see this one's writes (same transaction).
            db.ChangeTracker.Clear();
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Acks what was applied or ignored, sends back what came too early.</summary>
    private async Task SettleAsync(Item item, CancellationToken cancellationToken)
    {
        MessagingTelemetry.Processed.Add(1, new KeyValuePair<string, object?>("consumer", Name),
            new KeyValuePair<string, object?>("outcome", item.Duplicate ? "Duplicate" : item.Result.ToString()));
        if (item.Result == HandleResult.RetryLater)
        {
            // Bounded by time, not by deliveries: the predecessor may be minutes away (held in another service's outbox).
            var published = item.Message.Metadata?.Timestamp ?? _time.GetUtcNow();
            var waited = _time.GetUtcNow() - published;
            if (waited >= _options.EarlyWaitLimit)
            {
                await DeadLetterAsync(item.Message, item.Deliveries, new InvalidOperationException(
                    $"The event waited {waited:c} for its predecessor (Messaging:EarlyWaitLimit {_options.EarlyWaitLimit:c})."), cancellationToken);
                return;
            }

            MessagingTelemetry.EarlyWaits.Add(1, new KeyValuePair<string, object?>("consumer", Name),
                new KeyValuePair<string, object?>("subject", item.Message.Subject));
            var delay = TimeSpan.FromMilliseconds(Math.Min(1000, 20 * item.Deliveries));
            if (waited >= _options.EarlyWaitWarning && (waited - _options.EarlyWaitWarning).Ticks % TimeSpan.TicksPerMinute < delay.Ticks)
            {
                LogWaitingForPredecessor(_logger, Name, item.Message.Subject, item.Event!.EventId, waited, _options.EarlyWaitLimit - waited);
            }

            await item.Message.NakAsync(new AckOpts { NakDelay = delay }, cancellationToken);
            return;
        }

        await item.Message.AckAsync(cancellationToken: cancellationToken);
    }

    /// <summary>One message failed on its own: retried later, or dead-lettered once it has failed often enough.</summary>
    private async Task FailedAsync(Item item, Exception error, CancellationToken cancellationToken)
    {
        if (TransientFailures.IsDatabaseUnavailable(error))
        {
            // Not the message's fault: it waits for the database however long that takes, and is never dead-lettered.
            LogDatabaseUnavailable(_logger, error, Name, item.Event!.EventId);
            await item.Message.NakAsync(new AckOpts { NakDelay = _options.RetryDelay(item.Deliveries) }, cancellationToken);
            return;
        }

        if (item.Deliveries >= _options.MaxDeliver)
        {
            await DeadLetterAsync(item.Message, item.Deliveries, error, cancellationToken);
            return;
        }

        LogHandlerFailed(_logger, error, Name, item.Event!.EventId, item.Deliveries);
        await item.Message.NakAsync(new AckOpts { NakDelay = _options.RetryDelay(item.Deliveries) }, cancellationToken);
    }

    private async Task DeadLetterAsync(INatsJSMsg<byte[]> message, int deliveries, Exception error, CancellationToken cancellationToken)
    {
        LogDeadLettered(_logger, error, Name, message.Subject, deliveries);
        var sequence = message.Metadata?.Sequence.Stream ?? 0;
        await _bus.PublishAsync(Subjects.DeadLetter(Name, message.Subject), Guid.Empty, message.Data ?? [], traceParent: null, cancellationToken,
            extraHeaders:
            [
                new(JetStreamConsumer.ConsumerHeader, Name),
                new(JetStreamConsumer.SubjectHeader, message.Subject),
                new(JetStreamConsumer.DeliveriesHeader, deliveries.ToString()),
                new(JetStreamConsumer.ErrorHeader, $"{error.GetType().Name}: {error.Message}".ReplaceLineEndings(" ")),
            ],
            msgId: $"{Name}:{sequence}");
        await message.AckTerminateAsync(cancellationToken: cancellationToken);
        MessagingTelemetry.DeadLettered.Add(1, new KeyValuePair<string, object?>("consumer", Name));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} replaces {Legacy}, starting at stream sequence {Start}")]
    private static partial void LogMigrated(ILogger logger, string legacy, string consumer, ulong start);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer}: a batch of {Count} failed; applying its messages one at a time")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, string consumer, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} cannot reach its database for event {EventId}; it will be retried")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception, string consumer, Guid eventId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} failed on event {EventId} (delivery {Deliveries}); it will be retried")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string consumer, Guid eventId, int deliveries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer}: event {EventId} on {Subject} has waited {Waited} for its predecessor; dead-lettered in {Left} unless it arrives")]
    private static partial void LogWaitingForPredecessor(ILogger logger, string consumer, string subject, Guid eventId, TimeSpan waited, TimeSpan left);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} moved a message on {Subject} to the dead-letter stream after {Deliveries} deliveries")]
    private static partial void LogDeadLettered(ILogger logger, Exception exception, string consumer, string subject, int deliveries);
}
