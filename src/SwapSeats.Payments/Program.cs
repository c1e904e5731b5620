using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.Payments.Api;
using SwapSeats.Payments.Data;
using SwapSeats.Payments.Domain;
using SwapSeats.Payments.Events;
using SwapSeats.Payments.Providers;
using SwapSeats.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
PaymentsOptions.AddPaymentProvider(builder);
builder.AddServiceDatabase<PaymentsDbContext>("payments");
builder.AddMessaging<PaymentsDbContext>("payments")
    .AddConsumer<OrderCreated, OrderCreatedHandler>()
    .AddConsumer<OrderCancelled, OrderCancelledHandler>()
    .AddConsumer<OrderCompleted, OrderCompletedHandler>()
    .AddConsumer<TicketCreated, TicketCreatedHandler>()
    .AddConsumer<TicketUpdated, TicketUpdatedHandler>();
builder.Services.AddCommitSignal<Refund>();
builder.Services.AddSingleton<RefundProcessor>();
builder.Services.AddHostedService(services => services.GetRequiredService<RefundProcessor>());
builder.Services.AddCommitSignal<Payout>();
builder.Services.AddSingleton<PayoutProcessor>();
builder.Services.AddHostedService(services => services.GetRequiredService<PayoutProcessor>());

var app = builder.Build();
if (await app.MigrateDatabaseAsync<PaymentsDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapPaymentsApi();
app.MapPayoutsApi();

await app.RunAsync();

public partial class Program;
