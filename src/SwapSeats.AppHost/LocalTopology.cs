using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SwapSeats.AppHost;

/// <summary>Where the local run keeps its state and which ports it uses; all overridable by environment variables.</summary>
internal sealed record LocalTopology(string RepoRoot, int HttpPort, int PostgresPort, int NatsPort, int SmtpPort, int MailUiPort)
{
    public string DataDir => Path.Combine(RepoRoot, ".data");

    public static LocalTopology FromEnvironment()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "SwapSeats.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Run the AppHost from inside the SwapSeats repository.");
        }

        return new LocalTopology(root, Port("SWAPSEATS_HTTP_PORT", 8080), Port("SWAPSEATS_PG_PORT", 55432), Port("SWAPSEATS_NATS_PORT", 4222),
            Port("SWAPSEATS_SMTP_PORT", 2525), Port("SWAPSEATS_MAIL_UI_PORT", 5080));
    }

    /// <summary>SWAPSEATS_REPLICAS: how many processes of each service (not the gateway) run; 1 unless set, at most 8.</summary>
    public int Replicas { get; } = Environment.GetEnvironmentVariable("SWAPSEATS_REPLICAS") is { Length: > 0 } value
        ? int.TryParse(value, out var n) && n is >= 1 and <= 8
            ? n
            : throw new InvalidOperationException($"SWAPSEATS_REPLICAS must be a number from 1 to 8, not '{value}'.")
        : 1;

    public string PostgresConnection(string database) =>
        $"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Database={database}";

    public string NatsUrl => $"nats://127.0.0.1:{NatsPort}";

    /// <summary>The Debian packages whose binaries are not on this machine (nats-server; PostgreSQL's initdb/postgres).</summary>
    public List<string> MissingPrerequisites()
    {
        static bool OnPath(string binary) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(dir => File.Exists(Path.Combine(dir, binary)));
        var missing = new List<string>();
        if (!OnPath("nats-server"))
        {
            missing.Add("nats-server");
        }

        if (!OnPath("initdb") && !(Directory.Exists("/usr/lib/postgresql")
                                   && Directory.GetDirectories("/usr/lib/postgresql").Any(d => File.Exists(Path.Combine(d, "bin", "initdb")))))
        {
            missing.Add("postgresql");
        }

        return missing;
    }

    /// <summary>
    /// The development session key pair, generated on the first local run into .data/keys (never committed).
    /// Auth gets the private key; every service gets the public one.
    /// </summary>
    public (string PrivateKeyFile, string PublicKeyFile) EnsureSessionKeys()
    {
        var dir = Path.Combine(DataDir, "keys");
        var privateFile = Path.Combine(dir, "session-signing.pem");
        var publicFile = Path.Combine(dir, "session-public.pem");
        if (!File.Exists(privateFile) || !File.Exists(publicFile))
        {
            Directory.CreateDirectory(dir);
            // RSA: every request checks a session's signature, and RS256 checks cost a third of ES256 ones (SessionKeyPem).
            using var key = RSA.Create(2048);
            File.WriteAllText(privateFile, key.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(privateFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.WriteAllText(publicFile, key.ExportSubjectPublicKeyInfoPem());
        }

        return (privateFile, publicFile);
    }

    private static int Port(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var port) ? port : fallback;
}

/// <summary>Healthy once something accepts TCP connections on the port: how the AppHost knows a server is up.</summary>
internal sealed class TcpPortHealthCheck(int port) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (SocketException ex)
        {
            return HealthCheckResult.Unhealthy($"Nothing listens on port {port} yet.", ex);
        }
    }
}
