using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SwapSeats.ServiceDefaults;

public static class Database
{
    /// <summary>
    /// Registers the service's own PostgreSQL database from <c>ConnectionStrings:{name}</c> with a readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDatabase<TContext>(this IHostApplicationBuilder builder, string name)
        where TContext : DbContext
    {
        var connectionString = builder.Configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{name} is not set (env ConnectionStrings__{name}); it must point at the {name} PostgreSQL database.");
        }

        // Interceptors registered by other building blocks (the outbox's commit signal) join every context. Contexts are
        // pooled: a request or a consumer batch gets a ready one instead of building it.
        builder.Services.AddDbContextPool<TContext>((services, options) => options
            .UseNpgsql(Tuned(connectionString))
            .AddInterceptors(NoSavepoints.Instance)
            // A failed command always surfaces as an exception, logged where it is handled; some failures are the
            // design (a unique index refusing the second buyer) and must not flood the error log.
            .ConfigureWarnings(warnings => warnings.Log(
                (RelationalEventId.CommandError, LogLevel.Debug),
                (RelationalEventId.TransactionError, LogLevel.Debug),
                (CoreEventId.SaveChangesFailed, LogLevel.Debug)))
            .AddInterceptors(services.GetServices<IInterceptor>()));
        builder.Services.AddSingleton<SchemaVersion<TContext>>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck<TContext>>($"{name}-db", tags: [HealthTags.Ready]);
        return builder;
    }

    /// <summary>
    /// The pool's settings unless the connection string says otherwise: at most 32 connections, a pooled connection is
    /// handed back as it is (no <c>DISCARD ALL</c> round trip on every open: nothing here sets session state), and
    /// statements that recur are prepared once per connection and kept.
    /// </summary>
    internal static string Tuned(string connectionString)
    {
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            settings.NoResetOnClose = true;
        }

        // A bounded pool: PostgreSQL runs only a few queries at once per core, so beyond a few dozen connections a rush
        // only forks more backends (each costing milliseconds of CPU) and contends inside the server. Past this size a
        // request waits in the service, which costs nothing, for a connection to come back.
        if (!connectionString.Contains("Pool Size", StringComparison.OrdinalIgnoreCase))
        {
            settings.MaxPoolSize = 32;
        }

        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            settings.MaxAutoPrepare = 50;
            settings.AutoPrepareMinUsages = 2;
        }

        return settings.ConnectionString;
    }

    /// <summary>
    /// Applies committed migrations at start-up in Development (or when Database:MigrateOnStartup is true).
    /// Run with the argument <c>migrate</c> to apply them and exit: that is what each Kubernetes pod's init container does.
    /// </summary>
    /// <returns>true when the process should exit now (migrate-only run).</returns>
    public static async Task<bool> MigrateDatabaseAsync<TContext>(this IHost app, string[] args) where TContext : DbContext
    {
        var config = app.Services.GetRequiredService<IConfiguration>();
        var environment = app.Services.GetRequiredService<IHostEnvironment>();
        var migrateOnly = args.Contains("migrate", StringComparer.OrdinalIgnoreCase);
        if (!migrateOnly && !environment.IsDevelopment() && !config.GetValue<bool>("Database:MigrateOnStartup"))
        {
            return false;
        }

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(Database));
        await MigrateWithRetryAsync(db, logger);
        return migrateOnly;
    }

    private static async Task MigrateWithRetryAsync(DbContext db, ILogger logger)
    {
        // Several services start at once against one fresh server: creating databases concurrently can collide,
        // and the server may still be starting. A few short retries settle both.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.Database.MigrateAsync();
                return;
            }
            catch (Exception ex) when (attempt < 10 && ex is Npgsql.NpgsqlException or InvalidOperationException)
            {
                logger.LogWarning(ex, "Database migration attempt {Attempt} failed; retrying", attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt));
            }
        }
    }
}

/// <summary>
/// EF Core wraps each SaveChanges inside an explicit transaction in a savepoint (two more round trips). Here an explicit
/// transaction is always the unit of failure: whoever catches an error rolls the whole transaction back, never to a
/// savepoint, so the savepoints are never created.
/// </summary>
internal sealed class NoSavepoints : DbTransactionInterceptor
{
    public static readonly NoSavepoints Instance = new();

    public override InterceptionResult CreatingSavepoint(System.Data.Common.DbTransaction transaction, TransactionEventData eventData, InterceptionResult result) =>
        InterceptionResult.Suppress();

    public override ValueTask<InterceptionResult> CreatingSavepointAsync(System.Data.Common.DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default) => ValueTask.FromResult(InterceptionResult.Suppress());

    public override InterceptionResult ReleasingSavepoint(System.Data.Common.DbTransaction transaction, TransactionEventData eventData, InterceptionResult result) =>
        InterceptionResult.Suppress();

    public override ValueTask<InterceptionResult> ReleasingSavepointAsync(System.Data.Common.DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default) => ValueTask.FromResult(InterceptionResult.Suppress());

    public override InterceptionResult RollingBackToSavepoint(System.Data.Common.DbTransaction transaction, TransactionEventData eventData, InterceptionResult result) =>
        InterceptionResult.Suppress();

    public override ValueTask<InterceptionResult> RollingBackToSavepointAsync(System.Data.Common.DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default) => ValueTask.FromResult(InterceptionResult.Suppress());
}

/// <summary>Whether the database has been seen at this build's schema (it only moves forward).</summary>
internal sealed class SchemaVersion<TContext> where TContext : DbContext
{
    public volatile bool Current;
}

/// <summary>
/// Ready means the database answers and holds every migration this build knows: a pod that started before its migration
/// ran (or against an older database) stays out of the Service instead of failing requests and dead-lettering events.
/// A database ahead of this build (the next release's migrations, applied while this one still runs) is ready: a
/// migration adds before it removes. Once current, only the connection is checked.
/// </summary>
internal sealed class DatabaseHealthCheck<TContext>(TContext db, SchemaVersion<TContext> schema) : IHealthCheck where TContext : DbContext
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!schema.Current)
            {
                var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
                if (pending.Count > 0)
                {
                    return HealthCheckResult.Unhealthy(
                        $"The database is {pending.Count} migration(s) behind this build (up to {pending[^1]}): run this build with the argument 'migrate'.");
                }

                schema.Current = true;
                return HealthCheckResult.Healthy();
            }

            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The database is not reachable.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The database is not reachable.", ex);
        }
    }
}

public static class HealthTags
{
    public const string Live = "live";
    public const string Ready = "ready";
}
