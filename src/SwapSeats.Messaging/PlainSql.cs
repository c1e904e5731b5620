using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace SwapSeats.Messaging;

/// <summary>
/// A statement sent with Npgsql itself, on a DbContext's connection and in its current transaction, for the few that
/// run on every batch (the inbox record, the relay's claim): EF's <c>SqlQuery</c>/<c>FromSql</c> wrap even a fixed SQL
/// text in a LINQ query that is funcletized and looked up in the query cache on every call, which cost more CPU than
/// the statement. Parameters are positional (<c>$1</c>, <c>$2</c>, ...).
/// </summary>
public static class PlainSql
{
    public static NpgsqlCommand Command(DbContext db, string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, (NpgsqlConnection)db.Database.GetDbConnection(),
            (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        }

        return command;
    }
}
