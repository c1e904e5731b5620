using System.Text.RegularExpressions;
using Npgsql;
using SwapSeats.Testing;

namespace SwapSeats.Deploy.Tests;

/// <summary>
/// docs/operations.md's commands run as written: the blocks marked <c>&lt;!-- test: name --&gt;</c> are taken from the
/// page itself, so a change to the page is a change to what is tested.
/// </summary>
public sealed partial class OperationsDocTests
{
    private static string Block(string name)
    {
        var page = File.ReadAllText(Path.Combine(ServiceProcess.RepositoryRoot(), "docs", "operations.md"));
        var match = Marked().Matches(page).SingleOrDefault(m => m.Groups[1].Value == name);
        Assert.True(match is not null, $"docs/operations.md has no block marked <!-- test: {name} -->");
        return match!.Groups[2].Value;
    }

    [GeneratedRegex(@"<!-- test: (\w+) -->\s*```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex Marked();

    private static async Task ShAsync(string script, string directory, Dictionary<string, string> environment)
    {
        var exports = string.Concat(environment.Select(e => $"export {e.Key}='{e.Value}'\n"));
        var (exitCode, output) = await ExternalProcess.RunForOutputAsync("bash", ["-euo", "pipefail", "-c", $"cd '{directory}'\n{exports}{script}"]);
        Assert.True(exitCode == 0, $"exit {exitCode}: {output}");
    }

    private static async Task<List<string>> RowsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id || ':' || title FROM seats ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    [Fact]
    public async Task A_database_backed_up_and_restored_with_the_runbooks_commands_has_the_same_rows()
    {
        var postgres = await PostgresServer.SharedAsync();
        var source = await postgres.CreateDatabaseAsync("orders");
        await using (var connection = new NpgsqlConnection(source))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand(
                "CREATE TABLE seats (id int PRIMARY KEY, title text NOT NULL); INSERT INTO seats SELECT i, 'Row ' || i FROM generate_series(1, 500) i", connection);
            await create.ExecuteNonQueryAsync();
        }

        var work = Directory.CreateTempSubdirectory("swapseats-backup-");
        try
        {
            string Url(string connectionString) =>
                $"postgresql://postgres@127.0.0.1:{postgres.Port}/{new NpgsqlConnectionStringBuilder(connectionString).Database}";
            await ShAsync(Block("backup"), work.FullName, new() { ["DATABASE_URL"] = Url(source) });
            var dump = Assert.Single(work.GetFiles("*.dump"));
            Assert.Equal($"{new NpgsqlConnectionStringBuilder(source).Database}.dump", dump.Name);

            var target = await postgres.CreateDatabaseAsync("orders");
            await ShAsync(Block("restore"), work.FullName, new() { ["DATABASE_URL"] = Url(target), ["DUMP"] = dump.FullName });
            var restored = await RowsAsync(target);
            Assert.Equal(500, restored.Count);
            Assert.Equal(await RowsAsync(source), restored);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
