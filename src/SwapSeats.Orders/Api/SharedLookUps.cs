namespace SwapSeats.Orders.Api;

/// <summary>
/// Look-ups of one ticket shared by the buyers of a rush. A buyer never uses an answer read before they arrived: one
/// who arrives while a look-up of the ticket is in flight joins the next one, which starts the moment the current one
/// has answered, and every buyer who arrived meanwhile waits for that single read (holding no database connection;
/// if its leader hangs up first, each of them reads alone).
/// So a thousand buyers cost a read per round trip instead of a read each, and each answer was true at a moment inside
/// the request of everyone it answers: a cancellation committed before a buyer arrived is always seen, and the moment a
/// read judges expiry by (the clock as it starts) is never earlier than any of its buyers' arrival, so an order past its
/// expiry never refuses anyone. Only a refusal is taken from a shared answer: a buyer who may still win reads for
/// themself, so a placement always starts from its own read and the unique index still decides between simultaneous
/// arrivals. A shared answer is only read, never changed, by the requests it answers.
/// </summary>
/// <typeparam name="TLook">What a look-up answers.</typeparam>
public sealed class SharedLookUps<TLook>(TimeProvider time) where TLook : class
{
    /// <summary>A ticket's read in flight, and the buyers waiting for the one after it.</summary>
    private sealed class Reads
    {
        public Task? InFlight;
        public TaskCompletionSource<(TLook? Look, DateTimeOffset AsOf)>? Next;
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, Reads> _tickets = [];

    /// <param name="refuses">Whether an answer refuses the buyer; only such an answer is shared.</param>
    /// <param name="read">A read of the ticket as of the given moment, run on the calling buyer's database context.</param>
    /// <returns>The answer, and the moment it is true of (never earlier than this call).</returns>
    public async Task<(TLook? Look, DateTimeOffset AsOf)> ReadAsync(
        Guid key, Func<TLook, bool> refuses, Func<DateTimeOffset, Task<TLook?>> read, CancellationToken cancellationToken)
    {
        TaskCompletionSource<(TLook? Look, DateTimeOffset AsOf)>? joined = null;
        TaskCompletionSource<(TLook? Look, DateTimeOffset AsOf)> leading;
        Task? before = null;
        lock (_lock)
        {
            if (!_tickets.TryGetValue(key, out var reads))
            {
                _tickets[key] = reads = new Reads();
            }

            if (reads.Next is { } next)
            {
                joined = leading = next; // not started yet: it reads after this buyer arrived
            }
            else
            {
                leading = new TaskCompletionSource<(TLook? Look, DateTimeOffset AsOf)>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (reads.InFlight is { } inFlight)
                {
                    // Started before this buyer arrived: this buyer leads the next read, which waits for it to answer.
                    reads.Next = leading;
                    before = inFlight;
                }
                else
                {
                    reads.InFlight = leading.Task;
                }
            }
        }

        if (joined is null)
        {
            return await LeadAsync(key, leading, before, read, cancellationToken);
        }

        try
        {
            var shared = await joined.Task.WaitAsync(cancellationToken);
            if (shared.Look is { } answer && refuses(answer))
            {
                return shared;
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The read this buyer waited for failed (its buyer hung up, the database went away): this one reads.
        }

        var now = time.GetUtcNow();
        return (await read(now), now);
    }

    private async Task<(TLook? Look, DateTimeOffset AsOf)> LeadAsync(Guid key, TaskCompletionSource<(TLook? Look, DateTimeOffset AsOf)> group,
        Task? before, Func<DateTimeOffset, Task<TLook?>> read, CancellationToken cancellationToken)
    {
        try
        {
            if (before is not null)
            {
                try
                {
                    await before.WaitAsync(cancellationToken);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // The read before failed: this one goes ahead all the same.
                }

                lock (_lock)
                {
                    var reads = _tickets[key];
                    reads.Next = null;
                    reads.InFlight = group.Task; // a buyer arriving from now on waits for the read after this one
                }
            }

            var now = time.GetUtcNow();
            var answer = (await read(now), now);
            group.TrySetResult(answer);
            return answer;
        }
        catch (Exception ex)
        {
            group.TrySetException(ex); // its other buyers read for themselves
            _ = group.Task.Exception; // observed here, so a group nobody else joined raises no unobserved-task event
            throw;
        }
        finally
        {
            lock (_lock)
            {
                if (_tickets.TryGetValue(key, out var reads))
                {
                    if (reads.Next == group)
                    {
                        reads.Next = null; // cancelled while waiting to lead
                    }

                    if (reads.InFlight == group.Task)
                    {
                        reads.InFlight = null;
                    }

                    if (reads is { InFlight: null, Next: null })
                    {
                        _tickets.Remove(key);
                    }
                }
            }
        }
    }
}
