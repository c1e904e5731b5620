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
        foreach (var subject in (string[])["ticket.updated", "order.completed", "order.cancelled"])
        {
            var subscription = await watch._nats.SubscribeCoreAsync<byte[]>(subject, cancellationToken: watch._stop.Token);
            watch._loops.Add(Task.Run(() => watch.ReadAsync(subscription)));
        }

        await watch._nats.PingAsync(); // the subscriptions are registered at the server once the ping returns
        return watch;
    }

    /// <summary>Completes with the (wall-clock) time the event arrived: <c>ticket.updated</c> keyed by id and status.</summary>
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
                var id = json.RootElement.GetProperty("id").GetString()!;
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
/// Learns when a service's replica holds rows: one pooled connection asks for every id still awaited in one query,
/// every few milliseconds and only while something is awaited — not a connection or a request per sample.
/// </summary>
public sealed class ReplicaWatch : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string _table;
    private long _queries;

    public ReplicaWatch(string service, string connectionString, string table, TimeSpan interval)
    {
        Service = service;
        _table = table;
        _loop = Task.Run(() => PollAsync(connectionString, interval));
    }

    /// <summary>The service whose database is watched; the cost meter takes these queries out of its counts.</summary>
    public string Service { get; }

    /// <summary>Queries sent so far (each is one statement and one transaction in the watched database).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    public const string Marker = "/* bench watch */";

    public Task Known(string id) =>
        _pending.GetOrAdd(Guid.Parse(id), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Waits until every id is known, with one query per round.</summary>
    public Task AllKnown(IEnumerable<string> ids) => Task.WhenAll(ids.Select(Known));

    private async Task PollAsync(string connectionString, TimeSpan interval)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand($"{Marker} SELECT id FROM {_table} WHERE id = ANY(@ids)", connection);
        var ids = new NpgsqlParameter<Guid[]>("ids", []);
        query.Parameters.Add(ids);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (!_pending.IsEmpty)
                {
                    ids.TypedValue = [.. _pending.Keys.Take(20_000)];
                    Interlocked.Increment(ref _queries);
                    await using var rows = await query.ExecuteReaderAsync(_stop.Token);
                    while (await rows.ReadAsync(_stop.Token))
                    {
                        if (_pending.TryRemove(rows.GetGuid(0), out var known))
                        {
                            known.TrySetResult();
                        }
                    }
                }

                await Task.Delay(interval, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }
}
