namespace SwapSeats.ServiceDefaults;

/// <summary>The one retry schedule of the system's background work: doubling from a base delay, capped.</summary>
public static class Backoff
{
    /// <summary>The wait before retry number <paramref name="attempt"/> (1 = after the first failure).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay) =>
        TimeSpan.FromTicks(Math.Min(maxDelay.Ticks, baseDelay.Ticks * (1L << Math.Clamp(attempt - 1, 0, 20))));
}
