namespace SwapSeats.Tickets.Domain;

/// <summary>
/// An order this service has seen cancelled. Orders never revive a cancelled order, so its <c>order.created</c>, should it
/// arrive after the cancellation (they travel on separate consumers), must not reserve the ticket.
/// </summary>
public sealed record CancelledOrder(Guid OrderId, Guid TicketId, DateTimeOffset CancelledAt);
