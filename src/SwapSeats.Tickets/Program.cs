using SwapSeats.Tickets;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.ServiceDefaults;
using SwapSeats.Tickets.Api;
using SwapSeats.Tickets.Data;
using SwapSeats.Tickets.Events;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
TicketsOptions.AddTicketsOptions(builder);
builder.AddServiceDatabase<TicketsDbContext>("tickets");
builder.AddMessaging<TicketsDbContext>("tickets")
    .AddConsumer<OrderCreated, OrderCreatedHandler>()
    .AddConsumer<OrderCancelled, OrderCancelledHandler>()
    .AddConsumer<OrderCompleted, OrderCompletedHandler>();

var app = builder.Build();
if (await app.MigrateDatabaseAsync<TicketsDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapEventsApi();
app.MapTicketsApi();

await app.RunAsync();

public partial class Program;
