namespace SwapSeats.Expiration.Domain;

/// <summary>
/// When an order's reservation runs out. Pending until it fires or its order ends (cancelled or completed) first;
/// finished rows are kept a while so a late or duplicate <c>order.created</c> cannot bring a timer back.
/// </summary>
public sealed class ReservationTimer : SwapSeats.Messaging.IDueAt
{
    private ReservationTimer()
    {
    }

    public Guid OrderId { get; private set; }

    /// <summary>Null for an order whose end was seen before its creation.</summary>
    public DateTimeOffset? ExpiresAt { get; private set; }

    /// <summary>The scheduler is woken by a new timer only when it falls due before the scheduler's next look.</summary>
    DateTimeOffset? SwapSeats.Messaging.IDueAt.DueAt => Status == TimerStatus.Pending ? ExpiresAt : null;

    public TimerStatus Status { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>W3C traceparent of the purchase that started the reservation: the expiry continues its trace.</summary>
    public string? TraceParent { get; private set; }

    public static ReservationTimer Schedule(Guid orderId, DateTimeOffset expiresAt, DateTimeOffset now) => new()
    {
        OrderId = orderId,
        ExpiresAt = expiresAt,
        TraceParent = SwapSeats.Messaging.MessagingTelemetry.CurrentTraceParent,
        Status = TimerStatus.Pending,
        UpdatedAt = now,
    };

    /// <summary>The order ended before its <c>order.created</c> reached us: remember it so no timer is scheduled.</summary>
    public static ReservationTimer Ended(Guid orderId, DateTimeOffset now) => new()
    {
        OrderId = orderId,
        Status = TimerStatus.Dropped,
        UpdatedAt = now,
    };

    /// <summary>The order was cancelled or completed: the timer must not fire.</summary>
    /// <returns>true when a pending timer was dropped.</returns>
    public bool Drop(DateTimeOffset now)
    {
        if (Status != TimerStatus.Pending)
        {
            return false;
        }

        Status = TimerStatus.Dropped;
        UpdatedAt = now;
        return true;
    }

    public void Fire(DateTimeOffset now)
    {
        if (Status != TimerStatus.Pending || ExpiresAt > now)
        {
            throw new InvalidOperationException($"Timer of order {OrderId} is {Status} and due at {ExpiresAt}; it cannot fire at {now}.");
        }

        Status = TimerStatus.Fired;
        UpdatedAt = now;
    }
}

public enum TimerStatus
{
    Pending = 0,
    Fired = 1,
    Dropped = 2,
}
