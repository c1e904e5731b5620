using System.Net.Http.Json;
using System.Text.Json;
using SwapSeats.Testing;
using SwapSeats.Tickets.Data;

namespace SwapSeats.Tickets.Tests;

public sealed class TicketsApp() : ServiceApp<Program>("tickets")
{
    public Task<T> WithDbAsync<T>(Func<TicketsDbContext, Task<T>> work) => WithDbAsync<TicketsDbContext, T>(work);

    /// <summary>Lists a ticket as the seller and returns its JSON.</summary>
    public async Task<JsonElement> ListAsync(Guid seller, string title = "Concert", decimal price = 25m)
    {
        var response = await SignedIn(seller).PostAsJsonAsync("/api/tickets", new { title, price });
        response.EnsureSuccessStatusCode();
        return await Json(response);
    }

    public async Task<JsonElement> ShowAsync(Guid id) => await Json(await Anonymous().GetAsync($"/api/tickets/{id}"));
}
