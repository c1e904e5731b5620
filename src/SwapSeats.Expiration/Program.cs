using SwapSeats.Contracts;
using SwapSeats.Expiration.Data;
using SwapSeats.Expiration.Domain;
using SwapSeats.Expiration.Events;
using SwapSeats.Expiration.Scheduling;
using SwapSeats.Messaging;
using SwapSeats.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

// No public API: health, and the timers behind it.
builder.AddServiceDefaults(authentication: false);
ExpirationOptions.AddExpirationOptions(builder);
builder.AddServiceDatabase<ExpirationDbContext>("expiration");
builder.AddMessaging<ExpirationDbContext>("expiration")
    .AddConsumer<OrderCreated, OrderCreatedHandler>()
    .AddConsumer<OrderCancelled, OrderCancelledHandler>()
    .AddConsumer<OrderCompleted, OrderCompletedHandler>();
builder.Services.AddCommitSignal<ReservationTimer>();
builder.Services.AddSingleton<ExpirationScheduler>();
builder.Services.AddHostedService(services => services.GetRequiredService<ExpirationScheduler>());

var app = builder.Build();
if (await app.MigrateDatabaseAsync<ExpirationDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.MapDefaultEndpoints();

await app.RunAsync();

public partial class Program;
