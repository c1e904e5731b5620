using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using SwapSeats.Messaging;
using SwapSeats.Notifications.Data;
using SwapSeats.Notifications.Domain;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Notifications.Sending;

/// <summary>
/// Delivers queued emails over SMTP (MailKit) on one connection, kept between batches while it is in use
/// (<see cref="KeepConnectionFor"/>): each batch checks it with a NOOP instead of connecting, greeting and quitting. Claimed with <c>FOR UPDATE SKIP LOCKED</c> and a
/// lease (<see cref="NotificationsOptions.SendLease"/>), so replicas never send one email twice; each is marked sent as
/// soon as the server accepts it. While the server is
/// unreachable every email waits with backoff and none is lost. Woken by a committed email that is due (new, or whose
/// address just arrived); otherwise sleeps until the next retry.
/// </summary>
public sealed partial class EmailSender(
    IServiceScopeFactory scopes, CommitSignal<Email> queued, IOptions<NotificationsOptions> options, TimeProvider time,
    ILogger<EmailSender> logger) : Worker(logger, time)
{
    public const int BatchSize = 50;

    /// <summary>How long an idle connection is kept for the next batch; after that the next batch opens a new one.</summary>
    public static readonly TimeSpan KeepConnectionFor = TimeSpan.FromSeconds(30);

    // Only the worker's loop uses it (one batch at a time), then StopAsync once the loop has ended.
    private SmtpClient? _connection;
    private DateTimeOffset _idleSince;

    public static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);

    private readonly NotificationsOptions.SmtpOptions _smtp = options.Value.Smtp;

    private readonly TimeSpan _lease = options.Value.SendLease;

    protected override TimeSpan LongestRetry => TimeSpan.FromSeconds(5);

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        Round round;
        while ((round = await SendDueAsync(cancellationToken)).Tried == BatchSize)
        {
        }

        // Only an unreachable server ends the loop on a full batch, whose claim did not read the queue: read it on its own.
        var (waiting, next) = round.Waiting is { } known ? (known, round.NextDue) : await QueueAsync(cancellationToken);
        var now = Time.GetUtcNow();
        var wait = MessagingTelemetry.SleepUntilDue("emails", next, now, MaxSleep, waiting);
        // Due but claimed by another replica (SKIP LOCKED), or the server is away: not ours to spin on.
        return SleepUntil(now, round.Tried == 0 && wait < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : wait);
    }

    /// <summary>
    /// What a round tried (0 when the server was unreachable: nothing was), and what it leaves waiting: how many emails
    /// (the queue an operator watches) and the next one due — null when a full batch's claim skipped reading them.
    /// </summary>
    private readonly record struct Round(int Tried, long? Waiting, DateTimeOffset? NextDue);

    protected override Task IdleAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        queued.WaitUntilAsync(WakeAt(wait), Time, cancellationToken);

    /// <summary>
    /// Claims up to a batch of due emails and, in the same statement, reads what else waits (the main query reads the
    /// table as it was before the claim, so the claimed rows are left out by id): one round trip where a claim and a
    /// count after the sends took two. A full batch skips that read (a one-time filter): a backlog is drained without
    /// a scan of the whole queue per batch. What the batch leaves waiting is known here — an email that failed or was not
    /// tried — and emails committed meanwhile wake the worker through the commit signal.
    /// </summary>
    private const string ClaimSql = """
        WITH claimed AS (
            UPDATE emails SET due_at = $1
            WHERE id IN (SELECT id FROM emails WHERE due_at <= $2 AND to_address IS NOT NULL
                         ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING id, cause_event_id, kind, recipient_id, to_address, subject, text_body, html_body, created_at, attempts, last_error)
        SELECT id, cause_event_id, kind, recipient_id, to_address, subject, text_body, html_body, created_at, attempts, last_error,
               NULL::bigint, NULL::timestamptz
        FROM claimed
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*), min(due_at)
        FROM emails WHERE due_at IS NOT NULL AND to_address IS NOT NULL AND id NOT IN (SELECT id FROM claimed)
                      AND (SELECT count(*) FROM claimed) < $3
        """;

    /// <summary>
    /// Writes what the sender changed on an email (<see cref="Email.Sent"/>, Failed, Retry, Undeliverable). A row already
    /// marked sent is left alone: a sender whose lease ran out must not make another's sent email due again.
    /// </summary>
    private const string WriteSql =
        "UPDATE emails SET attempts = $1, sent_at = $2, due_at = $3, last_error = $4 WHERE id = $5 AND sent_at IS NULL";

    private async Task<Round> SendDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var now = Time.GetUtcNow();
        // Claimed by a lease, not by a transaction held while talking to the server: each email is marked sent the
        // moment SMTP accepts it, so a crash resends at most the one in flight (a rolled-back batch would resend all).
        // Rows of a replica that died fall due again when its lease ends, and another replica sends them.
        var leaseEnds = now + _lease;
        var rows = await PlainSql.ReadAsync(db, ClaimSql, row => ClaimRow.Read(row, leaseEnds), cancellationToken, leaseEnds, now, BatchSize);
        var others = rows.Single(r => r.Email is null);
        var due = rows.Where(r => r.Email is not null).Select(r => r.Email!).OrderBy(e => e.Id).ToList();
        if (due.Count == 0)
        {
            return new Round(0, others.Waiting, others.Next);
        }

        SmtpClient smtp;
        try
        {
            smtp = await ConnectedAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The server is away: every email of the batch waits and is tried again.
            due.ForEach(e => e.Failed(ex.Message, now));
            LogUnreachable(logger, ex, _smtp.Host, _smtp.Port, due.Count);
            await WriteAsync(db, due);
            return Left(due, others) with { Tried = 0 };
        }

        var connected = true;
        var unsent = new List<Email>();
        foreach (var email in due)
        {
            if (!connected || cancellationToken.IsCancellationRequested || leaseEnds - Time.GetUtcNow() < _smtp.Timeout)
            {
                // The connection dropped, the service stops, or the lease could run out during the next send: the
                // rest is due again now, untried.
                email.Retry(now);
                unsent.Add(email);
                continue;
            }

            MimeMessage message;
            try
            {
                message = Message(email);
            }
            catch (ParseException ex)
            {
                // An address the sign-up accepted but SMTP cannot take: never sent, and never in the way of the rest.
                email.Undeliverable($"Invalid address: {ex.Message}");
                unsent.Add(email);
                continue;
            }

            try
            {
                await smtp.SendAsync(message, CancellationToken.None);
                email.Sent(now);
                // Marked at once, even while the service stops: a lost mark is the only way an email goes out twice
                // (the Message-ID then says it is the same one).
                await WriteAsync(db, [email]);
            }
            catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or IOException or MailKit.ServiceNotConnectedException)
            {
                email.Failed(ex.Message, now);
                unsent.Add(email);
                LogFailed(logger, ex, email.Id, email.Attempts);
                connected = smtp.IsConnected;
            }
        }

        if (unsent.Count > 0)
        {
            await WriteAsync(db, unsent);
        }

        if (connected && smtp.IsConnected)
        {
            _idleSince = Time.GetUtcNow();
        }
        else
        {
            await DropConnectionAsync();
        }

        return Left(due, others);
    }

    /// <summary>A row of <see cref="ClaimSql"/>: a claimed email, or (Email null) how many others wait and the next one due.</summary>
    private readonly record struct ClaimRow(Email? Email, long Waiting, DateTimeOffset? Next)
    {
        public static ClaimRow Read(Npgsql.NpgsqlDataReader row, DateTimeOffset leaseEnds) => row.IsDBNull(0)
            ? new ClaimRow(null, row.GetInt64(11), row.IsDBNull(12) ? null : row.GetFieldValue<DateTimeOffset>(12))
            : new ClaimRow(Email.Claimed(row.GetGuid(0), row.GetGuid(1), row.GetString(2), row.GetGuid(3), row.GetString(4),
                new Composed(row.GetString(5), row.GetString(6), row.GetString(7)), row.GetFieldValue<DateTimeOffset>(8), row.GetInt32(9),
                row.IsDBNull(10) ? null : row.GetString(10), leaseEnds), 0, null);
    }

    /// <summary>What waits after a batch: the emails the claim left, and those of the batch that are due again.</summary>
    private static Round Left(List<Email> batch, ClaimRow others)
    {
        if (batch.Count == BatchSize)
        {
            return new Round(batch.Count, null, null); // the claim skipped the queue; the loop goes on, or reads it
        }

        var waiting = others.Waiting;
        var next = others.Next;
        foreach (var email in batch.Where(e => e.DueAt is not null))
        {
            waiting++;
            next = next is null || email.DueAt < next ? email.DueAt : next;
        }

        return new Round(batch.Count, waiting, next);
    }

    /// <summary>The kept connection if the server still answers on it, otherwise a new one.</summary>
    private async Task<SmtpClient> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsConnected: true } kept && Time.GetUtcNow() - _idleSince < KeepConnectionFor)
        {
            try
            {
                await kept.NoOpAsync(cancellationToken);
                return kept;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The server closed it (restarted, or timed it out), or it hangs: a new one below.
            }
        }

        await DropConnectionAsync();
        var smtp = new SmtpClient { Timeout = (int)_smtp.Timeout.TotalMilliseconds };
        try
        {
            await smtp.ConnectAsync(await OpenSocketAsync(cancellationToken), _smtp.Host, _smtp.Port, _smtp.Security switch
            {
                "Required" => SecureSocketOptions.StartTls,
                "None" => SecureSocketOptions.None,
                _ => SecureSocketOptions.StartTlsWhenAvailable,
            }, cancellationToken);
            if (!string.IsNullOrEmpty(_smtp.User))
            {
                await smtp.AuthenticateAsync(_smtp.User, _smtp.Password ?? "", cancellationToken);
            }
        }
        catch
        {
            smtp.Dispose();
            throw;
        }

        _connection = smtp;
        return smtp;
    }

    private async Task DropConnectionAsync()
    {
        if (_connection is not { } connection)
        {
            return;
        }

        _connection = null;
        if (connection.IsConnected)
        {
            await connection.DisconnectAsync(quit: true, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        connection.Dispose();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Only once the loop has ended: when the host's shutdown timeout cut the wait short, a send may still be using
        // the connection, and the process's exit closes it instead.
        if (ExecuteTask is null or { IsCompleted: true })
        {
            await DropConnectionAsync();
        }
    }

    /// <summary>
    /// The connection to the SMTP server, with Nagle's algorithm off: an SMTP exchange is a chain of short writes each
    /// waiting for a reply, and MailKit writes a long message's last chunk and its closing dot separately, which Nagle
    /// holds back until the server's delayed ACK (40 ms on Linux). Measured with 8 KB messages on one connection:
    /// 68 ms per email with Nagle, 4 ms without.
    /// </summary>
    private async Task<System.Net.Sockets.Socket> OpenSocketAsync(CancellationToken cancellationToken)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_smtp.Timeout);
            await socket.ConnectAsync(_smtp.Host, _smtp.Port, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private MimeMessage Message(Email email)
    {
        var message = new MimeMessage
        {
            MessageId = email.MessageId,
            Subject = email.Subject,
            Body = new BodyBuilder { TextBody = email.Text, HtmlBody = email.Html }.ToMessageBody(),
        };
        message.From.Add(MailboxAddress.Parse(_smtp.From));
        message.To.Add(MailboxAddress.Parse(email.To!));
        message.Date = email.CreatedAt;
        return message;
    }

    /// <summary>
    /// Writes the emails' outcomes by their keys, in one round trip: the sender never tracks them in EF (a SaveChanges per
    /// email — change detection, command building — cost it more than the email).
    /// </summary>
    private static Task WriteAsync(NotificationsDbContext db, IReadOnlyList<Email> emails) =>
        PlainSql.ExecuteForEachAsync(db, WriteSql, emails.Select(e => new object?[] { e.Attempts, e.SentAt, e.DueAt, e.LastError, e.Id }).ToList(),
            CancellationToken.None);

    /// <summary>How many emails wait and when the next is due, read on its own: after a full batch, whose claim skipped it.</summary>
    private async Task<(long Waiting, DateTimeOffset? Next)> QueueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        return (await PlainSql.ReadAsync(db, "SELECT count(*), min(due_at) FROM emails WHERE due_at IS NOT NULL AND to_address IS NOT NULL",
            row => (row.GetInt64(0), row.IsDBNull(1) ? (DateTimeOffset?)null : row.GetFieldValue<DateTimeOffset>(1)), cancellationToken)).Single();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMTP server {Host}:{Port} unreachable; {Count} emails wait")]
    private static partial void LogUnreachable(ILogger logger, Exception exception, string host, int port, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email {EmailId} was refused (attempt {Attempts}); it is tried again")]
    private static partial void LogFailed(ILogger logger, Exception exception, Guid emailId, int attempts);
}
