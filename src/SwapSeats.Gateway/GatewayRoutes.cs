using Yarp.ReverseProxy.Configuration;

namespace SwapSeats.Gateway;

/// <summary>
/// The public origin's routing table: each API prefix goes to the service that owns it, everything else to the web UI.
/// A service appears here once its address is configured (<c>Gateway:Services:{name}</c>): one URL, or the URLs of its
/// replicas separated by <c>;</c>. Requests go round robin to the replicas that are ready: each is probed on
/// <c>/health/ready</c> (every <c>Gateway:HealthProbeInterval</c>, 5 s by default), and one that refuses a connection
/// is left out at once until a probe finds it ready again.
/// </summary>
public static class GatewayRoutes
{
    /// <summary>Service name → the public path prefixes it owns. The web UI takes every path no API owns.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> ApiPrefixes = new Dictionary<string, string[]>
    {
        ["auth"] = ["/api/users"],
        ["tickets"] = ["/api/tickets", "/api/events"],
        ["orders"] = ["/api/orders"],
        ["payments"] = ["/api/payments", "/api/payouts"],
    };

    public const string Web = "web";

    /// <summary>Sign-up and sign-in: what a password-guessing client calls, limited per client address.</summary>
    public static readonly string[] CredentialPaths = ["/api/users/signup", "/api/users/signin"];

    /// <summary>The web UI's forms that post credentials.</summary>
    public static readonly string[] WebCredentialPaths = ["/auth/signup", "/auth/signin", "/signup", "/signin"];

    /// <summary>
    /// The services whose every request is a short JSON exchange with their database. A rush on them (a thousand buyers
    /// on one listing) waits here for one of a few kept-alive connections per replica, which costs nothing, instead of
    /// opening a connection per request to a service that has only <see cref="ConnectionsPerReplica"/> database
    /// connections anyway. Tickets (ticket files) and the web UI stream bodies for as long as a slow client takes, so
    /// their connections stay unbounded.
    /// </summary>
    public static readonly string[] Bounded = ["auth", "orders", "payments"];

    /// <summary>The default of <c>Gateway:ConnectionsPerReplica</c>: each service's database pool size (Database.Tuned).</summary>
    public const int ConnectionsPerReplica = 32;

    /// <param name="credentialsPolicy">The rate-limiter policy for <see cref="CredentialPaths"/>; null: unlimited.</param>
    /// <param name="connectionsPerReplica">The bound on connections to each replica of a <see cref="Bounded"/> service; 0: none.</param>
    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(IConfiguration services, string? credentialsPolicy = null,
        TimeSpan? probeInterval = null, int connectionsPerReplica = ConnectionsPerReplica)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var service in services.GetChildren().Where(s => !string.IsNullOrWhiteSpace(s.Value)))
        {
            clusters.Add(Cluster(service.Key, service.Value!, probeInterval ?? TimeSpan.FromSeconds(5),
                connectionsPerReplica > 0 && Bounded.Contains(service.Key) ? connectionsPerReplica : null));

            if (service.Key == "auth" && credentialsPolicy is not null)
            {
                // Exact paths rank above the service's catch-all, so these two carry the limit and nothing else does.
                routes.AddRange(CredentialPaths.Select(path => new RouteConfig
                {
                    RouteId = "auth" + path.Replace('/', '-'),
                    ClusterId = service.Key,
                    Match = new RouteMatch { Path = path },
                    RateLimiterPolicy = credentialsPolicy,
                }));
            }

            if (ApiPrefixes.TryGetValue(service.Key, out var prefixes))
            {
                foreach (var prefix in prefixes)
                {
                    var id = service.Key + prefix.Replace('/', '-');
                    routes.Add(new RouteConfig { RouteId = id, ClusterId = service.Key, Match = new RouteMatch { Path = prefix + "/{**rest}" } });
                    routes.Add(new RouteConfig { RouteId = id + "-root", ClusterId = service.Key, Match = new RouteMatch { Path = prefix } });
                }

                // The service's OpenAPI document, for the reference at /api/docs.
                routes.Add(new RouteConfig
                {
                    RouteId = service.Key + "-openapi",
                    ClusterId = service.Key,
                    Match = new RouteMatch { Path = $"/api/docs/openapi/{service.Key}.json" },
                    Transforms = [new Dictionary<string, string> { ["PathSet"] = "/openapi/v1.json" }],
                });
            }
            else if (service.Key == Web)
            {
                if (credentialsPolicy is not null)
                {
                    // The web UI's sign-in and sign-up forms reach auth too: the same limit, or it could be walked around.
                    routes.AddRange(WebCredentialPaths.Select(path => new RouteConfig
                    {
                        RouteId = "web" + path.Replace('/', '-'),
                        ClusterId = Web,
                        Match = new RouteMatch { Path = path, Methods = ["POST"] },
                        RateLimiterPolicy = credentialsPolicy,
                    }));
                }

                routes.Add(new RouteConfig
                {
                    RouteId = Web,
                    ClusterId = Web,
                    // Lowest priority: only what no API route claims.
                    Order = int.MaxValue,
                    Match = new RouteMatch { Path = "/{**rest}" },
                });
            }
        }

        return (routes, clusters);
    }

    /// <summary>The replicas of one service: every address is a destination; only the ready ones get requests.</summary>
    /// <param name="connectionsPerReplica">At most this many connections to each replica (null: as many as requests).</param>
    public static ClusterConfig Cluster(string name, string addresses, TimeSpan probeInterval, int? connectionsPerReplica = null)
    {
        var replicas = Addresses(addresses);
        return new ClusterConfig
        {
            ClusterId = name,
            LoadBalancingPolicy = Yarp.ReverseProxy.LoadBalancing.LoadBalancingPolicies.RoundRobin,
            HttpClient = connectionsPerReplica is { } bound ? new HttpClientConfig { MaxConnectionsPerServer = bound } : null,
            Destinations = replicas.Select((address, i) => (address, i))
                .ToDictionary(r => replicas.Count == 1 ? "primary" : $"replica-{r.i + 1}", r => new DestinationConfig { Address = r.address }),
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = probeInterval,
                    Timeout = TimeSpan.FromSeconds(2),
                    Path = "/health/ready",
                    Policy = Yarp.ReverseProxy.Health.HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                },
                // A replica that is gone (connection refused, reset) is left out before its next probe.
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = Yarp.ReverseProxy.Health.HealthCheckConstants.PassivePolicy.TransportFailureRate,
                    ReactivationPeriod = probeInterval,
                },
                AvailableDestinationsPolicy = Yarp.ReverseProxy.Health.HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
            },
        };
    }

    public static IReadOnlyList<string> Addresses(string addresses) =>
        addresses.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
