using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using SwapSeats.Contracts;

namespace SwapSeats.Messaging;

/// <summary>
/// This process's connection to NATS JetStream: declares the streams (idempotently) and publishes with
/// de-duplication ids. The NATS client reconnects by itself; callers retry what fails meanwhile.
/// </summary>
public sealed class NatsBus : IAsyncDisposable
{
    public const string MsgIdHeader = "Nats-Msg-Id";
    public const string TraceParentHeader = "traceparent";

    private readonly MessagingOptions _options;
    private readonly ILogger<NatsBus> _logger;
    private readonly SemaphoreSlim _streamsLock = new(1, 1);
    private volatile bool _streamsReady;
    private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously); // replaced at each (re)connect

    public NatsBus(IOptions<MessagingOptions> options, ILogger<NatsBus> logger)
    {
        _options = options.Value;
        _logger = logger;
        Connection = new NatsConnection(_options.Credentials.Apply(new NatsOpts
        {
            Url = _options.Url,
            Name = _options.ServiceName,
            RequestTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            MaxReconnectRetry = -1,
        }));
        JetStream = new NatsJSContext(Connection);
        Connection.ConnectionOpened += (_, _) =>
        {
            Interlocked.Exchange(ref _opened, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            return ValueTask.CompletedTask;
        };
    }

    public NatsConnection Connection { get; }

    public INatsJSContext JetStream { get; }

    /// <summary>Creates or updates the event and dead-letter streams; once per process unless it fails.</summary>
    public async Task EnsureStreamsAsync(CancellationToken cancellationToken)
    {
        if (_streamsReady)
        {
            return;
        }

        await _streamsLock.WaitAsync(cancellationToken);
        try
        {
            if (_streamsReady)
            {
                return;
            }

            await JetStream.CreateOrUpdateStreamAsync(new StreamConfig(Subjects.EventStream, Subjects.EventStreamSubjects)
            {
                Storage = StreamConfigStorage.File,
                Retention = StreamConfigRetention.Limits,
                DuplicateWindow = _options.DuplicateWindow,
                MaxAge = TimeSpan.FromDays(30),
                NumReplicas = _options.StreamReplicas,
            }, cancellationToken);
            await JetStream.CreateOrUpdateStreamAsync(new StreamConfig(Subjects.DeadLetterStream, [$"{Subjects.DeadLetterPrefix}.>"])
            {
                Storage = StreamConfigStorage.File,
                DuplicateWindow = _options.DuplicateWindow,
                MaxAge = TimeSpan.FromDays(90),
                NumReplicas = _options.StreamReplicas,
            }, cancellationToken);
            _streamsReady = true;
            _logger.LogInformation("JetStream streams {EventStream} and {DeadLetterStream} are ready", Subjects.EventStream, Subjects.DeadLetterStream);
        }
        finally
        {
            _streamsLock.Release();
        }
    }

    /// <summary>Publishes and waits for JetStream's ack. A duplicate id within the window is acked without a copy.</summary>
    public async Task PublishAsync(string subject, Guid eventId, byte[] payload, string? traceParent, CancellationToken cancellationToken,
        IEnumerable<KeyValuePair<string, string>>? extraHeaders = null, string? msgId = null)
    {
        await EnsureStreamsAsync(cancellationToken);
        await SendAsync(subject, eventId, payload, traceParent, extraHeaders, msgId, cancellationToken);
    }

    /// <summary>
    /// Publishes a batch pipelined: every message is sent before the first ack is awaited (one connection keeps them in
    /// order), then the acks are checked in order. Given up on as soon as the connection is lost (or not tried while it
    /// is): a publish would otherwise wait for the reconnect, and the relay with it, its rows locked in an open
    /// transaction. Not on a timer: under an overload acks come late, and a batch given up on then only adds to it.
    /// A publish given up on may still reach the stream; sent again, it is dropped as a duplicate of its id.
    /// </summary>
    /// <returns>How many of the batch, from its start, JetStream acknowledged, and what stopped the rest (null if none).</returns>
    public async Task<(int Acknowledged, Exception? Failure)> PublishBatchAsync(
        IReadOnlyList<(string Subject, Guid EventId, byte[] Payload, string? TraceParent)> batch, CancellationToken cancellationToken)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ValueTask OnDisconnected(object? sender, NatsEventArgs args)
        {
            try
            {
                lost.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The batch had ended as the connection dropped.
            }

            return ValueTask.CompletedTask;
        }

        Connection.ConnectionDisconnected += OnDisconnected;
        try
        {
            try
            {
                // Nothing of the batch goes out while NATS is away; the streams' declaration (the process's first
                // JetStream request) waits for a lost connection like a publish would, so it too runs under the watch.
                if (Connection.ConnectionState != NatsConnectionState.Open)
                {
                    await Connection.ConnectAsync().AsTask().WaitAsync(Connection.Opts.ConnectTimeout, cancellationToken);
                }

                await EnsureStreamsAsync(lost.Token);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return (0, ex); // nothing of the batch went out
            }

            return await SendBatchAsync(batch, lost.Token, cancellationToken);
        }
        finally
        {
            Connection.ConnectionDisconnected -= OnDisconnected;
        }
    }

    /// <summary>
    /// Waits out a worker's backoff after a failed round; while NATS is away, only until it is back — the relay's
    /// backlog goes out, and a consumer reads again, the moment NATS reconnects, not up to
    /// <see cref="MessagingOptions.MaxRetryDelay"/> later. A failure with NATS there (the database) waits the whole backoff.
    /// </summary>
    public async Task BackOffAsync(TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        var back = Volatile.Read(ref _opened).Task; // read before the state, so a reconnect in between is not missed
        if (Connection.ConnectionState == NatsConnectionState.Open)
        {
            await Task.Delay(wait, time, cancellationToken);
            return;
        }

        using var backoff = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, time, backoff.Token);
        await Task.WhenAny(delay, back);
        await backoff.CancelAsync(); // the timer goes with it when NATS came back first
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task<(int Acknowledged, Exception? Failure)> SendBatchAsync(
        IReadOnlyList<(string Subject, Guid EventId, byte[] Payload, string? TraceParent)> batch, CancellationToken lost, CancellationToken cancellationToken)
    {
        var pending = new Task[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            pending[i] = SendAsync(batch[i].Subject, batch[i].EventId, batch[i].Payload, batch[i].TraceParent, null, null, lost);
        }

        var acknowledged = 0;
        Exception? failure = null;
        foreach (var publish in pending)
        {
            try
            {
                await publish;
                if (failure is null)
                {
                    acknowledged++;
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Only the prefix before the first failure counts as sent; later ones that got through are sent again
                // and dropped by the stream as duplicates of their id.
                failure ??= ex;
            }
        }

        return (acknowledged, failure);
    }

    /// <summary>Publishes to a stream that must exist already (the dead-letter tool never declares streams).</summary>
    internal async Task SendAsync(string subject, Guid eventId, byte[] payload, string? traceParent,
        IEnumerable<KeyValuePair<string, string>>? extraHeaders, string? msgId, CancellationToken cancellationToken)
    {
        using var activity = MessagingTelemetry.Source.StartActivity($"{subject} publish", ActivityKind.Producer,
            MessagingTelemetry.ParentFrom(traceParent));
        activity?.SetTag("messaging.system", "nats");
        activity?.SetTag("messaging.destination.name", subject);
        activity?.SetTag("messaging.message.id", eventId.ToString());

        var headers = new NatsHeaders { [MsgIdHeader] = msgId ?? eventId.ToString() };
        var parent = activity?.Id ?? traceParent;
        if (parent is not null)
        {
            headers[TraceParentHeader] = parent;
        }

        foreach (var (key, value) in extraHeaders ?? [])
        {
            headers[key] = value;
        }

        var ack = await JetStream.PublishAsync(subject, payload, headers: headers, cancellationToken: cancellationToken);
        try
        {
            ack.EnsureSuccess();
        }
        catch (NatsJSDuplicateMessageException)
        {
            // The stream already holds this message (an earlier attempt got through before we saw its ack).
            activity?.SetTag("messaging.nats.duplicate", true);
        }
    }

    public async Task PublishAsync<TEvent>(TEvent @event, CancellationToken cancellationToken) where TEvent : IIntegrationEvent =>
        await PublishAsync(TEvent.Subject, @event.EventId, EventJson.Serialize(@event), Activity.Current?.Id, cancellationToken);

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    internal static string Text(byte[]? payload) => payload is null ? "" : Encoding.UTF8.GetString(payload);
}

/// <summary>Ready only while NATS answers a ping.</summary>
internal sealed class NatsHealthCheck(NatsBus bus) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await bus.Connection.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("NATS is not reachable.", ex);
        }
    }
}
