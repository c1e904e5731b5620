using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
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
        int sent;
        while ((sent = await SendDueAsync(cancellationToken)) == BatchSize)
        {
        }

        // Due but claimed by another replica (SKIP LOCKED): not ours to spin on while it talks to the server.
        var wait = await TimeUntilNextDueAsync(cancellationToken);
        return sent == 0 && wait < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : wait;
    }

    protected override Task IdleAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        queued.WaitUntilAsync(Time.GetUtcNow() + wait, Time, cancellationToken);

    /// <returns>How many emails were tried.</returns>
    private async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var now = Time.GetUtcNow();
        // Claimed by a lease, not by a transaction held while talking to the server: each email is marked sent the
        // moment SMTP accepts it, so a crash resends at most the one in flight (a rolled-back batch would resend all).
        // Rows of a replica that died fall due again when its lease ends, and another replica sends them.
        var leaseEnds = now + _lease;
        var due = await db.Emails.FromSql($"""
                UPDATE emails SET due_at = {leaseEnds}
                WHERE id IN (SELECT id FROM emails WHERE due_at <= {now} AND to_address IS NOT NULL
                             ORDER BY due_at LIMIT {BatchSize} FOR UPDATE SKIP LOCKED)
                RETURNING *
                """)
            .ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return 0;
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
            await db.SaveChangesAsync(CancellationToken.None);
            return 0;
        }

        var connected = true;
        foreach (var email in due)
        {
            if (!connected || cancellationToken.IsCancellationRequested || leaseEnds - Time.GetUtcNow() < _smtp.Timeout)
            {
                // The connection dropped, the service stops, or the lease could run out during the next send: the
                // rest is due again now, untried.
                email.Retry(now);
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
                continue;
            }

            try
            {
                await smtp.SendAsync(message, CancellationToken.None);
                email.Sent(now);
                // Marked at once, even while the service stops: a lost mark is the only way an email goes out twice
                // (the Message-ID then says it is the same one).
                await MarkSentAsync(db, email);
            }
            catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or IOException or MailKit.ServiceNotConnectedException)
            {
                email.Failed(ex.Message, now);
                LogFailed(logger, ex, email.Id, email.Attempts);
                connected = smtp.IsConnected;
            }
        }

        await db.SaveChangesAsync(CancellationToken.None);
        if (connected && smtp.IsConnected)
        {
            _idleSince = Time.GetUtcNow();
        }
        else
        {
            await DropConnectionAsync();
        }

        return due.Count;
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
    /// Writes what <see cref="Email.Sent"/> changed, in one plain statement: a SaveChanges per email (change detection,
    /// command building) cost the sender more than the email.
    /// </summary>
    private static async Task MarkSentAsync(NotificationsDbContext db, Email email)
    {
        await PlainSql.ExecuteAsync(db, "UPDATE emails SET attempts = $1, sent_at = $2, due_at = $3, last_error = $4 WHERE id = $5",
            CancellationToken.None, email.Attempts, email.SentAt, email.DueAt, email.LastError, email.Id);
        db.Entry(email).State = EntityState.Unchanged; // what the row holds now: the batch's last SaveChanges skips it
    }

    private async Task<TimeSpan> TimeUntilNextDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        // One statement: the next due email (to sleep until) and how many wait (the queue an operator watches).
        var queue = (await PlainSql.ReadAsync(db, "SELECT count(*), min(due_at) FROM emails WHERE due_at IS NOT NULL AND to_address IS NOT NULL",
            row => (Count: row.GetInt64(0), Next: row.IsDBNull(1) ? (DateTimeOffset?)null : row.GetFieldValue<DateTimeOffset>(1)), cancellationToken)).Single();
        return MessagingTelemetry.SleepUntilDue("emails", queue.Next, Time.GetUtcNow(), MaxSleep, queue.Count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMTP server {Host}:{Port} unreachable; {Count} emails wait")]
    private static partial void LogUnreachable(ILogger logger, Exception exception, string host, int port, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email {EmailId} was refused (attempt {Attempts}); it is tried again")]
    private static partial void LogFailed(ILogger logger, Exception exception, Guid emailId, int attempts);
}
