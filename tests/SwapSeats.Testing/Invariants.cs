using Npgsql;

namespace SwapSeats.Testing;

/// <summary>
/// The promises of the system, checked over every service's own data: what must hold once all events have arrived,
/// whatever faults happened on the way.
/// </summary>
public static class Invariants
{
    /// <summary>Every violation found, in words; empty when the system is consistent.</summary>
    public static async Task<List<string>> ViolationsAsync(SwapSeatsSystem system)
    {
        var tickets = await RowsAsync(system.Databases["tickets"], "SELECT id, order_id, status, version FROM tickets",
            r => (Id: r.GetGuid(0), OrderId: r.IsDBNull(1) ? (Guid?)null : r.GetGuid(1), Status: r.GetString(2), Version: r.GetInt32(3)));
        var orders = await RowsAsync(system.Databases["orders"], "SELECT id, ticket_id, status, version FROM orders",
            r => (Id: r.GetGuid(0), TicketId: r.GetGuid(1), Status: r.GetString(2), Version: r.GetInt32(3)));
        var ticketReplica = await RowsAsync(system.Databases["orders"], "SELECT id, version FROM tickets", r => (Id: r.GetGuid(0), Version: r.GetInt32(1)));
        var orderReplica = await RowsAsync(system.Databases["payments"], "SELECT id, status, version FROM orders",
            r => (Id: r.GetGuid(0), Status: r.GetString(1), Version: r.GetInt32(2)));
        var payments = await RowsAsync(system.Databases["payments"], "SELECT id, order_id, status, refund_reason FROM payments",
            r => (Id: r.GetGuid(0), OrderId: r.GetGuid(1), Status: r.GetString(2), RefundReason: r.IsDBNull(3) ? null : r.GetString(3)));
        var payouts = await RowsAsync(system.Databases["payments"], "SELECT id, payment_id, status, price, fee, amount FROM payouts",
            r => (Id: r.GetGuid(0), PaymentId: r.GetGuid(1), Status: r.GetString(2), Price: r.GetDecimal(3), Fee: r.GetDecimal(4), Amount: r.GetDecimal(5)));

        var violations = new List<string>();
        var ticketById = tickets.ToDictionary(t => t.Id);
        var orderById = orders.ToDictionary(o => o.Id);
        string[] holding = ["created", "awaitingPayment", "complete"];
        foreach (var group in orders.Where(o => holding.Contains(o.Status)).GroupBy(o => o.TicketId).Where(g => g.Count() > 1))
        {
            violations.Add($"ticket {group.Key} has {group.Count()} active orders");
        }

        foreach (var order in orders)
        {
            var ticket = ticketById.GetValueOrDefault(order.TicketId);
            if (order.Status == "complete" && (ticket.Status != "sold" || ticket.OrderId != order.Id))
            {
                violations.Add($"complete order {order.Id}: its ticket is {ticket.Status} for order {ticket.OrderId}");
            }

            if (order.Status == "cancelled" && ticket.OrderId == order.Id)
            {
                violations.Add($"cancelled order {order.Id} still holds ticket {order.TicketId} ({ticket.Status})");
            }

            if (holding.Contains(order.Status) && order.Status != "complete" && (ticket.Status != "reserved" || ticket.OrderId != order.Id))
            {
                violations.Add($"open order {order.Id}: its ticket is {ticket.Status} for order {ticket.OrderId}");
            }
        }

        foreach (var payment in payments)
        {
            var status = orderById.TryGetValue(payment.OrderId, out var order) ? order.Status : "missing";
            if (payment.Status == "succeeded" && status != "complete")
            {
                violations.Add($"payment {payment.Id} succeeded but its order is {status}");
            }

            // A refund goes with a cancelled order, except the buyer's money back for a ticket never delivered.
            if (payment.Status == "refunded" && status != (payment.RefundReason == "notDelivered" ? "complete" : "cancelled"))
            {
                violations.Add($"payment {payment.Id} was refunded ({payment.RefundReason}) but its order is {status}");
            }

            var its = payouts.Where(p => p.PaymentId == payment.Id).ToList();
            if (payment.Status == "succeeded" && its.Count(p => p.Status != "cancelled") != 1)
            {
                violations.Add($"succeeded payment {payment.Id} has {its.Count(p => p.Status != "cancelled")} live payouts (of {its.Count})");
            }

            if (payment.Status == "refunded" && its.Any(p => p.Status == "paid"))
            {
                violations.Add($"refunded payment {payment.Id} was also paid out to the seller");
            }
        }

        foreach (var payout in payouts)
        {
            if (payout.Amount + payout.Fee != payout.Price)
            {
                violations.Add($"payout {payout.Id}: amount {payout.Amount} + fee {payout.Fee} is not the price {payout.Price}");
            }
        }

        foreach (var group in payments.Where(p => p.Status is "succeeded" or "refunded").GroupBy(p => p.OrderId).Where(g => g.Count() > 1))
        {
            violations.Add($"order {group.Key} was charged {group.Count()} times");
        }

        foreach (var ticket in tickets)
        {
            var replica = ticketReplica.FirstOrDefault(r => r.Id == ticket.Id);
            if (replica == default)
            {
                violations.Add($"orders has no replica of ticket {ticket.Id}");
            }
            else if (replica.Version != ticket.Version)
            {
                violations.Add($"orders' replica of ticket {ticket.Id} is at version {replica.Version}, tickets at {ticket.Version}");
            }
        }

        foreach (var order in orders)
        {
            var replica = orderReplica.FirstOrDefault(r => r.Id == order.Id);
            if (replica == default)
            {
                violations.Add($"payments has no replica of order {order.Id}");
            }
            else if (replica.Version != order.Version || replica.Status != order.Status)
            {
                violations.Add($"payments' replica of order {order.Id} is {replica.Status} v{replica.Version}, orders has {order.Status} v{order.Version}");
            }
        }

        return violations;
    }

    /// <summary>Waits until every event has arrived and the data agrees; fails with the violations that remain.</summary>
    public static async Task AssertHoldAsync(SwapSeatsSystem system, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        List<string> violations;
        while ((violations = await ViolationsAsync(system)).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Xunit.Assert.True(violations.Count == 0, "Invariants broken:\n" + string.Join("\n", violations.Take(20)));
    }

    /// <summary>Every row of <paramref name="sql"/>, read with <paramref name="read"/> (also used by tests that count rows).</summary>
    public static async Task<List<T>> RowsAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read)
    {
        // No pooling: a test that restarts PostgreSQL must not leave this checker with dead connections.
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
