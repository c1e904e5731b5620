using System.Net.Http.Json;
using System.Text.Json;
using SwapSeats.Testing;
using SwapSeats.Tickets.Data;

namespace SwapSeats.Tickets.Tests;

public sealed class TicketsApp() : ServiceApp<Program>("tickets")
{
    public Task<T> WithDbAsync<T>(Func<TicketsDbContext, Task<T>> work) => WithDbAsync<TicketsDbContext, T>(work);

    public Task OutboxDrainedAsync() => OutboxDrainedAsync<TicketsDbContext>();

    /// <summary>Creates (or finds) an event as <paramref name="user"/> and returns its JSON.</summary>
    public async Task<JsonElement> EventAsync(Guid user, string? name = null, string venue = "Test Arena", string city = "Testville", DateTimeOffset? startsAt = null)
    {
        var response = await SignedIn(user).PostAsJsonAsync("/api/events",
            new { name = name ?? $"Event {Guid.NewGuid():N}", venue, city, startsAt = startsAt ?? DateTimeOffset.UtcNow.AddDays(30) });
        response.EnsureSuccessStatusCode();
        return await Json(response);
    }

    /// <summary>Lists a ticket (at face value) as the seller, for the event or a new one, and returns its JSON.</summary>
    public async Task<JsonElement> ListAsync(Guid seller, string title = "Concert", decimal price = 25m, Guid? eventId = null, decimal? faceValue = null)
    {
        eventId ??= Guid.Parse((await EventAsync(seller)).GetProperty("id").GetString()!);
        var response = await SignedIn(seller).PostAsJsonAsync("/api/tickets", new { eventId, title, price, faceValue = faceValue ?? price });
        response.EnsureSuccessStatusCode();
        return await Json(response);
    }

    public async Task<JsonElement> ShowAsync(Guid id) => await Json(await Anonymous().GetAsync($"/api/tickets/{id}"));
}
