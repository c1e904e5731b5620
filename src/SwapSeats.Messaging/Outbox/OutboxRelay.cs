using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using SwapSeats.ServiceDefaults;

namespace SwapSeats.Messaging.Outbox;

/// <summary>
/// Drains the outbox into JetStream in commit order: publishes a batch of pending rows pipelined, each with its event
/// id as <c>Nats-Msg-Id</c>, then checks the acks in order and marks the acknowledged ones sent in one statement. While NATS is away it retries with backoff; a crash between
/// publish and mark only causes a re-publish, which the stream drops as a duplicate. Rows are claimed with
/// <c>FOR UPDATE SKIP LOCKED</c>, so replicas of one service never publish the same row concurrently.
/// </summary>
public sealed class OutboxRelay<TContext>(
    IServiceScopeFactory scopes, NatsBus bus, CommitSignal<OutboxMessage> signal, IOptions<MessagingOptions> options,
    TimeProvider time, ILogger<OutboxRelay<TContext>> logger) : Worker(logger, time)
    where TContext : DbContext
{
    private readonly MessagingOptions _options = options.Value;

    protected override TimeSpan FirstRetry => _options.RetryBaseDelay;

    protected override TimeSpan LongestRetry => _options.MaxRetryDelay;

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken) =>
        await PublishBatchAsync(cancellationToken) ? TimeSpan.Zero : _options.OutboxPollInterval;

    /// <summary>Idle until a commit with an outbox row wakes it (the poll interval only catches other replicas' rows).</summary>
    protected override Task IdleAsync(TimeSpan wait, CancellationToken cancellationToken) => signal.WaitAsync(wait, cancellationToken);

    /// <summary>After a failed round: only until NATS is back, while it is away (<see cref="NatsBus.BackOffAsync"/>).</summary>
    protected override Task RetryAsync(TimeSpan wait, CancellationToken cancellationToken) => bus.BackOffAsync(wait, Time, cancellationToken);

    /// <summary>Publishes one batch, pipelined; true when a full batch went out and more may be waiting.</summary>
    internal async Task<bool> PublishBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Claimed and marked sent in one statement; the mark commits only after the acks, so an event that did not go
        // out is never marked (a crash rolls the mark back; a failed publish un-marks the rest below).
        var now = Time.GetUtcNow();
        var batch = await PlainSql.ReadAsync(db, """
                UPDATE outbox_messages SET sent_at = $1
                WHERE id IN (SELECT id FROM outbox_messages WHERE sent_at IS NULL ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
                RETURNING id, event_id, subject, payload, trace_parent
                """, row => new Claimed(row.GetInt64(0), row.GetGuid(1), row.GetString(2), row.GetString(3), row.IsDBNull(4) ? null : row.GetString(4)),
            cancellationToken, now, _options.OutboxBatchSize);
        if (batch.Count == 0)
        {
            MessagingTelemetry.SetOutboxPending(_options.ServiceName, 0);
            return false;
        }

        batch.Sort((a, b) => a.Id.CompareTo(b.Id)); // RETURNING has no order of its own
        var (sent, failure) = await bus.PublishBatchAsync(
            batch.Select(m => (m.Subject, m.EventId, Encoding.UTF8.GetBytes(m.Payload), m.TraceParent)).ToList(), cancellationToken);
        if (sent == 0)
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
        else
        {
            if (sent < batch.Count)
            {
                // Only the acknowledged prefix stays marked: later rows must not overtake a failed one.
                await PlainSql.ExecuteAsync(db, "UPDATE outbox_messages SET sent_at = NULL WHERE id = ANY($1)", CancellationToken.None,
                    batch.Skip(sent).Select(m => m.Id).ToArray());
            }

            await transaction.CommitAsync(cancellationToken);
        }

        MessagingTelemetry.Published.Add(sent, new KeyValuePair<string, object?>("service", _options.ServiceName));
        // The backlog gauge: a short batch that all went out emptied the outbox as far as this replica can see, so the
        // count (a query per publish round on the hot path) is only needed when rows may be left behind.
        MessagingTelemetry.SetOutboxPending(_options.ServiceName, batch.Count < _options.OutboxBatchSize && failure is null
            ? 0
            : await db.Set<OutboxMessage>().CountAsync(m => m.SentAt == null, cancellationToken));

        if (failure is not null)
        {
            throw new InvalidOperationException($"Publishing the outbox stopped after {sent} of {batch.Count} events.", failure);
        }

        return batch.Count == _options.OutboxBatchSize;
    }

    private sealed record Claimed(long Id, Guid EventId, string Subject, string Payload, string? TraceParent);
}
