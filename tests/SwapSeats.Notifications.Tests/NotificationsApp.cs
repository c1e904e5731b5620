using Microsoft.EntityFrameworkCore;
using SwapSeats.Notifications.Data;
using SwapSeats.Notifications.Domain;
using SwapSeats.Testing;

namespace SwapSeats.Notifications.Tests;

/// <summary>The notifications service in memory, against real NATS and PostgreSQL, sending to a real SMTP server in the test process.</summary>
public sealed class NotificationsApp : ServiceApp<Program>, IAsyncLifetime
{
    public const string Web = "https://swapseats.test";

    public NotificationsApp() : base("notifications")
    {
    }

    public SmtpSink Smtp { get; } = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Notifications:Smtp:Host"] = "127.0.0.1",
        ["Notifications:Smtp:Port"] = Smtp.Port.ToString(),
        ["Notifications:Smtp:Security"] = "None",
        ["Notifications:WebBaseUrl"] = Web,
    };

    async Task IAsyncLifetime.InitializeAsync()
    {
        await Smtp.StartAsync();
        await InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Smtp.DisposeAsync();
    }

    public Task<T> WithDbAsync<T>(Func<NotificationsDbContext, Task<T>> work) => WithDbAsync<NotificationsDbContext, T>(work);

    public Task<List<Email>> EmailsAsync(Guid recipient) =>
        WithDbAsync(db => db.Emails.AsNoTracking().Where(e => e.RecipientId == recipient).ToListAsync());
}
