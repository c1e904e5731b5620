using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace SwapSeats.ServiceDefaults;

/// <summary>
/// The sessions ended at sign-out, as this process knows them: a copy of every entry of the JetStream key-value bucket
/// <see cref="Bucket"/> (key: the token's <c>sid</c>; value: the token's expiry in Unix seconds), kept in memory by a
/// watch so that checking a request costs a dictionary look-up, never a call to auth. An entry lives in the bucket as
/// long as a session can (the bucket's MaxAge is the token lifetime), and here until the token it names has expired.
/// </summary>
public sealed class SessionRevocations(TimeProvider time)
{
    public const string Bucket = "sessions-revoked";

    private readonly ConcurrentDictionary<string, long> _revoked = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextPrune;

    /// <summary>The whole bucket has been read once: until then no session can be trusted (a request with one is a 503).</summary>
    public bool IsLoaded => _loaded.Task.IsCompleted;

    public Task Loaded => _loaded.Task;

    public int Count => _revoked.Count;

    public bool IsRevoked(string sessionId) => _revoked.ContainsKey(sessionId);

    internal void Add(string sessionId, long expiresUnixSeconds)
    {
        _revoked[sessionId] = expiresUnixSeconds;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (now >= Interlocked.Read(ref _nextPrune))
        {
            // A token past its expiry is refused anyway: forget its revocation (at most once a minute, on a write).
            Interlocked.Exchange(ref _nextPrune, now + 60);
            foreach (var (id, expires) in _revoked)
            {
                if (expires < now - 60)
                {
                    _revoked.TryRemove(id, out _);
                }
            }
        }
    }

    internal void MarkLoaded() => _loaded.TrySetResult();

    /// <summary>The bucket as every process declares it when it is missing; auth sets MaxAge to the token lifetime.</summary>
    public static NatsKVConfig BucketConfig(TimeSpan tokenLifetime, int replicas) => new(Bucket)
    {
        Description = "Session ids revoked at sign-out; value = the token's expiry (Unix seconds)",
        History = 1,
        // A little longer than a token lives, so no revocation is forgotten while its token could still be presented.
        MaxAge = tokenLifetime + TimeSpan.FromMinutes(5),
        Storage = NatsKVStorageType.File,
        NumberOfReplicas = replicas,
    };

    /// <summary>Replicas of the bucket: as many as the event streams have (<c>Messaging:StreamReplicas</c>).</summary>
    public static int Replicas(IConfiguration configuration) => Math.Max(1, configuration.GetValue("Messaging:StreamReplicas", 1));

    public static string Value(DateTimeOffset expires) => expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// This process's way to the bucket: its own NATS connection (auth, web and the services share the code; the event bus
/// is not in every one of them). Auth writes revocations through it; every process watches through it.
/// </summary>
public sealed class SessionRevocationStore : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly NatsKVContext _kv;
    private readonly NatsKVConfig _config;
    private INatsKVStore? _store;

    public SessionRevocationStore(IOptions<SessionTokenOptions> options, IConfiguration configuration)
    {
        _connection = new NatsConnection(NatsCredentials.From(configuration).Apply(new NatsOpts
        {
            Url = configuration.GetConnectionString("nats")!,
            Name = $"{AppDomain.CurrentDomain.FriendlyName}-sessions",
            ConnectTimeout = TimeSpan.FromSeconds(3),
            RequestTimeout = TimeSpan.FromSeconds(5),
            MaxReconnectRetry = -1,
        }));
        _kv = new NatsKVContext(new NatsJSContext(_connection));
        _config = SessionRevocations.BucketConfig(options.Value.Lifetime, SessionRevocations.Replicas(configuration));
    }

    /// <summary>The bucket, declared if nobody has declared it yet.</summary>
    public async Task<INatsKVStore> OpenAsync(CancellationToken cancellationToken)
    {
        if (_store is { } store)
        {
            return store;
        }

        try
        {
            store = await _kv.GetStoreAsync(_config.Bucket, cancellationToken);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            store = await _kv.CreateStoreAsync(_config, cancellationToken);
        }

        return _store = store;
    }

    /// <summary>Declares the bucket as configured here, or brings its retention up to date (auth, at start).</summary>
    public async Task DeclareAsync(CancellationToken cancellationToken) =>
        _store = await _kv.CreateOrUpdateStoreAsync(_config, cancellationToken);

    /// <summary>Ends the session <paramref name="sessionId"/> everywhere; done once JetStream has stored it.</summary>
    public async Task RevokeAsync(string sessionId, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        var store = await OpenAsync(cancellationToken);
        await store.PutAsync(sessionId, SessionRevocations.Value(expires), cancellationToken: cancellationToken);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}

/// <summary>Keeps <see cref="SessionRevocations"/> in step with the bucket: reads it whole, then every new entry as it lands.</summary>
internal sealed partial class SessionRevocationWatcher(
    SessionRevocations revocations, SessionRevocationStore bucket, TimeProvider time, ILogger<SessionRevocationWatcher> logger)
    : Worker(logger, time)
{
    // What was read stays across a failure: a NATS outage after start does not sign everybody out; the watch resumes.
    protected override TimeSpan LongestRetry => TimeSpan.FromSeconds(5);

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        var store = await bucket.OpenAsync(cancellationToken);
        var watch = new NatsKVWatchOpts
        {
            IgnoreDeletes = true,
            OnNoData = _ =>
            {
                revocations.MarkLoaded(); // the bucket is empty
                return ValueTask.FromResult(false);
            },
        };
        await foreach (var entry in store.WatchAsync<string>(opts: watch, cancellationToken: cancellationToken))
        {
            if (entry.Operation == NatsKVOperation.Put
                && long.TryParse(entry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
            {
                revocations.Add(entry.Key, expires);
            }

            if (entry.Delta == 0)
            {
                if (!revocations.IsLoaded)
                {
                    LogLoaded(logger, revocations.Count);
                }

                revocations.MarkLoaded();
            }
        }

        return TimeSpan.Zero; // the watch ended (NATS went away): open it again
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Revoked sessions loaded ({Count})")]
    private static partial void LogLoaded(ILogger logger, int count);
}

/// <summary>Not ready until the revoked sessions are loaded: a load balancer sends no signed-in user here before that.</summary>
internal sealed class SessionRevocationHealthCheck(SessionRevocations revocations) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(revocations.IsLoaded
            ? HealthCheckResult.Healthy($"{revocations.Count} revoked sessions known")
            : HealthCheckResult.Unhealthy("The revoked sessions are not loaded yet (is NATS reachable?)"));
}

/// <summary>A request carries a session while this process cannot tell whether it was revoked: 503, try again.</summary>
public sealed class SessionsNotLoadedException()
    : DomainException("Sessions cannot be checked yet. Try again in a moment.", StatusCodes.Status503ServiceUnavailable);
