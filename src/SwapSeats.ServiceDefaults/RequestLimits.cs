namespace SwapSeats.ServiceDefaults;

public static class RequestLimits
{
    public const long MaxBodyBytes = 64 * 1024;

    /// <summary>Oversized bodies up to this size are read and dropped before the 413, so the client sees the answer.</summary>
    public const long DrainLimit = 1024 * 1024;
}
