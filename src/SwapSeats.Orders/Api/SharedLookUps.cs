using System.Collections.Concurrent;

namespace SwapSeats.Orders.Api;

/// <summary>
/// The look-ups of a ticket that are on their way to the database right now. In a rush, a buyer arriving while another
/// buyer's look-up of the same ticket is in flight waits for that answer instead of sending a read of their own: once
/// the winner has committed, a thousand refusals cost a handful of reads instead of a thousand, and waiting holds no
/// database connection. Only a refusal is taken from a shared answer — it was read at most one round trip before this
/// buyer arrived, as if they had come a moment earlier — and a buyer who may still win reads for themself, so a
/// placement always starts from its own read and the unique index still decides between simultaneous arrivals.
/// </summary>
/// <typeparam name="TLook">What a look-up answers.</typeparam>
public sealed class SharedLookUps<TLook> where TLook : class
{
    private readonly ConcurrentDictionary<Guid, Task<TLook?>> _inFlight = new();

    /// <param name="refuses">Whether an answer refuses the buyer; only such an answer is shared.</param>
    /// <param name="read">This buyer's own read.</param>
    public async Task<TLook?> ReadAsync(Guid key, Func<TLook, bool> refuses, Func<Task<TLook?>> read)
    {
        if (_inFlight.TryGetValue(key, out var shared))
        {
            try
            {
                if (await shared is { } answer && refuses(answer))
                {
                    return answer;
                }
            }
            catch (Exception)
            {
                // The other buyer's read failed (their request was cancelled, the database went away): this one reads.
            }
        }

        var mine = read();
        // Another buyer may have registered theirs meanwhile; this read still answers this buyer, and later ones join theirs.
        var registered = _inFlight.TryAdd(key, mine);
        try
        {
            return await mine;
        }
        finally
        {
            if (registered)
            {
                _inFlight.TryRemove(KeyValuePair.Create(key, mine));
            }
        }
    }
}
