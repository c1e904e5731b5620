using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;
using Xunit;

namespace SwapSeats.Testing;

/// <summary>
/// A replica applies the next version of a row in one statement when it can and reads the row first when it must
/// (<see cref="Versioned.TryInOneStatementAsync{TEntity}"/>). The two are written separately, so a field that only one of them
/// learns would silently go stale: this applies one update both ways and compares the rows column by column.
/// </summary>
public static class ReplicaUpdatePaths
{
    /// <summary>
    /// Replicates two rows with <paramref name="created"/>, then applies <paramref name="updated"/> (one version on) to
    /// each in one batch: the first through the one-statement path, the second through the read path (its row tracked
    /// first, as when the batch has loaded it). Asserts both were applied, each the way intended, and that they left
    /// the same row. Give an update that changes every field the replica keeps (<paramref name="between"/> may move a
    /// fake clock, so that times written by the update differ from the creation's).
    /// </summary>
    public static async Task AssertBothWaysAgreeAsync<TContext, TEntity, TCreated, TCreatedHandler, TUpdated, TUpdatedHandler>(
        IServiceProvider services, Func<Guid, TCreated> created, Func<Guid, TUpdated> updated, Action? between = null)
        where TContext : DbContext
        where TEntity : class
        where TCreated : IIntegrationEvent
        where TCreatedHandler : IEventHandler<TCreated>
        where TUpdated : IIntegrationEvent
        where TUpdatedHandler : IEventHandler<TUpdated>
    {
        Guid oneStatement = Guid.CreateVersion7(), readPath = Guid.CreateVersion7();
        await InScopeAsync<TContext>(services, async (scope, db) =>
        {
            var handler = scope.GetRequiredService<TCreatedHandler>();
            Assert.Equal(HandleResult.Applied, await handler.HandleAsync(created(oneStatement), CancellationToken.None));
            Assert.Equal(HandleResult.Applied, await handler.HandleAsync(created(readPath), CancellationToken.None));
        });

        between?.Invoke();
        await InScopeAsync<TContext>(services, async (scope, db) =>
        {
            var handler = scope.GetRequiredService<TUpdatedHandler>();
            Assert.Equal(HandleResult.Applied, await handler.HandleAsync(updated(oneStatement), CancellationToken.None));
            Assert.Empty(db.ChangeTracker.Entries<TEntity>()); // no read: the one-statement path took it

            Assert.NotNull(await db.Set<TEntity>().FindAsync(readPath));
            Assert.Equal(HandleResult.Applied, await handler.HandleAsync(updated(readPath), CancellationToken.None));
        });

        var rows = await InScopeAsync<TContext, string[]>(services, db =>
        {
            // The table's and key's names come from the model, not from input; the ids are parameters.
            var entity = db.Model.FindEntityType(typeof(TEntity))!;
            var key = entity.FindPrimaryKey()!.Properties.Single().GetColumnName();
            var sql = $"SELECT (to_jsonb(t) - '{key}')::text AS \"Value\" FROM {entity.GetTableName()} t WHERE t.{key} IN ({{0}}, {{1}}) ORDER BY t.{key} = {{0}} DESC";
            return db.Database.SqlQueryRaw<string>(sql, oneStatement, readPath)
                .ToArrayAsync();
        });
        Assert.Equal(2, rows.Length);
        Assert.Equal(rows[1], rows[0]);
    }

    /// <summary>
    /// <see cref="AssertBothWaysAgreeAsync"/> for a replica of tickets: a listing, and the next version of it changing
    /// every field such a replica keeps — seller, title, price, status, order, file and the event (short of a sale with
    /// its file, which takes the read path on purpose).
    /// </summary>
    public static Task AssertTicketUpdateBothWaysAgreeAsync<TContext, TEntity, TCreatedHandler, TUpdatedHandler>(IServiceProvider services)
        where TContext : DbContext
        where TEntity : class
        where TCreatedHandler : IEventHandler<TicketCreated>
        where TUpdatedHandler : IEventHandler<TicketUpdated>
    {
        var concert = new EventInfo(Guid.CreateVersion7(), "Spring Gala", "Hall A", "Leeds", new DateTimeOffset(2027, 4, 1, 19, 0, 0, TimeSpan.Zero));
        var moved = concert with { Name = "Spring Gala (moved)", Venue = "Hall B", City = "York", StartsAt = concert.StartsAt.AddDays(7) };
        Guid seller = Guid.CreateVersion7(), newSeller = Guid.CreateVersion7(), order = Guid.CreateVersion7();
        return AssertBothWaysAgreeAsync<TContext, TEntity, TicketCreated, TCreatedHandler, TicketUpdated, TUpdatedHandler>(services,
            id => new TicketCreated(id, "Row 1", 10m, seller, 0) { Event = concert, FaceValue = 10m },
            id => new TicketUpdated(id, "Row 2", 12.5m, newSeller, order, TicketStatuses.Reserved, 1) { Event = moved, FaceValue = 11m, HasFile = true });
    }

    /// <summary>Runs <paramref name="work"/> in a scope's transaction, saves and commits, as the consumer does with a batch.</summary>
    private static async Task InScopeAsync<TContext>(IServiceProvider services, Func<IServiceProvider, TContext, Task> work) where TContext : DbContext =>
        await InScopeAsync<TContext, bool>(services, async (scope, db) =>
        {
            await work(scope, db);
            return true;
        });

    private static Task<T> InScopeAsync<TContext, T>(IServiceProvider services, Func<TContext, Task<T>> work) where TContext : DbContext =>
        InScopeAsync<TContext, T>(services, (_, db) => work(db));

    private static async Task<T> InScopeAsync<TContext, T>(IServiceProvider services, Func<IServiceProvider, TContext, Task<T>> work) where TContext : DbContext
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var result = await work(scope.ServiceProvider, db);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        return result;
    }
}
