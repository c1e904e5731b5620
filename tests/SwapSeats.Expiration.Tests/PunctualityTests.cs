using SwapSeats.Contracts;

namespace SwapSeats.Expiration.Tests;

/// <summary>On the real clock: how late a timer fires, from the order's expiresAt to the event leaving the service.</summary>
public sealed class PunctualityTests(ExpirationApp app) : IClassFixture<ExpirationApp>
{
    [Fact]
    public async Task A_timer_fires_within_a_second_of_its_time_even_behind_a_far_one()
    {
        // The scheduler is asleep towards the far timer (or idle, for up to a minute here) when the near one arrives.
        await app.ScheduledAsync(DateTimeOffset.UtcNow.AddHours(1));
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(2);
        var order = await app.ScheduledAsync(expiresAt);

        var fired = await app.Bus.WaitForAsync<ExpirationComplete>(e => e.OrderId == order.Id);

        Assert.InRange(fired.OccurredAt - expiresAt, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }
}
