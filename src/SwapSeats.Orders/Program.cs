using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.Orders.Api;
using SwapSeats.Orders.Data;
using SwapSeats.Orders.Events;
using SwapSeats.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
OrdersOptions.AddOrdersOptions(builder);
builder.AddServiceDatabase<OrdersDbContext>("orders");
builder.Services.AddSingleton<SharedLookUps<OrdersApi.TicketLook>>();
builder.AddMessaging<OrdersDbContext>("orders")
    .AddConsumer<TicketCreated, TicketCreatedHandler>()
    .AddConsumer<TicketUpdated, TicketUpdatedHandler>()
    .AddConsumer<ExpirationComplete, ExpirationCompleteHandler>()
    .AddConsumer<PaymentCreated, PaymentCreatedHandler>()
    .AddConsumer<PaymentFailed, PaymentFailedHandler>();

var app = builder.Build();
if (await app.MigrateDatabaseAsync<OrdersDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapOrdersApi();

await app.RunAsync();

public partial class Program;
