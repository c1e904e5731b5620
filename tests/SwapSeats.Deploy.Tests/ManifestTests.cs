using System.Text.RegularExpressions;
using YamlDotNet.Serialization;
using static SwapSeats.Deploy.Tests.Manifests;

namespace SwapSeats.Deploy.Tests;

/// <summary>
/// Both overlays rendered with kubectl kustomize and checked statically: there is no cluster here, so every object
/// must be right by construction.
/// </summary>
public sealed partial class ManifestTests
{
    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Every_service_selects_pods_and_targets_a_declared_port(string overlay)
    {
        var objects = Render(overlay);
        foreach (var service in objects.Where(o => Kind(o) == "Service"))
        {
            var selector = ((Dictionary<object, object>)At(service, "spec", "selector")!).ToDictionary(p => (string)p.Key, p => (string)p.Value);
            var pods = Workloads(objects).Where(w => Kind(w) != "Job").Where(w =>
            {
                var labels = At(w, "spec", "template", "metadata", "labels") as Dictionary<object, object> ?? [];
                return selector.All(s => labels.TryGetValue(s.Key, out var v) && (string)v == s.Value);
            }).ToList();
            Assert.True(pods.Count > 0, $"{overlay}: Service {Name(service)} selects no pods");
            var ports = pods.SelectMany(p => List(At(PodSpec(p), "containers"))).SelectMany(c => List(c.GetValueOrDefault("ports")))
                .SelectMany(p => new[] { p.GetValueOrDefault("name")?.ToString(), p.GetValueOrDefault("containerPort")?.ToString() }).ToHashSet();
            foreach (var port in List(At(service, "spec", "ports")))
            {
                var target = (port.GetValueOrDefault("targetPort") ?? port["port"]).ToString();
                Assert.True(ports.Contains(target), $"{overlay}: Service {Name(service)} targets port {target}, which no selected container declares");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Every_ingress_backend_exists(string overlay)
    {
        var objects = Render(overlay);
        var services = objects.Where(o => Kind(o) == "Service").ToDictionary(Name);
        var ingresses = objects.Where(o => Kind(o) == "Ingress").ToList();
        Assert.NotEmpty(ingresses);
        foreach (var path in ingresses.SelectMany(i => List(At(i, "spec", "rules"))).SelectMany(r => List(At(r, "http", "paths"))))
        {
            var backend = (string)At(path, "backend", "service", "name")!;
            Assert.True(services.TryGetValue(backend, out var service), $"{overlay}: ingress backend {backend} does not exist");
            var port = At(path, "backend", "service", "port", "name") ?? At(path, "backend", "service", "port", "number")?.ToString();
            Assert.Contains(List(At(service, "spec", "ports")), p => p.GetValueOrDefault("name")?.ToString() == (string?)port || p["port"].ToString() == (string?)port);
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Every_referenced_config_key_exists_and_every_secret_is_in_the_overlay_or_documented(string overlay)
    {
        var objects = Render(overlay);
        var configMaps = objects.Where(o => Kind(o) == "ConfigMap").ToDictionary(Name, o => ((Dictionary<object, object>)o["data"]).Keys.Cast<string>().ToHashSet());
        var documented = DocumentedSecrets();
        foreach (var (workload, container) in Containers(objects))
        {
            var where = $"{overlay}: {Kind(workload)} {Name(workload)}";
            foreach (var source in List(container.GetValueOrDefault("envFrom")))
            {
                if (At(source, "configMapRef", "name") is string map)
                {
                    Assert.True(configMaps.ContainsKey(map), $"{where} reads ConfigMap {map}, which is not in the overlay");
                }
            }

            foreach (var variable in List(container.GetValueOrDefault("env")))
            {
                if (At(variable, "valueFrom", "configMapKeyRef") is Dictionary<object, object> mapRef)
                {
                    Assert.True(configMaps.TryGetValue((string)mapRef["name"], out var keys) && keys.Contains((string)mapRef["key"]),
                        $"{where} reads {mapRef["name"]}/{mapRef["key"]}, which does not exist");
                }

                if (At(variable, "valueFrom", "secretKeyRef") is Dictionary<object, object> secretRef)
                {
                    Assert.True(documented.Contains($"{secretRef["name"]}/{secretRef["key"]}"),
                        $"{where} reads Secret {secretRef["name"]}/{secretRef["key"]}, which deploy/README.md does not document");
                }
            }
        }

        foreach (var workload in Workloads(objects))
        {
            foreach (var volume in List(At(PodSpec(workload), "volumes")))
            {
                if (At(volume, "secret") is Dictionary<object, object> secret)
                {
                    foreach (var item in List(secret.GetValueOrDefault("items")))
                    {
                        Assert.True(documented.Contains($"{secret["secretName"]}/{item["key"]}"),
                            $"{overlay}: {Name(workload)} mounts Secret {secret["secretName"]}/{item["key"]}, which deploy/README.md does not document");
                    }
                }

                if (At(volume, "configMap", "name") is string map)
                {
                    Assert.True(configMaps.ContainsKey(map), $"{overlay}: {Name(workload)} mounts ConfigMap {map}, which is not in the overlay");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Every_container_has_probes_resources_and_runs_unprivileged(string overlay)
    {
        foreach (var (workload, container) in Containers(Render(overlay)))
        {
            var where = $"{overlay}: {Kind(workload)} {Name(workload)} container {container["name"]}";
            // An init container runs to completion before the probes start; only the serving container is probed.
            if (List(At(PodSpec(workload), "containers")).Contains(container))
            {
                Assert.True(container.ContainsKey("readinessProbe"), $"{where} has no readiness probe");
                Assert.True(container.ContainsKey("livenessProbe"), $"{where} has no liveness probe");
            }

            Assert.NotNull(At(container, "resources", "requests", "cpu"));
            Assert.NotNull(At(container, "resources", "requests", "memory"));
            Assert.True(At(container, "resources", "limits", "memory") is not null, $"{where} has no memory limit");
            Assert.True(At(container, "securityContext", "runAsNonRoot")?.ToString() == "true", $"{where} may run as root");
            Assert.True(At(container, "securityContext", "allowPrivilegeEscalation")?.ToString() == "false", $"{where} allows privilege escalation");
        }
    }

    [Fact]
    public void Every_swapseats_image_of_the_dev_overlay_is_built_by_skaffold()
    {
        // skaffold matches artifacts by image name and replaces the tag with the build's own.
        var artifacts = SkaffoldImageRegex().Matches(File.ReadAllText(Path.Combine(Root, "skaffold.yaml"))).Select(m => m.Groups[1].Value).ToHashSet();
        var images = Containers(Render("dev")).Select(c => ((string)c.Container["image"]).Split(':')[0]).Where(i => i.StartsWith("swapseats/", StringComparison.Ordinal)).ToHashSet();
        Assert.NotEmpty(images);
        Assert.All(images, image => Assert.Contains(image, artifacts));
        Assert.All(artifacts, artifact => Assert.Contains(artifact, images));
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void Every_setting_names_a_configuration_key_the_services_read(string overlay)
    {
        var objects = Render(overlay);
        var names = objects.Where(o => Kind(o) == "ConfigMap" && Name(o) == "swapseats-config")
            .SelectMany(o => ((Dictionary<object, object>)o["data"]).Keys.Cast<string>())
            .Concat(Containers(objects).Where(c => ((string)c.Container["image"]).Contains("swapseats/", StringComparison.Ordinal))
                .SelectMany(c => List(c.Container.GetValueOrDefault("env"))).Select(e => (string)e["name"]))
            .Distinct().ToList();
        var sources = Directory.GetFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText).ToList();
        foreach (var name in names.Where(n => !n.StartsWith("OTEL_", StringComparison.Ordinal) && !n.StartsWith("ASPNETCORE_", StringComparison.Ordinal)))
        {
            var parts = name.Split("__");
            Assert.True(parts.Length >= 2, $"{overlay}: {name} is not a configuration key (Section__Key)");
            var (section, key) = (parts[0], parts[^1]);
            var known = section switch
            {
                "ConnectionStrings" => sources.Any(s => s.Contains($"\"{key}\"", StringComparison.Ordinal)),
                // Dictionaries of service addresses: the key is a service name the gateway and the UI route to.
                "Gateway" or "Web" when parts[1] == "Services" => key is "auth" or "tickets" or "orders" or "payments" or "web",
                _ => sources.Any(s => (s.Contains($"Section = \"{section}\"", StringComparison.Ordinal) || s.Contains($"\"{section}\"", StringComparison.Ordinal))
                                      && Regex.IsMatch(s, $@"public \S+\??\s+{Regex.Escape(key)}\s*\{{")),
            };
            Assert.True(known, $"{overlay}: {name} names no configuration key the services read");
        }
    }

    [Theory]
    [MemberData(nameof(Manifests.Overlays), MemberType = typeof(Manifests))]
    public void No_demo_account_reaches_a_cluster(string overlay)
    {
        // The demo seller and its fixed password exist only where ./run.sh's AppHost seeds them: no manifest may turn
        // seeding on or carry the password, and no project that becomes an image may know it.
        var rendered = string.Join("\n", Render(overlay).Select(o => new SerializerBuilder().Build().Serialize(o)));
        Assert.DoesNotContain("SWAPSEATS_SEED", rendered, StringComparison.Ordinal);
        Assert.DoesNotContain("swapseats-demo", rendered, StringComparison.OrdinalIgnoreCase);
        var imageSources = Directory.GetFiles(Path.Combine(Root, "src"), "*.*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("SwapSeats.AppHost", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => Path.GetExtension(f) is ".cs" or ".json" or ".cshtml");
        Assert.DoesNotContain(imageSources, f => File.ReadAllText(f).Contains("swapseats-demo", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("swapseats-demo", File.ReadAllText(Path.Combine(Root, "src", "SwapSeats.AppHost", "DemoData.cs")), StringComparison.Ordinal);
    }

    private static HashSet<string> DocumentedSecrets()
    {
        var table = File.ReadAllLines(Path.Combine(Root, "deploy", "README.md")).Where(l => l.StartsWith("| `", StringComparison.Ordinal));
        var documented = new HashSet<string>();
        foreach (var row in table)
        {
            var cells = row.Split('|', StringSplitOptions.TrimEntries);
            var secret = cells[1].Trim('`');
            foreach (Match key in BacktickRegex().Matches(cells[2]))
            {
                documented.Add($"{secret}/{key.Groups[1].Value}");
            }
        }

        return documented;
    }

    [GeneratedRegex(@"image:\s*(swapseats/[a-z]+)")]
    private static partial Regex SkaffoldImageRegex();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex BacktickRegex();
}
