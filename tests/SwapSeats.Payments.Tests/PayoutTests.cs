using SwapSeats.Payments.Data;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Outbox;
using SwapSeats.Payments.Domain;
using SwapSeats.Payments.Events;
using SwapSeats.Testing;

namespace SwapSeats.Payments.Tests;

/// <summary>Escrow on a clock the tests move: the seller is paid after the event, and only if the buyer got the ticket.</summary>
public sealed class PayoutTests(PaymentsApp app) : IClassFixture<PaymentsApp>
{
    private static readonly TimeSpan Delay = TimeSpan.FromDays(1); // Payments:PayoutDelay's default

    private Task<int> OutboxCountAsync(string subject, string contains) =>
        app.WithDbAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.Subject == subject && m.Payload.Contains(contains)));

    /// <summary>One round of the processor now (the hosted one runs too: SKIP LOCKED keeps them apart).</summary>
    private Task<int> ProcessNowAsync() => app.Factory.Services.GetRequiredService<PayoutProcessor>().ProcessDueAsync(default);

    // Each look also runs a round of the processor: the hosted one sleeps on the fake clock, and a sleep begun while the
    // test moved the clock can start from the moved time (a fake clock jumps; a real one does not).
    private Task<Payout> WaitForPayoutAsync(Guid orderId, Func<Payout, bool> done) =>
        Eventually.Until(async () =>
        {
            await app.Factory.Services.GetRequiredService<PayoutProcessor>().ProcessDueAsync(default);
            return await app.PayoutAsync(orderId);
        }, done, TimeSpan.FromSeconds(10), $"payout of {orderId}");

    [Theory]
    [InlineData("0.10", "0.01")]      // 0.005 → away from zero
    [InlineData("0.30", "0.02")]      // 0.015
    [InlineData("19.99", "1.00")]     // 0.9995
    [InlineData("10.10", "0.51")]     // 0.505
    [InlineData("1000000", "50000.00")]
    public void The_fee_is_rounded_to_cents_midpoint_away_from_zero_and_amount_plus_fee_is_the_price(string price, string fee)
    {
        var p = decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture);
        var f = Payout.FeeOf(p, 0.05m);
        Assert.Equal(decimal.Parse(fee, System.Globalization.CultureInfo.InvariantCulture), f);
        Assert.Equal(p, f + (p - f));
    }

    [Fact]
    public Task A_listing_update_in_one_statement_leaves_the_row_the_read_path_leaves() =>
        ReplicaUpdatePaths.AssertTicketUpdateBothWaysAgreeAsync<PaymentsDbContext, Listing, TicketCreatedHandler, TicketUpdatedHandler>(app.Factory.Services);

    [Fact]
    public async Task An_order_completed_in_one_statement_leaves_the_row_the_read_path_leaves()
    {
        var (buyer, ticket, expiresAt) = (Guid.CreateVersion7(), Guid.CreateVersion7(), app.Clock.GetUtcNow().AddMinutes(15));
        await ReplicaUpdatePaths.AssertBothWaysAgreeAsync<PaymentsDbContext, Order, OrderCreated, OrderCreatedHandler, OrderCompleted, OrderCompletedHandler>(
            app.Factory.Services,
            id => new OrderCreated(id, buyer, OrderStatuses.Created, expiresAt, 0, new OrderTicket(ticket, 10m)),
            id => new OrderCompleted(id, 1, new TicketRef(ticket)));
    }

    [Fact]
    public async Task A_delivered_sale_is_held_until_release_at_and_paid_then_not_a_second_before()
    {
        var seller = Guid.CreateVersion7();
        var order = await app.SoldAsync(seller, Guid.CreateVersion7(), TimeSpan.FromHours(2), hasFile: true, price: 19.99m);
        var held = await app.PayoutAsync(order.Id);
        Assert.Equal((PayoutStatuses.Held, 1.00m, 18.99m, 19.99m), (held.Status, held.Fee, held.Amount, held.Price));
        Assert.Equal(held.EventStartsAt + Delay, held.ReleaseAt);

        // The event starts: the file is there, so the money keeps waiting for its release.
        app.Clock.Advance(TimeSpan.FromHours(2));
        await WaitForPayoutAsync(order.Id, p => p.Delivered);
        app.Clock.Advance(Delay - TimeSpan.FromSeconds(1));
        await ProcessNowAsync();
        Assert.Equal(PayoutStatuses.Held, (await app.PayoutAsync(order.Id)).Status);
        Assert.Equal(0, await OutboxCountAsync(Subjects.PayoutPaid, order.Id.ToString()));

        app.Clock.Advance(TimeSpan.FromSeconds(1));
        var paid = await WaitForPayoutAsync(order.Id, p => p.Status == PayoutStatuses.Paid);
        Assert.Equal(held.ReleaseAt, paid.PaidAt);
        var announced = await app.Bus.WaitForAsync<PayoutPaid>(e => e.OrderId == order.Id);
        Assert.Equal((seller, 1899L, "usd"), (announced.SellerId, announced.Amount, announced.Currency));

        var listed = await PaymentsApp.Json(await app.SignedIn(seller).GetAsync("/api/payouts"));
        var row = Assert.Single(listed.EnumerateArray(), p => p.GetProperty("orderId").GetString() == order.Id.ToString());
        Assert.Equal(("paid", 18.99m, 1.00m), (row.GetProperty("status").GetString(), row.GetProperty("amount").GetDecimal(), row.GetProperty("fee").GetDecimal()));
        Assert.Empty((await PaymentsApp.Json(await app.SignedIn(order.UserId).GetAsync("/api/payouts"))).EnumerateArray());
    }

    [Fact]
    public async Task No_ticket_no_money_the_buyer_is_refunded_exactly_at_the_start_and_a_file_in_time_keeps_the_payout()
    {
        var seller = Guid.CreateVersion7();
        var buyer = Guid.CreateVersion7();
        var undelivered = await app.SoldAsync(seller, buyer, TimeSpan.FromHours(1), hasFile: false);
        var deliveredLate = await app.SoldAsync(seller, buyer, TimeSpan.FromHours(1), hasFile: false);
        // The second seller attaches the file in time (tickets announces it).
        var listing = await app.WithDbAsync(db => db.Listings.AsNoTracking().SingleAsync(l => l.Id == deliveredLate.Ticket.Id));
        await app.Bus.PublishAsync(new TicketUpdated(listing.Id, "Block 1, row A, seat 1", 19.99m, seller, deliveredLate.Id, TicketStatuses.Sold, listing.Version + 1)
        {
            Event = new EventInfo(Guid.CreateVersion7(), "Test event", "Test Arena", "Testville", listing.EventStartsAt!.Value),
            HasFile = true,
        });
        await Eventually.Until(() => app.WithDbAsync(db => db.Listings.AnyAsync(l => l.Id == listing.Id && l.HasFile)), done => done);

        app.Clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(1));
        await ProcessNowAsync();
        Assert.Equal(PayoutStatuses.Held, (await app.PayoutAsync(undelivered.Id)).Status);
        Assert.Equal(0, await OutboxCountAsync(Subjects.PaymentRefunded, undelivered.Id.ToString()));

        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await WaitForPayoutAsync(undelivered.Id, p => p.Status == PayoutStatuses.Cancelled);
        var refunded = await app.Bus.WaitForAsync<PaymentRefunded>(e => e.OrderId == undelivered.Id);
        Assert.Equal("notDelivered", refunded.Reason);
        var payments = await PaymentsApp.Json(await app.SignedIn(buyer).GetAsync("/api/payments"));
        var payment = Assert.Single(payments.EnumerateArray(), p => p.GetProperty("orderId").GetString() == undelivered.Id.ToString());
        Assert.Equal(("refunded", "notDelivered"), (payment.GetProperty("status").GetString(), payment.GetProperty("refundReason").GetString()));

        var kept = await WaitForPayoutAsync(deliveredLate.Id, p => p.Delivered);
        Assert.Equal(PayoutStatuses.Held, kept.Status);

        // A file after the start changes nothing: the refund stands, the payout stays cancelled.
        var late = await app.WithDbAsync(db => db.Listings.AsNoTracking().SingleAsync(l => l.Id == undelivered.Ticket.Id));
        await app.Bus.PublishAsync(new TicketUpdated(late.Id, "Block 1, row A, seat 1", 19.99m, seller, undelivered.Id, TicketStatuses.Sold, late.Version + 1) { HasFile = true });
        await Eventually.Until(() => app.WithDbAsync(db => db.Listings.AnyAsync(l => l.Id == late.Id && l.HasFile)), done => done);
        app.Clock.Advance(Delay);
        await WaitForPayoutAsync(deliveredLate.Id, p => p.Status == PayoutStatuses.Paid);
        Assert.Equal(PayoutStatuses.Cancelled, (await app.PayoutAsync(undelivered.Id)).Status);
        await app.OutboxDrainedAsync();
        Assert.Equal(1, await OutboxCountAsync(Subjects.PaymentRefunded, undelivered.Id.ToString()));
        Assert.Equal(0, await OutboxCountAsync(Subjects.PayoutPaid, undelivered.Id.ToString()));
    }

    [Fact]
    public async Task Money_is_released_only_for_a_complete_order_and_a_cancellation_that_arrives_late_cancels_the_payout()
    {
        // Paid, but orders never completes the order (it had expired: its cancellation is on its way).
        var ticket = await app.ListedAsync(Guid.CreateVersion7(), TimeSpan.FromMinutes(5), hasFile: true);
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, ticketId: ticket.Id);
        (await app.PayAsync(buyer, order.Id, "tok_visa")).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromMinutes(5) + Delay);
        var waiting = await WaitForPayoutAsync(order.Id, p => p.Attempts > 0);
        Assert.Equal(PayoutStatuses.Held, waiting.Status);
        Assert.Equal(0, await OutboxCountAsync(Subjects.PayoutPaid, order.Id.ToString()));

        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(ticket.Id)) { Reason = CancelReasons.Expired });
        await WaitForPayoutAsync(order.Id, p => p.Status == PayoutStatuses.Cancelled);
        await app.Bus.WaitForAsync<PaymentRefunded>(e => e.OrderId == order.Id && e.Reason == "orderCancelled");
        app.Clock.Advance(TimeSpan.FromHours(2));
        await ProcessNowAsync();
        await app.OutboxDrainedAsync();
        Assert.Equal(0, await OutboxCountAsync(Subjects.PayoutPaid, order.Id.ToString()));
    }

    [Fact]
    public async Task Racing_schedulers_pay_each_payout_and_refund_each_undelivered_sale_once()
    {
        var seller = Guid.CreateVersion7();
        var sales = new List<(OrderCreated Order, bool HasFile)>();
        for (var i = 0; i < 12; i++)
        {
            sales.Add((await app.SoldAsync(seller, Guid.CreateVersion7(), TimeSpan.FromMinutes(30), hasFile: i % 3 != 0), i % 3 != 0));
        }

        // Four more processors besides the hosted one, all at once, at the start and again at the release.
        var racers = Enumerable.Range(0, 4).Select(_ => ActivatorUtilities.CreateInstance<PayoutProcessor>(app.Factory.Services)).ToList();
        foreach (var step in new[] { TimeSpan.FromMinutes(30), Delay })
        {
            app.Clock.Advance(step);
            await Task.WhenAll(racers.Select(r => Task.Run(async () =>
            {
                while (await r.ProcessDueAsync(default) > 0)
                {
                }
            })));
        }

        foreach (var (order, hasFile) in sales)
        {
            await WaitForPayoutAsync(order.Id, p => p.Status == (hasFile ? PayoutStatuses.Paid : PayoutStatuses.Cancelled));
        }

        await Eventually.Until(() => app.WithDbAsync(db => db.Refunds.CountAsync(r => !r.Done)), pending => pending == 0);
        await app.OutboxDrainedAsync();
        foreach (var (order, hasFile) in sales)
        {
            Assert.Equal(hasFile ? 1 : 0, await OutboxCountAsync(Subjects.PayoutPaid, order.Id.ToString()));
            Assert.Equal(hasFile ? 0 : 1, await OutboxCountAsync(Subjects.PaymentRefunded, order.Id.ToString()));
        }
    }

    [Fact]
    public async Task Timers_that_fell_due_while_the_service_was_down_fire_when_it_is_back()
    {
        var delivered = await app.SoldAsync(Guid.CreateVersion7(), Guid.CreateVersion7(), TimeSpan.FromMinutes(10), hasFile: true);
        var undelivered = await app.SoldAsync(Guid.CreateVersion7(), Guid.CreateVersion7(), TimeSpan.FromMinutes(10), hasFile: false);

        await app.RestartAsync(whileDown: () =>
        {
            app.Clock.Advance(TimeSpan.FromMinutes(10) + Delay + TimeSpan.FromMinutes(1));
            return Task.CompletedTask;
        });

        await WaitForPayoutAsync(delivered.Id, p => p.Status == PayoutStatuses.Paid);
        await WaitForPayoutAsync(undelivered.Id, p => p.Status == PayoutStatuses.Cancelled);
        await app.Bus.WaitForAsync<PaymentRefunded>(e => e.OrderId == undelivered.Id && e.Reason == "notDelivered");
    }

    [Fact]
    public async Task The_payout_routes_need_a_session_and_an_account_id_that_looks_like_one()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync("/api/payouts")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().PutAsJsonAsync("/api/payouts/account", new { stripeAccountId = "acct_1" })).StatusCode);
        var seller = app.SignedIn(Guid.CreateVersion7());
        foreach (var bad in new object[] { new { }, new { stripeAccountId = "" }, new { stripeAccountId = "cus_123" }, new { stripeAccountId = "acct_" } })
        {
            await HttpAssertions.AssertProblemAsync(await seller.PutAsJsonAsync("/api/payouts/account", bad), HttpStatusCode.BadRequest);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await seller.PutAsJsonAsync("/api/payouts/account", new { stripeAccountId = "acct_1AbC" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await seller.PutAsJsonAsync("/api/payouts/account", new { stripeAccountId = "acct_2XyZ" })).StatusCode);
    }
}

/// <summary>Payouts through Stripe (the local stub): a Transfer to the seller's connected account, once.</summary>
public sealed class StripePayoutTests(StripePaymentsApp app) : IClassFixture<StripePaymentsApp>
{
    // Each look also runs a round of the processor: the hosted one sleeps on the fake clock, and a sleep begun while the
    // test moved the clock can start from the moved time (a fake clock jumps; a real one does not).
    private Task<Payout> WaitForPayoutAsync(Guid orderId, Func<Payout, bool> done) =>
        Eventually.Until(async () =>
        {
            await app.Factory.Services.GetRequiredService<PayoutProcessor>().ProcessDueAsync(default);
            return await app.PayoutAsync(orderId);
        }, done, TimeSpan.FromSeconds(10), $"payout of {orderId}");

    [Fact]
    public async Task A_payout_waits_visibly_for_the_sellers_account_then_is_transferred_once_even_when_the_answer_is_lost()
    {
        var sellerId = Guid.CreateVersion7();
        var seller = app.SignedIn(sellerId);
        var order = await app.SoldAsync(sellerId, Guid.CreateVersion7(), TimeSpan.FromMinutes(5), hasFile: true, price: 40m);
        app.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromDays(1));

        var waiting = await WaitForPayoutAsync(order.Id, p => p.HoldReason == Payout.NoAccount);
        Assert.Equal(PayoutStatuses.Held, waiting.Status);
        var listed = Assert.Single((await PaymentsApp.Json(await seller.GetAsync("/api/payouts"))).EnumerateArray());
        Assert.Equal(("held", Payout.NoAccount), (listed.GetProperty("status").GetString(), listed.GetProperty("holdReason").GetString()));
        Assert.DoesNotContain(app.Stripe.Transfers, t => t.Group == $"payout_{waiting.Id:N}");

        // The first transfer's answer is lost after the money moved: the retry finds it instead of sending it again.
        app.Stripe.LoseNextTransfer = true;
        Assert.Equal(HttpStatusCode.NoContent, (await seller.PutAsJsonAsync("/api/payouts/account", new { stripeAccountId = "acct_1Seller" })).StatusCode);
        await WaitForPayoutAsync(order.Id, p => p.Attempts == 1);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var paid = await WaitForPayoutAsync(order.Id, p => p.Status == PayoutStatuses.Paid);

        var transfer = Assert.Single(app.Stripe.Transfers, t => t.Group == $"payout_{paid.Id:N}");
        Assert.Equal((3800L, "eur", "acct_1Seller", transfer.Id), (transfer.Amount, transfer.Currency, transfer.Destination, paid.ProviderReference));
        await app.OutboxDrainedAsync(); // the payout's event is committed with it but published by the relay, later
        Assert.Single(await app.Bus.PublishedAsync<PayoutPaid>(e => e.OrderId == order.Id));
    }
}
