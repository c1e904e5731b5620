using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using SwapSeats.ServiceDefaults;
using static SwapSeats.Deploy.Tests.Manifests;

namespace SwapSeats.Deploy.Tests;

/// <summary>
/// The rules a real cluster enforces and this machine cannot (there is no cluster here), checked on the rendered
/// manifests: each one names what would break on day one without it.
/// </summary>
public sealed partial class ClusterRulesTests
{
    private static IEnumerable<Dictionary<object, object>> Deployments(string overlay) => Of(Render(overlay), "Deployment");

    private static string? DatabaseOf(Dictionary<object, object> container) =>
        List(container.GetValueOrDefault("env")).Select(e => (string)e["name"]).FirstOrDefault(n => n.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && n != "ConnectionStrings__nats");

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Each_pod_migrates_its_database_in_an_init_container_before_the_service_starts(string overlay)
    {
        // A Job's pod template is immutable (a new image cannot be applied over the old Job) and nothing orders a Job
        // before the Deployments: the migration belongs to the pod that needs it.
        Assert.Empty(Of(Render(overlay), "Job"));
        var migrating = 0;
        foreach (var deployment in Deployments(overlay))
        {
            var main = MainContainer(deployment);
            if (DatabaseOf(main) is not { } database)
            {
                continue;
            }

            var init = List(At(PodSpec(deployment), "initContainers")).ToList();
            Assert.True(init.Count == 1, $"{overlay}: {Name(deployment)} has a database but no migration init container");
            Assert.Equal(["migrate"], Strings(init[0].GetValueOrDefault("args")));
            Assert.Equal(main["image"], init[0]["image"]);
            Assert.Equal(database, DatabaseOf(init[0]));
            migrating++;
        }

        Assert.Equal(7, migrating);
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Nothing_the_overlay_renders_owns_the_namespace_or_the_stored_data(string overlay)
    {
        // skaffold dev's cleanup deletes everything the overlay rendered: a Namespace among it would take the Secrets
        // from dev-secrets.sh and the volumes with it.
        Assert.Empty(Of(Render(overlay), "Namespace"));
        Assert.Empty(Of(Render(overlay), "Secret"));
        foreach (var statefulSet in Of(Render(overlay), "StatefulSet"))
        {
            Assert.True(Text(statefulSet, "spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted") == "Retain",
                $"{overlay}: deleting StatefulSet {Name(statefulSet)} would delete its volumes");
        }

        Assert.DoesNotContain("namespace.yaml", File.ReadAllText(Path.Combine(Root, "deploy", "k8s", "overlays", overlay, "kustomization.yaml")));
        Assert.Contains("kubectl create namespace", File.ReadAllText(Path.Combine(Root, "deploy", "k8s", "dev-secrets.sh")));
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Every_image_is_pinned_and_can_be_pulled(string overlay)
    {
        foreach (var (workload, container) in Containers(Render(overlay)))
        {
            var image = (string)container["image"];
            var where = $"{overlay}: {Name(workload)}/{container["name"]} image {image}";
            var lastSegment = image[(image.LastIndexOf('/') + 1)..];
            Assert.True(image.Contains("@sha256:", StringComparison.Ordinal) || (lastSegment.Contains(':') && !lastSegment.EndsWith(":latest", StringComparison.Ordinal)),
                $"{where} has no tag or digest (it would mean :latest, pulled on every start)");
            Assert.True(Text(container, "imagePullPolicy") == "IfNotPresent", $"{where}: a pinned image is pulled once (IfNotPresent)");
            if (image.Contains("swapseats/", StringComparison.Ordinal))
            {
                var registry = image.Split('/')[0];
                if (overlay == "prod")
                {
                    Assert.True(registry.Contains('.') || registry.Contains(':'), $"{where} names no registry: a cluster cannot pull it");
                }
                else
                {
                    Assert.Equal("swapseats", registry); // built on the node by skaffold or docker build -t swapseats/NAME:dev
                    Assert.EndsWith(":dev", image);
                }
            }
        }
    }

    [Fact]
    public void Prod_charges_cards_with_stripe_and_only_dev_allows_the_local_provider_by_name()
    {
        var prod = Render("prod");
        var payments = MainContainer(One(prod, "Deployment", "payments"));
        Assert.Equal("stripe", EnvValue(prod, payments, "Payments__Provider"));
        Assert.Null(EnvValue(prod, payments, "Payments__AllowLocalProvider"));
        var key = List(payments["env"]).Single(e => (string)e["name"] == "Payments__Stripe__SecretKey");
        Assert.Equal("swapseats-stripe", Text(key, "valueFrom", "secretKeyRef", "name"));

        var dev = Render("dev");
        var devPayments = MainContainer(One(dev, "Deployment", "payments"));
        Assert.Equal("local", EnvValue(dev, devPayments, "Payments__Provider"));
        Assert.Equal("true", EnvValue(dev, devPayments, "Payments__AllowLocalProvider"));
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Nats_servers_start_caught_up_and_leave_in_lame_duck_mode(string overlay)
    {
        var objects = Render(overlay);
        var nats = One(objects, "StatefulSet", "nats");
        var container = MainContainer(nats);
        Assert.Equal("/healthz", Text(container, "startupProbe", "httpGet", "path"));
        Assert.Equal("/healthz?js-enabled-only=true", Text(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("true", Text(One(objects, "Service", "nats"), "spec", "publishNotReadyAddresses"));
        Assert.Equal("None", Text(One(objects, "Service", "nats"), "spec", "clusterIP"));

        var config = GeneratedConfigMap(objects, "nats-config")["nats.conf"];
        var pidFile = Regex.Match(config, @"pid_file:\s*""([^""]+)""").Groups[1].Value;
        var preStop = string.Join(' ', Strings(At(container, "lifecycle", "preStop", "exec", "command")));
        Assert.Contains($"-sl=ldm={pidFile}", preStop);
        var lameDuck = Seconds(Regex.Match(config, @"lame_duck_duration:\s*""(\d+)s""").Groups[1].Value)
                       + Seconds(Regex.Match(config, @"lame_duck_grace_period:\s*""(\d+)s""").Groups[1].Value);
        Assert.True(int.Parse(Text(PodSpec(nats), "terminationGracePeriodSeconds")!) > lameDuck,
            $"{overlay}: the NATS pods are killed before lame-duck mode ({lameDuck} s) has moved the clients off");

        var limit = Bytes(Text(container, "resources", "limits", "memory")!);
        var goMemLimit = EnvValue(objects, container, "GOMEMLIMIT");
        Assert.True(goMemLimit is not null && Bytes(goMemLimit) < limit, $"{overlay}: GOMEMLIMIT {goMemLimit} must sit under the memory limit");
    }

    [Fact]
    public void Prod_nats_is_three_servers_on_three_nodes_routed_to_each_other()
    {
        var objects = Render("prod");
        var nats = One(objects, "StatefulSet", "nats");
        Assert.Equal("3", Text(nats, "spec", "replicas"));
        // Required anti-affinity, not a spread constraint: maxSkew 1 still allows 2 + 1 on two nodes (or 3 on one).
        var apart = List(At(PodSpec(nats), "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution")).Single();
        Assert.Equal("kubernetes.io/hostname", apart["topologyKey"]);
        Assert.True(Matches(apart["labelSelector"], PodLabels(nats)));
        var config = GeneratedConfigMap(objects, "nats-config")["nats.conf"];
        foreach (var pod in new[] { "nats-0", "nats-1", "nats-2" })
        {
            Assert.Contains($"nats://{pod}.nats:6222", config);
        }

        Assert.Equal("3", ConfigMapData(objects, "swapseats-config")["Messaging__StreamReplicas"]);
    }

    /// <summary>What each NATS user may publish, read from auth.conf.</summary>
    public static Dictionary<string, (string PasswordVariable, List<string> Publish, List<string> Deny, List<string> Subscribe)> NatsUsers(string authConf)
    {
        var users = new Dictionary<string, (string, List<string>, List<string>, List<string>)>();
        var variables = VariableRegex().Matches(authConf).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        foreach (Match user in UserRegex().Matches(authConf))
        {
            var body = user.Groups[3].Value;
            var allow = AllowRegex().Match(body);
            var subscribe = allow.Success ? allow.NextMatch() : allow;
            var deny = DenyRegex().Match(body);
            var denied = deny.Success ? deny.Groups[1].Value : "";
            if (denied.StartsWith('$'))
            {
                denied = variables[denied[1..]];
            }

            users[user.Groups[1].Value] = (user.Groups[2].Value, allow.Success ? Quoted(allow.Groups[1].Value) : ["*"], Quoted(denied),
                subscribe.Success ? Quoted(subscribe.Groups[1].Value) : ["*"]);
        }

        return users;
    }

    private static List<string> Quoted(string list) => QuotedRegex().Matches(list).Select(m => m.Groups[1].Value).ToList();

    /// <summary>The event sources each service publishes (SPEC, section 4); every other one is forbidden to it.</summary>
    private static readonly Dictionary<string, string[]> Publishes = new()
    {
        ["auth"] = ["user"],
        ["tickets"] = ["ticket"],
        ["orders"] = ["order"],
        ["expiration"] = ["expiration"],
        ["payments"] = ["payment", "payout"],
        ["notifications"] = [],
        ["web"] = [],
    };

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Every_nats_client_has_its_own_user_which_may_publish_only_its_own_events(string overlay)
    {
        var objects = Render(overlay);
        var users = NatsUsers(GeneratedConfigMap(objects, "nats-auth")["auth.conf"]);
        var natsEnv = List(MainContainer(One(objects, "StatefulSet", "nats"))["env"]).ToList();
        var sources = Contracts.Subjects.EventStreamSubjects.Select(s => s.TrimEnd('>', '.')).ToList();
        Assert.Equal(sources.Order(), Publishes.Values.SelectMany(s => s).Order());

        foreach (var deployment in Deployments(overlay).Where(d => Name(d) != "gateway"))
        {
            var service = Name(deployment);
            var container = MainContainer(deployment);
            Assert.Equal(service, EnvValue(objects, container, "Nats__User"));
            var password = List(container["env"]).Single(e => (string)e["name"] == "Nats__Password");
            Assert.Equal("swapseats-nats", Text(password, "valueFrom", "secretKeyRef", "name"));
            Assert.Equal(service, Text(password, "valueFrom", "secretKeyRef", "key"));

            Assert.True(users.TryGetValue(service, out var user), $"{overlay}: auth.conf has no NATS user {service}");
            var serverSide = natsEnv.Single(e => (string)e["name"] == user.PasswordVariable);
            Assert.Equal(("swapseats-nats", service), (Text(serverSide, "valueFrom", "secretKeyRef", "name"), Text(serverSide, "valueFrom", "secretKeyRef", "key")));

            var events = user.Publish.Where(s => !s.StartsWith('$') && !s.StartsWith("deadletter.", StringComparison.Ordinal)).ToList();
            Assert.Equal(Publishes[service].Select(s => s + ".>").Order(), events.Order());
            // Its consumers' dead letters, and no one else's: an operator's replay publishes a dead letter to its subject.
            Assert.Equal(ConsumedSources(service).Select(s => $"deadletter.{service}-{s}.>").Order(),
                user.Publish.Where(s => s.StartsWith("deadletter.", StringComparison.Ordinal)).Order());
            // Acks only for its own consumers, and replies only on its own inbox prefix (NatsCredentials.Apply): it can
            // neither read what another service pulls nor ack it away.
            Assert.Equal(ConsumedSources(service).Select(s => $"$JS.ACK.{Contracts.Subjects.EventStream}.{service}-{s}.>").Order(),
                user.Publish.Where(s => s.StartsWith("$JS.ACK.", StringComparison.Ordinal)).Order());
            Assert.Equal([$"_INBOX_{service}.>"], user.Subscribe);
            Assert.Contains("$JS.API.STREAM.PURGE.>", user.Deny);
            Assert.Contains("$JS.API.STREAM.DELETE.>", user.Deny);
        }

        Assert.Equal(["*"], users["operator"].Publish);
    }

    /// <summary>The event sources a service consumes, from its AddConsumer calls.</summary>
    private static IEnumerable<string> ConsumedSources(string service)
    {
        var project = $"SwapSeats.{char.ToUpperInvariant(service[0])}{service[1..]}";
        var contracts = typeof(Contracts.Subjects).Assembly;
        return Directory.GetFiles(Path.Combine(Root, "src", project), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => ConsumerRegex().Matches(File.ReadAllText(f)))
            .Select(m => contracts.GetTypes().Single(t => t.Name == m.Groups[1].Value && t.Namespace == "SwapSeats.Contracts"))
            .Select(t => (string)t.GetProperty("Subject", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!)
            .Select(subject => subject[..subject.IndexOf('.')])
            .Distinct();
    }

    /// <summary>Who may connect to a pod's port: the podSelector/namespaceSelector rules of the policies that select it.</summary>
    private static bool Allowed(List<Dictionary<object, object>> objects, string from, string to, int port)
    {
        var workloads = Workloads(objects).ToDictionary(Name);
        var target = workloads[to];
        var targetLabels = PodLabels(target);
        var ports = List(At(PodSpec(target), "containers")).SelectMany(c => List(c.GetValueOrDefault("ports")))
            .ToDictionary(p => (string)p["name"], p => int.Parse(p["containerPort"].ToString()!));
        var policies = Of(objects, "NetworkPolicy").Where(p => Matches(At(p, "spec", "podSelector"), targetLabels)
            || At(p, "spec", "podSelector") is Dictionary<object, object> { Count: 0 }).ToList();
        Assert.Contains(policies, p => At(p, "spec", "podSelector") is Dictionary<object, object> { Count: 0 }); // default deny
        foreach (var rule in policies.SelectMany(p => List(At(p, "spec", "ingress"))))
        {
            // As the API defines them: no "ports" admits every port, no "from" every peer; a peer with a
            // namespaceSelector (and no podSelector) admits every pod of the namespaces it matches, {} matching all.
            var portMatches = !rule.ContainsKey("ports") || List(rule["ports"]).Any(p =>
                p["port"].ToString() == port.ToString() || (ports.TryGetValue(p["port"].ToString()!, out var named) && named == port));
            var peerMatches = !rule.ContainsKey("from") || List(rule["from"]).Any(peer =>
            {
                var sourceNamespace = from == "ingress-nginx" ? "ingress-nginx" : "swapseats";
                var namespaceMatches = peer.TryGetValue("namespaceSelector", out var namespaces)
                    ? Matches(namespaces, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = sourceNamespace })
                    : sourceNamespace == "swapseats";
                var podMatches = !peer.TryGetValue("podSelector", out var pods)
                    || (from != "ingress-nginx" && Matches(pods, PodLabels(workloads[from])));
                return namespaceMatches && podMatches;
            });
            if (portMatches && peerMatches)
            {
                return true;
            }
        }

        return false;
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Network_policies_let_through_only_the_callers_each_pod_serves(string overlay)
    {
        var objects = Render(overlay);
        var services = new[] { "auth", "tickets", "orders", "expiration", "payments", "notifications", "web", "gateway" };
        var apis = new[] { "auth", "tickets", "orders", "payments" };
        var everyone = services.Append("ingress-nginx").ToList();
        foreach (var from in everyone)
        {
            Assert.Equal(from == "ingress-nginx", Allowed(objects, from, "gateway", 8080));
            Assert.Equal(from == "gateway", from != "ingress-nginx" && Allowed(objects, from, "web", 8080));
            foreach (var api in apis)
            {
                Assert.True(from is "gateway" or "web" == (from != "ingress-nginx" && Allowed(objects, from, api, 8080)), $"{overlay}: {from} → {api}");
            }

            foreach (var worker in new[] { "expiration", "notifications" })
            {
                Assert.False(from != "ingress-nginx" && Allowed(objects, from, worker, 8080), $"{overlay}: {from} → {worker}");
            }

            if (from != "ingress-nginx")
            {
                Assert.True(from != "gateway" == Allowed(objects, from, "nats", 4222), $"{overlay}: {from} → nats");
                Assert.False(Allowed(objects, from, "nats", 6222), $"{overlay}: {from} → nats cluster port");
                Assert.False(Allowed(objects, from, "nats", 8222), $"{overlay}: {from} → nats monitor");
            }
        }

        Assert.False(Allowed(objects, "ingress-nginx", "nats", 4222));
        if (overlay == "prod")
        {
            Assert.True(Allowed(objects, "nats", "nats", 6222));
        }
        else
        {
            foreach (var from in services)
            {
                Assert.True(from != "gateway" == Allowed(objects, from, "postgres", 5432), $"dev: {from} → postgres");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Pods_leave_the_endpoints_before_sigterm_and_get_longer_than_the_apps_shutdown(string overlay)
    {
        var shutdown = new HostOptions().ShutdownTimeout.TotalSeconds;
        foreach (var deployment in Deployments(overlay))
        {
            var sleep = int.Parse(Text(MainContainer(deployment), "lifecycle", "preStop", "sleep", "seconds") ?? "0");
            Assert.True(sleep >= 3, $"{overlay}: {Name(deployment)} gets SIGTERM while endpoints still send it requests (no preStop sleep)");
            var grace = int.Parse(Text(PodSpec(deployment), "terminationGracePeriodSeconds") ?? "30");
            Assert.True(grace > sleep + shutdown, $"{overlay}: {Name(deployment)} is killed ({grace} s) before its host's shutdown ({sleep} + {shutdown} s) ends");
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Autoscaled_deployments_leave_the_replica_count_to_the_autoscaler(string overlay)
    {
        var objects = Render(overlay);
        var hpas = Of(objects, "HorizontalPodAutoscaler").ToList();
        Assert.Equal(8, hpas.Count);
        foreach (var hpa in hpas)
        {
            var deployment = One(objects, "Deployment", Text(hpa, "spec", "scaleTargetRef", "name")!);
            Assert.True(At(deployment, "spec", "replicas") is null, $"{overlay}: {Name(deployment)} sets replicas; every apply would reset what its HPA scaled");
        }

        Assert.Contains("metrics-server", File.ReadAllText(Path.Combine(Root, "deploy", "README.md")));
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Every_process_reports_telemetry_under_its_own_service_name(string overlay)
    {
        var objects = Render(overlay);
        var names = new List<string>();
        foreach (var (workload, container) in Containers(objects).Where(c => ((string)c.Container["image"]).Contains("swapseats/", StringComparison.Ordinal)))
        {
            var name = EnvValue(objects, container, "OTEL_SERVICE_NAME");
            Assert.True(name is not null, $"{overlay}: {Name(workload)}/{container["name"]} has no OTEL_SERVICE_NAME");
            Assert.StartsWith(Name(workload), name);
            names.Add(name);
        }

        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void The_ingress_lets_a_ticket_file_reach_the_service_that_answers_for_it(string overlay)
    {
        foreach (var ingress in Of(Render(overlay), "Ingress"))
        {
            var limit = Text(ingress, "metadata", "annotations", "nginx.ingress.kubernetes.io/proxy-body-size")!;
            // The service reads up to DrainLimit past the limit before its 413 problem; the ingress must not cut it short.
            Assert.True(Bytes(limit) >= RequestLimits.MaxTicketFilePageBytes + RequestLimits.DrainLimit,
                $"{overlay}: ingress body limit {limit} is below the ticket-file form ({RequestLimits.MaxTicketFilePageBytes} + {RequestLimits.DrainLimit} bytes)");
        }
    }

    [Fact]
    public void The_image_build_sends_no_host_build_output_and_restores_from_project_files_alone()
    {
        var ignore = File.ReadAllLines(Path.Combine(Root, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        Assert.Contains("**/bin/", ignore);
        Assert.Contains("**/obj/", ignore);
        Assert.Contains(".git/", ignore);
        Assert.Contains(".data/", ignore); // ./run.sh's local session keys

        var dockerfile = File.ReadAllLines(Path.Combine(Root, "deploy", "Dockerfile"));
        Assert.Contains(dockerfile, l => l.StartsWith("FROM --platform=$BUILDPLATFORM ", StringComparison.Ordinal) && l.Contains("/sdk:", StringComparison.Ordinal));
        var restore = Array.FindIndex(dockerfile, l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        Assert.True(restore > 0, "no restore layer");
        Assert.Contains("$TARGETARCH", dockerfile[restore]);
        var copiedBefore = dockerfile[..restore].Where(l => l.StartsWith("COPY ", StringComparison.Ordinal)).ToList();
        Assert.All(copiedBefore, l => Assert.Matches(@"^COPY (\S+\.(csproj|json|props|config)|\.editorconfig)( \S+)* \S+/?$", l));
        var copiedProjects = copiedBefore.SelectMany(l => l.Split(' ').Skip(1).SkipLast(1)).Where(p => p.EndsWith(".csproj", StringComparison.Ordinal)).ToHashSet();
        var skaffold = File.ReadAllText(Path.Combine(Root, "skaffold.yaml"));
        foreach (Match built in ProjectArgRegex().Matches(skaffold))
        {
            foreach (var project in WithReferences($"src/{built.Groups[1].Value}/{built.Groups[1].Value}.csproj"))
            {
                Assert.Contains(project, copiedProjects);
            }
        }

        Assert.True(Array.FindIndex(dockerfile, l => l == "COPY src/ src/") > restore, "the sources must be copied after the restore layer");
    }

    private static IEnumerable<string> WithReferences(string project)
    {
        yield return project;
        var directory = Path.GetDirectoryName(project)!;
        foreach (Match reference in ProjectReferenceRegex().Matches(File.ReadAllText(Path.Combine(Root, project))))
        {
            var path = Path.GetRelativePath(Root, Path.GetFullPath(Path.Combine(Root, directory, reference.Groups[1].Value.Replace('\\', '/'))));
            foreach (var nested in WithReferences(path))
            {
                yield return nested;
            }
        }
    }

    [Fact]
    public void The_dev_postgres_is_probed_over_tcp_as_the_services_reach_it()
    {
        var postgres = MainContainer(One(Render("dev"), "StatefulSet", "postgres"));
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            var command = Strings(At(postgres, probe, "exec", "command")).ToList();
            Assert.Equal("pg_isready", command[0]);
            Assert.Equal("127.0.0.1", command[command.IndexOf("-h") + 1]);
        }

        var roles = Regex.Match(ConfigMapData(Render("dev"), "postgres-init")["roles.sh"], @"for db in ([a-z ]+); do").Groups[1].Value.Split(' ');
        Assert.Equal(Deployments("dev").Select(d => DatabaseOf(MainContainer(d))).OfType<string>().Select(d => d["ConnectionStrings__".Length..]).Order(), roles.Order());
    }

    private static int Seconds(string value) => int.Parse(value);

    /// <summary>Kubernetes and Go quantities: 512Mi, 1Gi, 900MiB, 4m (nginx: megabytes).</summary>
    public static long Bytes(string quantity)
    {
        var match = QuantityRegex().Match(quantity);
        Assert.True(match.Success, $"not a quantity: {quantity}");
        var number = long.Parse(match.Groups[1].Value);
        return number * match.Groups[2].Value.ToLowerInvariant() switch
        {
            "" => 1,
            "k" or "ki" or "kib" => 1024,
            "m" or "mi" or "mib" => 1024 * 1024,
            "g" or "gi" or "gib" => 1024 * 1024 * 1024,
            var unit => throw new InvalidOperationException($"unit {unit}"),
        };
    }

    [GeneratedRegex(@"^(\d+)([A-Za-z]*)$")]
    private static partial Regex QuantityRegex();

    [GeneratedRegex(@"^(\w+):\s*(\[.*\]|\{.*\})\s*$", RegexOptions.Multiline)]
    private static partial Regex VariableRegex();

    [GeneratedRegex(@"\{\s*user:\s*(\w+),\s*password:\s*\$(\w+)(.*?)(?=\n\s*(?:\{ user:|#|\]))", RegexOptions.Singleline)]
    private static partial Regex UserRegex();

    [GeneratedRegex(@"allow:\s*\[(.*?)\]", RegexOptions.Singleline)]
    private static partial Regex AllowRegex();

    [GeneratedRegex(@"deny:\s*(\$\w+|\[.*?\])", RegexOptions.Singleline)]
    private static partial Regex DenyRegex();

    [GeneratedRegex(@"""([^""]+)""")]
    private static partial Regex QuotedRegex();

    [GeneratedRegex(@"AddConsumer<(\w+),")]
    private static partial Regex ConsumerRegex();

    [GeneratedRegex(@"PROJECT:\s*(SwapSeats\.\w+)")]
    private static partial Regex ProjectArgRegex();

    [GeneratedRegex(@"<ProjectReference Include=""([^""]+)""")]
    private static partial Regex ProjectReferenceRegex();
}
