using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SwapSeats.Contracts;
using SwapSeats.Orders.Data;
using SwapSeats.Testing;

namespace SwapSeats.Orders.Tests;

/// <summary>The orders service in memory with a clock the tests move, fed with tickets the way the tickets service would.</summary>
public class OrdersApp() : ServiceApp<Program>("orders")
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);

    public Task<T> WithDbAsync<T>(Func<OrdersDbContext, Task<T>> work) => WithDbAsync<OrdersDbContext, T>(work);

    public Task OutboxDrainedAsync() => OutboxDrainedAsync<OrdersDbContext>();

    /// <summary>Announces a listing on the bus and waits until orders has replicated it.</summary>
    public async Task<TicketCreated> ListedAsync(Guid? seller = null, string title = "Concert", decimal price = 25m, DateTimeOffset? startsAt = null)
    {
        var ticket = new TicketCreated(Guid.CreateVersion7(), title, price, seller ?? Guid.CreateVersion7(), 0)
        {
            Event = new EventInfo(Guid.CreateVersion7(), "Concert night", "The Arena", "Bristol", startsAt ?? Clock.GetUtcNow().AddDays(10)),
            FaceValue = price,
        };
        await Bus.PublishAsync(ticket);
        await Eventually.Until(() => WithDbAsync(db => db.Tickets.AnyAsync(t => t.Id == ticket.Id)), known => known);
        return ticket;
    }

    public async Task<HttpResponseMessage> OrderAsync(Guid buyer, Guid ticketId, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/orders") { Content = JsonContent.Create(new { ticketId }) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await SignedIn(buyer).SendAsync(request);
    }

    /// <summary>Places an order that must succeed and returns its JSON.</summary>
    public async Task<JsonElement> OrderedAsync(Guid buyer, Guid ticketId)
    {
        var response = await OrderAsync(buyer, ticketId);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return await Json(response);
    }

    public async Task<JsonElement> ShowAsync(Guid buyer, Guid orderId) =>
        await Json(await SignedIn(buyer).GetAsync($"/api/orders/{orderId}"));
}
