using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.Notifications;
using SwapSeats.Notifications.Data;
using SwapSeats.Notifications.Domain;
using SwapSeats.Notifications.Events;
using SwapSeats.Notifications.Sending;
using SwapSeats.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

// No public API: health, the replicas the emails are written from, and the sender.
builder.AddServiceDefaults(authentication: false);
NotificationsOptions.AddNotificationsOptions(builder);
builder.AddServiceDatabase<NotificationsDbContext>("notifications");
builder.AddMessaging<NotificationsDbContext>("notifications")
    .AddConsumer<UserCreated, UserCreatedHandler>()
    .AddConsumer<TicketCreated, TicketCreatedHandler>()
    .AddConsumer<TicketUpdated, TicketUpdatedHandler>()
    .AddConsumer<OrderCreated, OrderCreatedHandler>()
    .AddConsumer<OrderCancelled, OrderCancelledHandler>()
    .AddConsumer<PaymentCreated, PaymentCreatedHandler>()
    .AddConsumer<PaymentRefunded, PaymentRefundedHandler>()
    .AddConsumer<PayoutPaid, PayoutPaidHandler>();
builder.Services.AddSingleton(services => new EmailTemplates(services.GetRequiredService<IOptions<NotificationsOptions>>().Value.WebBaseUrl));
builder.Services.AddScoped<Mailbox>();
builder.Services.AddSingleton<KnownAddresses>();
builder.Services.AddCommitSignal<Email>();
builder.Services.AddSingleton<EmailSender>();
builder.Services.AddHostedService(services => services.GetRequiredService<EmailSender>());
builder.Services.AddCleanup<NotificationsDbContext>("emails", (scope, now, cancellationToken) =>
{
    var cutoff = now - scope.GetRequiredService<IOptions<NotificationsOptions>>().Value.SentRetention;
    return scope.GetRequiredService<NotificationsDbContext>().Emails.Where(e => e.SentAt != null && e.SentAt < cutoff).ExecuteDeleteAsync(cancellationToken);
});

var app = builder.Build();
if (await app.MigrateDatabaseAsync<NotificationsDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.MapDefaultEndpoints();

await app.RunAsync();

public partial class Program;
