namespace SwapSeats.ServiceDefaults;

public static class RequestLimits
{
    public const long MaxBodyBytes = 64 * 1024;
}
