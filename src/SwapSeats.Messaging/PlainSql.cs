using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace SwapSeats.Messaging;

/// <summary>
/// A statement sent with Npgsql itself, on a DbContext's connection and in its current transaction, for the few that
/// run on every batch or every email (the inbox record, the relay's claim, an email's mark): EF's
/// <c>SqlQuery</c>/<c>FromSql</c> wrap even a fixed SQL text in a LINQ query that is funcletized and looked up in the
/// query cache on every call, which cost more CPU than the statement. Parameters are positional (<c>$1</c>, <c>$2</c>,
/// ...); a null is sent as SQL NULL and a <see cref="DateTimeOffset"/> as UTC (what <c>timestamptz</c> takes). The
/// connection is opened for the statement if the context has not opened it (no transaction) and closed after.
/// </summary>
public static class PlainSql
{
    /// <summary>Runs a statement and returns how many rows it changed.</summary>
    public static async Task<int> ExecuteAsync(DbContext db, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = Command(db, sql, parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Runs one statement once per set of parameters, all in one round trip (an <see cref="NpgsqlBatch"/>): a write of
    /// several rows by their keys that keeps the plan of a one-row write, which an <c>unnest</c> join cannot promise.
    /// </summary>
    public static async Task ExecuteForEachAsync(DbContext db, string sql, IReadOnlyCollection<object?[]> parameterSets, CancellationToken cancellationToken)
    {
        if (parameterSets.Count == 0)
        {
            return;
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(),
                (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
            foreach (var parameters in parameterSets)
            {
                var command = new NpgsqlBatchCommand(sql);
                AddParameters(command.Parameters, parameters);
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Runs a query (or a statement with <c>RETURNING</c>) and reads each row with <paramref name="read"/>.</summary>
    public static async Task<List<T>> ReadAsync<T>(DbContext db, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken,
        params object?[] parameters)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = Command(db, sql, parameters);
            await using var rows = await command.ExecuteReaderAsync(cancellationToken);
            var result = new List<T>();
            while (await rows.ReadAsync(cancellationToken))
            {
                result.Add(read(rows));
            }

            return result;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static NpgsqlCommand Command(DbContext db, string sql, object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, (NpgsqlConnection)db.Database.GetDbConnection(),
            (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        AddParameters(command.Parameters, parameters);
        return command;
    }

    private static void AddParameters(NpgsqlParameterCollection collection, object?[] parameters)
    {
        foreach (var parameter in parameters)
        {
            collection.Add(new NpgsqlParameter
            {
                Value = parameter switch
                {
                    null => DBNull.Value,
                    DateTimeOffset at => at.ToUniversalTime(),
                    _ => parameter,
                },
            });
        }
    }
}
