namespace SwapSeats.ServiceDefaults;

public static class TransientFailures
{
    /// <summary>
    /// The database went away (restart, failover, network): what failed was not committed, so the honest answer is "try
    /// again", not "error" — a 503 for a request, a redelivery (never the dead-letter stream) for an event. Npgsql marks
    /// such failures transient; a broken pooled connection surfaces as an I/O error; 57P01-03 are server shutdown codes.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.NpgsqlException { IsTransient: true } or Npgsql.NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException }
                || e is Npgsql.PostgresException { SqlState: "57P01" or "57P02" or "57P03" })
            {
                return true;
            }
        }

        return false;
    }
}
