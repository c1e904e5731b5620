using System.Net;

namespace SwapSeats.Orders.Tests;

public sealed class ShortWindowOrdersApp : OrdersApp
{
    protected override Dictionary<string, string?> Settings() => new() { ["Orders:ReservationWindow"] = "00:00:30" };
}

public sealed class ReservationWindowTests(ShortWindowOrdersApp app) : IClassFixture<ShortWindowOrdersApp>
{
    [Fact]
    public async Task The_reservation_window_comes_from_configuration()
    {
        var ticket = await app.ListedAsync();
        var now = app.Clock.GetUtcNow();

        var order = await app.OrderedAsync(Guid.CreateVersion7(), ticket.Id);

        Assert.Equal(now.AddSeconds(30), order.GetProperty("expiresAt").GetDateTimeOffset());
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Created, (await app.OrderAsync(Guid.CreateVersion7(), ticket.Id)).StatusCode);
    }
}
