using System.Collections.Concurrent;
using System.Text.Json;
using NATS.Client.Core;
using Npgsql;

namespace SwapSeats.Bench;

/// <summary>
/// Sees events as they are published: a plain NATS subscription on the event subjects (JetStream's messages reach core
/// subscribers too), so timing a propagation adds no request to the system being timed.
/// </summary>
public sealed class EventWatch : IAsyncDisposable
{
    private readonly NatsConnection _nats;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<DateTimeOffset>> _waits = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    private EventWatch(NatsConnection nats) => _nats = nats;

    public static async Task<EventWatch> StartAsync(string url)
    {
        var watch = new EventWatch(new NatsConnection(new NatsOpts { Url = url, SubPendingChannelCapacity = 100_000 }));
        await watch._nats.ConnectAsync();
        foreach (var subject in (string[])["ticket.updated", "order.created", "order.completed", "order.cancelled", "payment.created"])
        {
            var subscription = await watch._nats.SubscribeCoreAsync<byte[]>(subject, cancellationToken: watch._stop.Token);
            watch._loops.Add(Task.Run(() => watch.ReadAsync(subscription)));
        }

        await watch._nats.PingAsync(); // the subscriptions are registered at the server once the ping returns
        return watch;
    }

    /// <summary>
/// Completes with the (wall-clock) time the event arrived: <c>ticket.updated</c> keyed by id and status,
/// <c>payment.created</c> by its order's id, the rest by id.
/// </summary>
    public Task<DateTimeOffset> Next(string subject, string id, string? status = null) =>
        _waits.GetOrAdd(Key(subject, id, status), _ => new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Forget(string subject, string id, string? status = null) => _waits.TryRemove(Key(subject, id, status), out _);

    private static string Key(string subject, string id, string? status) => $"{subject}|{id}|{status}";

    private async Task ReadAsync(INatsSub<byte[]> subscription)
    {
        try
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(_stop.Token))
            {
                var at = DateTimeOffset.UtcNow;
                using var json = JsonDocument.Parse(message.Data);
                // A payment is awaited by its order (the payer knows the order before the payment's id).
                var id = json.RootElement.GetProperty(message.Subject == "payment.created" ? "orderId" : "id").GetString()!;
                var status = message.Subject == "ticket.updated" ? json.RootElement.GetProperty("status").GetString() : null;
                _waits.GetOrAdd(Key(message.Subject, id, status), _ => new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously))
                    .TrySetResult(at);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        await _nats.DisposeAsync();
    }
}

/// <summary>
/// Learns when a service's replica holds rows without asking for them over and over: a trigger the benchmark adds to the
/// watched table (in the throwaway database of its own system) sends the new row's id with <c>pg_notify</c>, which
/// PostgreSQL delivers once the service's transaction commits — the moment the row is there for everyone — and this
/// watch sleeps on one pooled connection until then. A slow poll for ids still awaited backs it up (a row written
/// before the trigger, a notification lost with a connection), so nothing is awaited for ever.
/// </summary>
public sealed class ReplicaWatch : IAsyncDisposable
{
    /// <summary>Looks for every id still awaited this often, in one query; the notifications come first.</summary>
    private static readonly TimeSpan BackupPoll = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _rows = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _table;
    private readonly string _channel;
    private long _queries;

    private ReplicaWatch(string service, string connectionString, string table)
    {
        Service = service;
        _table = table;
        _channel = $"bench_watch_{table}";
        _loop = Task.Run(() => ListenAsync(connectionString));
    }

    public static async Task<ReplicaWatch> StartAsync(string service, string connectionString, string table)
    {
        var watch = new ReplicaWatch(service, connectionString, table);
        await Task.WhenAny(watch._listening.Task, watch._loop);
        await watch._listening.Task; // rethrows why it could not start listening
        return watch;
    }

    /// <summary>The service whose database is watched; the cost meter takes these queries out of its counts.</summary>
    public string Service { get; }

    /// <summary>Queries sent so far (each is one statement and one transaction in the watched database).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    public const string Marker = "/* bench watch */";

    public Task Known(string id) => Row(Guid.Parse(id)).Task;

    /// <summary>Waits until every id is known.</summary>
    public Task AllKnown(IEnumerable<string> ids) => Task.WhenAll(ids.Select(Known));

    // Kept once known, so an id awaited after its row arrived completes at once.
    private TaskCompletionSource Row(Guid id) => _rows.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task ListenAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            connection.Notification += (_, e) =>
            {
                if (Guid.TryParse(e.Payload, out var id))
                {
                    Row(id).TrySetResult();
                }
            };
            await using (var setup = new NpgsqlCommand($"""
                {Marker} CREATE OR REPLACE FUNCTION {_channel}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM {Marker} pg_notify('{_channel}', NEW.id::text); RETURN NULL; END $$;
                DROP TRIGGER IF EXISTS {_channel} ON {_table};
                CREATE TRIGGER {_channel} AFTER INSERT ON {_table} FOR EACH ROW EXECUTE FUNCTION {_channel}();
                LISTEN {_channel};
                """, connection))
            {
                await setup.ExecuteNonQueryAsync(_stop.Token);
            }

            _listening.TrySetResult();
            await using var query = new NpgsqlCommand($"{Marker} SELECT id FROM {_table} WHERE id = ANY(@ids)", connection);
            var ids = new NpgsqlParameter<Guid[]>("ids", []);
            query.Parameters.Add(ids);
            while (!_stop.IsCancellationRequested)
            {
                // Notifications are dispatched while the connection waits; a quiet interval ends in the backup poll.
                if (await connection.WaitAsync(BackupPoll, _stop.Token))
                {
                    continue;
                }

                var awaited = _rows.Where(r => !r.Value.Task.IsCompleted).Select(r => r.Key).Take(20_000).ToArray();
                if (awaited.Length == 0)
                {
                    continue;
                }

                ids.TypedValue = awaited;
                Interlocked.Increment(ref _queries);
                await using var rows = await query.ExecuteReaderAsync(_stop.Token);
                while (await rows.ReadAsync(_stop.Token))
                {
                    Row(rows.GetGuid(0)).TrySetResult();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _listening.TrySetException(ex);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }
}
