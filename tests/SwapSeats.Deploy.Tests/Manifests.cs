using System.Collections.Concurrent;
using System.Diagnostics;
using SwapSeats.Testing;
using YamlDotNet.Serialization;

namespace SwapSeats.Deploy.Tests;

/// <summary>The overlays as <c>kubectl kustomize</c> renders them (what <c>kubectl apply -k</c> would send), and ways to read them.</summary>
public static class Manifests
{
    public static readonly string Root = ServiceProcess.RepositoryRoot();

    /// <summary>The overlays every rule is checked on.</summary>
    public static TheoryData<string> Overlays => new() { "dev", "prod" };

    private static readonly ConcurrentDictionary<string, Lazy<List<Dictionary<object, object>>>> Rendered = new();

    /// <summary>Every object of the overlay; rendered once per test process.</summary>
    public static List<Dictionary<object, object>> Render(string overlay) =>
        Rendered.GetOrAdd(overlay, o => new Lazy<List<Dictionary<object, object>>>(() => RenderNow(o))).Value;

    private static List<Dictionary<object, object>> RenderNow(string overlay)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", Path.Combine(Root, "deploy", "k8s", "overlays", overlay)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var yaml = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {overlay} failed: {error.Result}");
        var deserializer = new DeserializerBuilder().Build();
        return yaml.Split("\n---\n").Where(d => d.Trim().Length > 0).Select(d => deserializer.Deserialize<Dictionary<object, object>>(d)).ToList();
    }

    public static object? At(object? node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node is Dictionary<object, object> map && map.TryGetValue(key, out var next) ? next : null;
        }

        return node;
    }

    public static string? Text(object? node, params string[] path) => At(node, path)?.ToString();

    public static IEnumerable<Dictionary<object, object>> List(object? node) =>
        node is List<object> items ? items.OfType<Dictionary<object, object>>() : [];

    public static IEnumerable<string> Strings(object? node) => node is List<object> items ? items.Select(i => i.ToString()!) : [];

    public static string Kind(Dictionary<object, object> o) => (string)o["kind"];

    public static string Name(Dictionary<object, object> o) => (string)At(o, "metadata", "name")!;

    public static object? PodSpec(Dictionary<object, object> o) => At(o, "spec", "template", "spec");

    public static IEnumerable<Dictionary<object, object>> Workloads(List<Dictionary<object, object>> objects) =>
        objects.Where(o => Kind(o) is "Deployment" or "StatefulSet" or "Job");

    public static IEnumerable<Dictionary<object, object>> Of(List<Dictionary<object, object>> objects, string kind) => objects.Where(o => Kind(o) == kind);

    public static Dictionary<object, object> One(List<Dictionary<object, object>> objects, string kind, string name) =>
        objects.Single(o => Kind(o) == kind && Name(o) == name);

    public static IEnumerable<(Dictionary<object, object> Workload, Dictionary<object, object> Container)> Containers(List<Dictionary<object, object>> objects) =>
        Workloads(objects).SelectMany(w => List(At(PodSpec(w), "containers")).Concat(List(At(PodSpec(w), "initContainers"))).Select(c => (w, c)));

    public static Dictionary<object, object> MainContainer(Dictionary<object, object> workload) => List(At(PodSpec(workload), "containers")).First();

    /// <summary>A ConfigMap's data by the name a pod refers to it (kustomize's generated names carry a hash).</summary>
    public static Dictionary<string, string> ConfigMapData(List<Dictionary<object, object>> objects, string name) =>
        ((Dictionary<object, object>)One(objects, "ConfigMap", name)["data"]).ToDictionary(p => (string)p.Key, p => (string)p.Value);

    /// <summary>A generated ConfigMap's data by the name it was generated under (nats-config, not nats-config-4fkk…).</summary>
    public static Dictionary<string, string> GeneratedConfigMap(List<Dictionary<object, object>> objects, string generatorName) =>
        ConfigMapData(objects, Name(Of(objects, "ConfigMap").Single(o => Name(o).StartsWith(generatorName + "-", StringComparison.Ordinal))));

    /// <summary>The literal value of a container's variable (env, then its envFrom ConfigMaps), or null.</summary>
    public static string? EnvValue(List<Dictionary<object, object>> objects, Dictionary<object, object> container, string name)
    {
        if (List(container.GetValueOrDefault("env")).FirstOrDefault(e => (string)e["name"] == name) is { } variable)
        {
            return Text(variable, "value");
        }

        foreach (var source in List(container.GetValueOrDefault("envFrom")))
        {
            if (Text(source, "configMapRef", "name") is { } map && ConfigMapData(objects, map).TryGetValue(name, out var value))
            {
                return value;
            }
        }

        return null;
    }

    public static bool Matches(object? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is not Dictionary<object, object> map)
        {
            return false;
        }

        var matchLabels = At(map, "matchLabels") as Dictionary<object, object> ?? [];
        var expressions = List(At(map, "matchExpressions"));
        return matchLabels.All(l => labels.TryGetValue((string)l.Key, out var v) && v == (string)l.Value)
               && expressions.All(e => (string)e["operator"] switch
               {
                   "In" => labels.TryGetValue((string)e["key"], out var v) && Strings(e["values"]).Contains(v),
                   "NotIn" => !labels.TryGetValue((string)e["key"], out var v) || !Strings(e["values"]).Contains(v),
                   "Exists" => labels.ContainsKey((string)e["key"]),
                   "DoesNotExist" => !labels.ContainsKey((string)e["key"]),
                   var op => throw new InvalidOperationException($"selector operator {op}"),
               });
    }

    public static Dictionary<string, string> PodLabels(Dictionary<object, object> workload) =>
        (At(workload, "spec", "template", "metadata", "labels") as Dictionary<object, object> ?? []).ToDictionary(p => (string)p.Key, p => (string)p.Value);
}
