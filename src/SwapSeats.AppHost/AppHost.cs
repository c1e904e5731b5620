using Microsoft.Extensions.DependencyInjection;
using SwapSeats.AppHost;

// The one description of the local topology: PostgreSQL and nats-server as local processes with their data
// under .data/, then every service and the gateway, wired through environment variables.
var topology = LocalTopology.FromEnvironment();
if (topology.MissingPrerequisites() is { Count: > 0 } missing)
{
    // ./run.sh installs these first; someone starting the AppHost directly gets told what to do instead of a crash loop.
    Console.Error.WriteLine($"Missing: {string.Join(", ", missing)}. Run ./run.sh (it installs them), or: sudo apt-get install -y {string.Join(' ', missing)}");
    return 1;
}

var builder = DistributedApplication.CreateBuilder(args);
var (privateKeyFile, publicKeyFile) = topology.EnsureSessionKeys();

builder.Services.AddHealthChecks()
    .AddCheck("postgres-port", new TcpPortHealthCheck(topology.PostgresPort))
    .AddCheck("nats-port", new TcpPortHealthCheck(topology.NatsPort))
    .AddCheck("smtp-port", new TcpPortHealthCheck(topology.SmtpPort));

var postgres = builder.AddExecutable("postgres", "bash", topology.RepoRoot,
        "scripts/local-postgres.sh", Path.Combine(topology.DataDir, "postgres"), topology.PostgresPort.ToString())
    .WithHealthCheck("postgres-port");

var nats = builder.AddExecutable("nats", "nats-server", topology.RepoRoot,
        "-js", "-a", "127.0.0.1", "-p", topology.NatsPort.ToString(), "-sd", Path.Combine(topology.DataDir, "nats"))
    .WithHealthCheck("nats-port");

// Every email the marketplace sends lands in smtp4dev (the .NET tool pinned in dotnet-tools.json, restored by ./run.sh):
// SMTP on SWAPSEATS_SMTP_PORT, its web inbox on SWAPSEATS_MAIL_UI_PORT. Mail is kept in memory only (--db=).
var smtp = builder.AddExecutable("smtp4dev", "dotnet", topology.RepoRoot,
        "smtp4dev", $"--urls=http://127.0.0.1:{topology.MailUiPort}", $"--smtpport={topology.SmtpPort}", "--imapport=", "--pop3port=", "--db=")
    .WithHealthCheck("smtp-port");

// Settings a developer gives ./run.sh (e.g. Orders__ReservationWindow=00:00:30) reach the services.
string[] forwardedPrefixes = ["Auth__", "Tickets__", "Orders__", "Expiration__", "Payments__", "Notifications__", "Web__", "Gateway__", "Jwt__", "ForwardedHeaders__"];
var forwarded = Environment.GetEnvironmentVariables().Keys.Cast<string>()
    .Where(name => forwardedPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
    .ToList();

// Locally every process shares the machine's cores: the runtime settings for that (which and why:
// SwapSeats.ServiceDefaults/CoLocatedRuntime.cs). In Kubernetes a pod has its own CPU limit and the runtime's defaults
// apply; see README "Runtime settings".
static IResourceBuilder<ProjectResource> CoLocated(IResourceBuilder<ProjectResource> project) =>
    SwapSeats.ServiceDefaults.CoLocatedRuntime.Environment.Aggregate(project, (p, setting) => p.WithEnvironment(setting.Key, setting.Value));

// SWAPSEATS_REPLICAS=N: N processes of every service but the gateway, named tickets, tickets-2, … The gateway and
// the web UI are given every replica's address and spread their calls over the ready ones.
var replicas = topology.Replicas;

IResourceBuilder<ProjectResource>[] Service<TProject>(string name, Action<IResourceBuilder<ProjectResource>>? configure = null)
    where TProject : IProjectMetadata, new() => Enumerable.Range(1, replicas).Select(replica =>
{
    var service = CoLocated(builder.AddProject<TProject>(replica == 1 ? name : $"{name}-{replica}", launchProfileName: null))
        // Direct ports, no DCP proxy in between: one hop less, and the gateway is the only public entry anyway.
        .WithHttpEndpoint(isProxied: false)
        .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
        .WithEnvironment("Jwt__PublicKeyFile", publicKeyFile)
        .WithEnvironment($"ConnectionStrings__{name}", topology.PostgresConnection(name))
        .WithEnvironment("ConnectionStrings__nats", topology.NatsUrl)
        .WithHttpHealthCheck("/health/ready")
        .WaitFor(postgres)
        .WaitFor(nats);
    // Forwarded-header trust is the gateway's to configure: locally the services trust the gateway on loopback.
    foreach (var variable in forwarded.Where(v => !v.StartsWith("ForwardedHeaders__", StringComparison.Ordinal)))
    {
        service.WithEnvironment(variable, Environment.GetEnvironmentVariable(variable));
    }

    configure?.Invoke(service);
    return service;
}).ToArray();

// "http://127.0.0.1:5001;http://127.0.0.1:5002": every replica of a service, as the gateway and the web UI read it.
static ReferenceExpression Addresses(IResourceBuilder<ProjectResource>[] service)
{
    var addresses = new ReferenceExpressionBuilder();
    for (var i = 0; i < service.Length; i++)
    {
        if (i > 0)
        {
            addresses.AppendLiteral(";");
        }

        addresses.Append($"{service[i].GetEndpoint("http")}");
    }

    return addresses.Build();
}

var auth = Service<Projects.SwapSeats_Auth>("auth", a => a.WithEnvironment("Auth__SigningKeyFile", privateKeyFile));
var tickets = Service<Projects.SwapSeats_Tickets>("tickets");
var orders = Service<Projects.SwapSeats_Orders>("orders");
Service<Projects.SwapSeats_Expiration>("expiration");
var payments = Service<Projects.SwapSeats_Payments>("payments");
Service<Projects.SwapSeats_Notifications>("notifications", n => n
    .WithEnvironment("Notifications__Smtp__Host", "127.0.0.1")
    .WithEnvironment("Notifications__Smtp__Port", topology.SmtpPort.ToString())
    .WithEnvironment("Notifications__Smtp__Security", "None")
    .WithEnvironment("Notifications__WebBaseUrl", "http://localhost:" + topology.HttpPort)
    .WaitFor(smtp));

// The UI calls the APIs (directly, not back through the gateway) with the user's session; its own database holds only
// the Data Protection key ring that every replica shares (antiforgery tokens).
var web = Service<Projects.SwapSeats_Web>("web", w =>
{
    foreach (var (name, api) in new[] { ("auth", auth), ("tickets", tickets), ("orders", orders), ("payments", payments) })
    {
        w.WithEnvironment($"Web__Services__{name}", Addresses(api));
        foreach (var replica in api)
        {
            w.WaitFor(replica);
        }
    }
});

var gateway = CoLocated(builder.AddProject<Projects.SwapSeats_Gateway>("gateway", launchProfileName: null))
    .WithHttpEndpoint(port: topology.HttpPort, isProxied: false)
    .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
    .WithHttpHealthCheck("/health/ready");
foreach (var (name, service) in new[] { ("auth", auth), ("tickets", tickets), ("orders", orders), ("payments", payments), ("web", web) })
{
    gateway.WithEnvironment($"Gateway__Services__{name}", Addresses(service));
    foreach (var replica in service)
    {
        gateway.WaitFor(replica);
    }
}

foreach (var variable in forwarded.Where(v => v.StartsWith("Gateway__", StringComparison.Ordinal) || v.StartsWith("ForwardedHeaders__", StringComparison.Ordinal)))
{
    gateway.WithEnvironment(variable, Environment.GetEnvironmentVariable(variable));
}

if (DemoSeeder.Enabled)
{
    builder.Services.AddSingleton(topology);
    builder.Services.AddHostedService<DemoSeeder>();
}

builder.Build().Run();
return 0;
