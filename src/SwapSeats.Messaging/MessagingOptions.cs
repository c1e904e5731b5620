using System.ComponentModel.DataAnnotations;

namespace SwapSeats.Messaging;

public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>Names this service's durable consumers (<c>{service}-{subject}</c>) and its NATS connection.</summary>
    [Required] public string ServiceName { get; set; } = "";

    /// <summary>NATS URL, from <c>ConnectionStrings:nats</c>.</summary>
    [Required] public string Url { get; set; } = "";

    /// <summary>This service's NATS user, from <c>Nats:User</c> and <c>Nats:Password</c> (none: no auth).</summary>
    public ServiceDefaults.NatsCredentials Credentials { get; set; } = new();

    /// <summary>Deliveries of a message whose handler keeps failing before it goes to the dead-letter stream.</summary>
    [Range(1, 1000)] public int MaxDeliver { get; set; } = 5;

    /// <summary>
    /// How long an event that arrived ahead of its predecessor (a version gap) waits for it, counted from when it was
    /// published, before it is dead-lettered. The predecessor may be held up in another service's outbox (its NATS or
    /// database down for a while), so this is generous; a warning is logged and a metric counted all the while.
    /// </summary>
    public TimeSpan EarlyWaitLimit { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An early event still waiting after this long is logged as a warning (then about once a minute).</summary>
    public TimeSpan EarlyWaitWarning { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long NATS waits for an ack before it redelivers (a consumer that died mid-message).</summary>
    public TimeSpan AckWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First retry delay after a failure; doubles per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Safety net only: a commit wakes the relay at once; this catches rows another replica committed.</summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(1, 10_000)] public int OutboxBatchSize { get; set; } = 200;

    /// <summary>Applied-event records are deleted after this long; keep it above the event stream's 30-day MaxAge.</summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(31);

    /// <summary>Published outbox rows are deleted after this long.</summary>
    public TimeSpan OutboxRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Copies of each stream in a NATS cluster: 3 survives the loss of a server; 1 on a single server.</summary>
    [Range(1, 5)] public int StreamReplicas { get; set; } = 1;

    /// <summary>JetStream drops a message whose id it has seen within this window.</summary>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan RetryDelay(int attempt) => ServiceDefaults.Backoff.Delay(attempt, RetryBaseDelay, MaxRetryDelay);
}
