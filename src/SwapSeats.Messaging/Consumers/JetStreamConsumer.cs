using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;
using SwapSeats.Contracts;
using SwapSeats.ServiceDefaults;
using SwapSeats.Messaging.Inbox;

namespace SwapSeats.Messaging.Consumers;

/// <summary>
/// A durable JetStream consumer (<c>{service}-{subject}</c>) feeding one handler. Replicas of a service share the
/// durable consumer and so split the messages. Each message: one DI scope, one transaction holding the effect and the
/// inbox record, then the ack. Duplicates are acked without effect; early ones come back after a delay; failures are
/// retried with backoff and, after <see cref="MessagingOptions.MaxDeliver"/> deliveries, parked in the dead-letter stream
/// so the messages behind them keep flowing.
/// </summary>
public sealed partial class JetStreamConsumer<TContext, TEvent, THandler>(
    IServiceScopeFactory scopes, NatsBus bus, IOptions<MessagingOptions> options, TimeProvider time,
    ILogger<JetStreamConsumer<TContext, TEvent, THandler>> logger) : BackgroundService
    where TContext : DbContext
    where TEvent : IIntegrationEvent
    where THandler : class, IEventHandler<TEvent>
{
    public const string ErrorHeader = "SwapSeats-Error";
    public const string ConsumerHeader = "SwapSeats-Consumer";
    public const string SubjectHeader = "SwapSeats-Subject";
    public const string DeliveriesHeader = "SwapSeats-Deliveries";

    private readonly MessagingOptions _options = options.Value;

    // Short pulls with heartbeats: after NATS restarts, a lost pull request is noticed in seconds, not at its expiry.
    private static readonly NatsJSConsumeOpts ConsumeOptions = new()
    {
        MaxMsgs = 100,
        Expires = TimeSpan.FromSeconds(5),
        IdleHeartbeat = TimeSpan.FromSeconds(1),
    };

    public string Name { get; } = DurableName(options.Value.ServiceName, TEvent.Subject);

    public static string DurableName(string service, string subject) => $"{service}-{subject.Replace('.', '-')}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await bus.EnsureStreamsAsync(stoppingToken);
                var consumer = await bus.JetStream.CreateOrUpdateConsumerAsync(Subjects.EventStream, new ConsumerConfig(Name)
                {
                    DurableName = Name,
                    FilterSubject = TEvent.Subject,
                    AckPolicy = ConsumerConfigAckPolicy.Explicit,
                    DeliverPolicy = ConsumerConfigDeliverPolicy.All,
                    AckWait = _options.AckWait,
                    // Redelivery is ours to bound (dead-letter after MaxDeliver); the server never drops silently.
                    MaxDeliver = -1,
                    MaxAckPending = 1000,
                }, stoppingToken);
                failures = 0;

                await foreach (var message in consumer.ConsumeAsync<byte[]>(opts: ConsumeOptions, cancellationToken: stoppingToken))
                {
                    await ProcessAsync(message, stoppingToken);
                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                var delay = _options.RetryDelay(failures);
                LogConsumerFailed(logger, ex, Name, delay);
                await Task.Delay(delay, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task ProcessAsync(INatsJSMsg<byte[]> message, CancellationToken cancellationToken)
    {
        var deliveries = (int)(message.Metadata?.NumDelivered ?? 1);
        MessagingTelemetry.SetConsumerLag(Name, (long)(message.Metadata?.NumPending ?? 0));
        string? traceParent = null;
        if (message.Headers is not null && message.Headers.TryGetValue(NatsBus.TraceParentHeader, out var values))
        {
            traceParent = values.ToString();
        }

        using var activity = MessagingTelemetry.Source.StartActivity($"{message.Subject} process", ActivityKind.Consumer,
            MessagingTelemetry.ParentFrom(traceParent));
        activity?.SetTag("messaging.system", "nats");
        activity?.SetTag("messaging.consumer.group.name", Name);

        TEvent @event;
        try
        {
            @event = EventJson.Deserialize<TEvent>(message.Data);
        }
        catch (JsonException ex)
        {
            // Retrying cannot make a malformed payload readable.
            await DeadLetterAsync(message, deliveries, ex, cancellationToken);
            return;
        }

        activity?.SetTag("messaging.message.id", @event.EventId.ToString());
        HandleResult result;
        try
        {
            result = await ApplyOnceAsync(@event, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (TransientFailures.IsDatabaseUnavailable(ex))
            {
                // Not the message's fault: it waits for the database however long that takes, and is never dead-lettered.
                LogDatabaseUnavailable(logger, ex, Name, @event.EventId);
                await message.NakAsync(new AckOpts { NakDelay = _options.RetryDelay(deliveries) }, cancellationToken);
                return;
            }

            if (deliveries >= _options.MaxDeliver)
            {
                await DeadLetterAsync(message, deliveries, ex, cancellationToken);
            }
            else
            {
                LogHandlerFailed(logger, ex, Name, @event.EventId, deliveries);
                await message.NakAsync(new AckOpts { NakDelay = _options.RetryDelay(deliveries) }, cancellationToken);
            }

            return;
        }

        MessagingTelemetry.Processed.Add(1, new KeyValuePair<string, object?>("consumer", Name),
            new KeyValuePair<string, object?>("outcome", result.ToString()));
        if (result == HandleResult.RetryLater)
        {
            if (deliveries >= _options.MaxEarlyDeliveries)
            {
                await DeadLetterAsync(message, deliveries,
                    new InvalidOperationException("The event stayed ahead of its version for too long."), cancellationToken);
                return;
            }

            await message.NakAsync(new AckOpts { NakDelay = TimeSpan.FromMilliseconds(Math.Min(1000, 20 * deliveries)) }, cancellationToken);
            return;
        }

        await message.AckAsync(cancellationToken: cancellationToken);
    }

    /// <summary>The effect and the inbox record in one transaction; a duplicate changes nothing.</summary>
    internal async Task<HandleResult> ApplyOnceAsync(TEvent @event, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Set<InboxMessage>().AnyAsync(m => m.Consumer == Name && m.EventId == @event.EventId, cancellationToken))
        {
            return HandleResult.Ignored;
        }

        var result = await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(@event, cancellationToken);
        if (result == HandleResult.RetryLater)
        {
            await transaction.RollbackAsync(cancellationToken);
            return result;
        }

        db.Set<InboxMessage>().Add(new InboxMessage(Name, @event.EventId, time.GetUtcNow()));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique
                                           && unique.TableName == "inbox_messages")
        {
            // Another replica applied the same event concurrently (a redelivery raced the first delivery).
            return HandleResult.Ignored;
        }

        return result;
    }

    private async Task DeadLetterAsync(INatsJSMsg<byte[]> message, int deliveries, Exception error, CancellationToken cancellationToken)
    {
        LogDeadLettered(logger, error, Name, message.Subject, deliveries);
        var sequence = message.Metadata?.Sequence.Stream ?? 0;
        await bus.PublishAsync(Subjects.DeadLetter(Name, message.Subject), Guid.Empty, message.Data ?? [], traceParent: null, cancellationToken,
            extraHeaders:
            [
                new(ConsumerHeader, Name),
                new(SubjectHeader, message.Subject),
                new(DeliveriesHeader, deliveries.ToString()),
                new(ErrorHeader, $"{error.GetType().Name}: {error.Message}".ReplaceLineEndings(" ")),
            ],
            msgId: $"{Name}:{sequence}");
        await message.AckTerminateAsync(cancellationToken: cancellationToken);
        MessagingTelemetry.DeadLettered.Add(1, new KeyValuePair<string, object?>("consumer", Name));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} failed; restarting in {Delay}")]
    private static partial void LogConsumerFailed(ILogger logger, Exception exception, string consumer, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} cannot reach its database for event {EventId}; it will be retried")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception, string consumer, Guid eventId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} failed on event {EventId} (delivery {Deliveries}); it will be retried")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string consumer, Guid eventId, int deliveries);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} moved a message on {Subject} to the dead-letter stream after {Deliveries} deliveries")]
    private static partial void LogDeadLettered(ILogger logger, Exception exception, string consumer, string subject, int deliveries);
}
