using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;

namespace SwapSeats.Messaging.Consumers;

/// <summary>What became of an event.</summary>
public enum HandleResult
{
    /// <summary>The effect was made (it commits with the inbox record).</summary>
    Applied,

    /// <summary>Nothing to do: a stale version, or a state the event no longer applies to. Acked and recorded.</summary>
    Ignored,

    /// <summary>Too early (an earlier version has not arrived yet): nothing is saved, and the message comes back later.</summary>
    RetryLater,
}

/// <summary>
/// Applies one integration event to this service's database. Runs inside a transaction the consumer opened on the
/// service's DbContext (resolve it from DI: it is the same scoped instance); the consumer records the event id and
/// commits, then acks. Throw for a failure worth retrying; never commit yourself.
/// </summary>
public interface IEventHandler<in TEvent> where TEvent : IIntegrationEvent
{
    Task<HandleResult> HandleAsync(TEvent @event, CancellationToken cancellationToken);
}

/// <summary>Version ordering for replicas: apply only the next version, wait for an early one, drop a stale one.</summary>
public static class Versioned
{
    /// <param name="current">The replica's version, or null when the replica does not have the entity yet.</param>
    /// <param name="incoming">The event's version; creation events carry 0.</param>
    public static HandleResult Check(int? current, int incoming) => current switch
    {
        null => incoming == 0 ? HandleResult.Applied : HandleResult.RetryLater,
        _ when incoming == current + 1 => HandleResult.Applied,
        _ when incoming <= current => HandleResult.Ignored,
        _ => HandleResult.RetryLater,
    };

    /// <summary>
    /// Whether this batch's context already tracks the row. A handler that updates a replica with one statement
    /// (<c>ExecuteUpdate … WHERE version = v - 1</c>) must not do so behind a tracked copy: the copy would go stale for
    /// the rest of the batch. Looks in the identity map only, without detecting changes.
    /// </summary>
    private static bool IsTracked<TEntity>(DbContext db, object key) where TEntity : class =>
        db.ChangeTracker.WithoutDetectingChanges(_ => db.Set<TEntity>().Local.FindEntryUntyped([key]) is not null);

    /// <summary>
    /// The common case of an event's effect in one statement: <paramref name="update"/> changes the row only where it is
    /// in the state the event follows — the version before the event's (<c>UPDATE … WHERE id = @id AND version = @v - 1</c>),
    /// a timer still pending — and returns the rows it changed. False when it changed none (the row is not there yet, the
    /// event is out of order or stale) or was not tried because the context tracks the row: the caller then reads the row
    /// and decides (<see cref="Check"/>), through the same domain method the one statement stands for.
    /// </summary>
    public static async Task<bool> TryInOneStatementAsync<TEntity>(DbContext db, object key, Func<Task<int>> update) where TEntity : class =>
        !IsTracked<TEntity>(db, key) && await update() == 1;
}
