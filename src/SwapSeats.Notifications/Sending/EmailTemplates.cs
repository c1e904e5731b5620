using System.Globalization;
using System.Net;
using System.Text;
using SwapSeats.Notifications.Domain;

namespace SwapSeats.Notifications.Sending;

/// <summary>
/// Every email the marketplace sends (SPEC's table), each in plain text and HTML from the same lines, with links into
/// the web UI. Money is shown with its currency, times in UTC with the zone named.
/// </summary>
public sealed class EmailTemplates(string webBaseUrl)
{
    private readonly string _web = webBaseUrl.TrimEnd('/');

    public string Link(string path) => _web + path;

    public static string Money(decimal amount, string currency = "usd") =>
        (currency.Equals("usd", StringComparison.OrdinalIgnoreCase) ? "$" : currency.ToUpperInvariant() + " ")
        + amount.ToString("#,##0.00", CultureInfo.InvariantCulture);

    public static string When(DateTimeOffset at) => at.UtcDateTime.ToString("ddd d MMM yyyy, HH:mm", CultureInfo.InvariantCulture) + " UTC";

    public static string What(TicketCopy? ticket) => ticket is null ? "your ticket"
        : ticket.EventName is null ? ticket.Title
        : $"{ticket.Title} · {ticket.EventName}, {ticket.Venue}, {ticket.City} · {When(ticket.StartsAt!.Value)}";

    public Composed Reserved(OrderCopy order, TicketCopy? ticket) => Compose(
        $"Your ticket is held until {When(order.ExpiresAt)}",
        [$"We are holding {What(ticket)} for you at {Money(order.Price)}.", $"Pay before {When(order.ExpiresAt)}, or it goes back on sale."],
        ("Pay now", Link($"/orders/{order.Id}")));

    public Composed Receipt(OrderCopy order, TicketCopy? ticket, long amount, string currency) => Compose(
        $"Receipt: {Money(amount / 100m, currency)} for {ticket?.Title ?? "your ticket"}",
        [$"You paid {Money(amount / 100m, currency)} for {What(ticket)}.",
            ticket?.HasFile == true
                ? "Your ticket is ready to download."
                : "The seller will attach the ticket before the event; we will email you when it is there. If it is not there when the event starts, you are refunded."],
        ticket?.HasFile == true ? ("Download your ticket", Link("/tickets/purchased")) : ("See your order", Link($"/orders/{order.Id}")));

    public Composed Sold(TicketCopy ticket, long price, string currency, SwapSeats.Contracts.PayoutTerms? payout) => Compose(
        $"Sold: {ticket.Title}",
        [$"Your ticket {What(ticket)} sold for {Money(price / 100m, currency)}.",
            payout is null ? "Your payout is held until after the event."
                : $"Fee {Money(payout.Fee / 100m, currency)}; you receive {Money(payout.Amount / 100m, currency)}"
                  + (payout.ReleaseAt is { } release ? $", paid on {When(release)}." : ", paid after the event."),
            ticket.HasFile ? "The buyer already has the ticket." : "Attach the ticket now: if it is not there when the event starts, the buyer is refunded and you are not paid."],
        ticket.HasFile ? ("See your payouts", Link("/payouts")) : ("Attach the ticket", Link("/tickets/mine")));

    public Composed TicketReady(TicketCopy ticket) => Compose(
        $"Your ticket is ready: {ticket.Title}",
        [$"The seller has attached {What(ticket)}."],
        ("Download your ticket", Link("/tickets/purchased")));

    public Composed Released(OrderCopy order, TicketCopy? ticket, string reason) => Compose(
        reason == "expired" ? "Your reservation ran out" : "Your payment was declined",
        [reason == "expired"
                ? $"You did not pay for {What(ticket)} in time, so it is back on sale. Nothing was charged."
                : $"Your card was declined for {What(ticket)}, so the order is cancelled and the ticket is back on sale. Nothing was charged."],
        ticket is null ? ("Find tickets", Link("/")) : ("See the ticket", Link($"/tickets/{ticket.Id}")));

    public Composed Refunded(OrderCopy order, TicketCopy? ticket, long amount, string currency, string? reason) => Compose(
        $"Refunded: {Money(amount / 100m, currency)}",
        [$"We refunded {Money(amount / 100m, currency)} for {What(ticket)}.",
            reason == "notDelivered"
                ? "The seller did not attach the ticket before the event started."
                : "The order was cancelled before your payment went through."],
        ("See your order", Link($"/orders/{order.Id}")));

    public Composed PaidOut(TicketCopy? ticket, long amount, string currency) => Compose(
        $"Paid out: {Money(amount / 100m, currency)}",
        [$"We paid you {Money(amount / 100m, currency)} for {What(ticket)}."],
        ("See your payouts", Link("/payouts")));

    private static Composed Compose(string subject, string[] lines, (string Label, string Url) action)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append("\n\n");
        }

        text.Append(action.Label).Append(": ").Append(action.Url).Append("\n\n— SwapSeats, fan-to-fan ticket resale\n");
        var html = new StringBuilder("<!DOCTYPE html><html><body style=\"font-family:sans-serif\">");
        foreach (var line in lines)
        {
            html.Append("<p>").Append(WebUtility.HtmlEncode(line)).Append("</p>");
        }

        html.Append("<p><a href=\"").Append(WebUtility.HtmlEncode(action.Url)).Append("\">").Append(WebUtility.HtmlEncode(action.Label))
            .Append("</a></p><p style=\"color:#666\">SwapSeats, fan-to-fan ticket resale</p></body></html>");
        return new Composed(subject, text.ToString(), html.ToString());
    }
}
