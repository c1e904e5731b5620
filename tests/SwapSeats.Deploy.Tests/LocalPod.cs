using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using SwapSeats.Testing;
using static SwapSeats.Deploy.Tests.Manifests;

namespace SwapSeats.Deploy.Tests;

/// <summary>
/// One container of a rendered pod run as a local process, the way the kubelet would start it: the same command and
/// arguments (a SwapSeats image's entrypoint is its project's built dll), the same environment (envFrom, env with
/// $(VAR) references, Secret and ConfigMap keys, the pod's name), and its volumes as directories under a temporary root
/// with the Secrets and ConfigMaps written at their mount paths. Only what cannot be the same on one machine is
/// changed: mount paths move under the root, each container port becomes a free local one, and the cluster's names
/// (Services, StatefulSet pods) become 127.0.0.1 and those ports (see <see cref="LocalCluster"/>).
/// A misspelled key, a wrong mount path or a missing variable fails here as it would on a cluster.
/// </summary>
public sealed partial class LocalPod : IAsyncDisposable
{
    private readonly List<Dictionary<object, object>> _objects;
    private readonly Dictionary<object, object> _workload;
    private readonly string _root;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly List<Process> _processes = [];
    private Process? _serving;

    public LocalPod(List<Dictionary<object, object>> objects, Dictionary<object, object> workload, string podName)
    {
        _objects = objects;
        _workload = workload;
        PodName = podName;
        _root = Directory.CreateTempSubdirectory("swapseats-pod-").FullName;
        Leftovers.Own(_root, $"pkill -9 -f -- '{_root}/'");
        foreach (var container in List(At(PodSpec(workload), "containers")).Concat(List(At(PodSpec(workload), "initContainers"))))
        {
            foreach (var port in List(container.GetValueOrDefault("ports")))
            {
                Ports[int.Parse(port["containerPort"].ToString()!)] = ExternalProcess.FreePort();
            }
        }

        if (IsSwapSeats(MainContainer(workload)))
        {
            foreach (var (_, value) in ImageEnvironment())
            {
                if (int.TryParse(value, out var port) && !Ports.ContainsKey(port) && port > 1000)
                {
                    Ports[port] = ExternalProcess.FreePort();
                }
            }
        }
    }

    public string PodName { get; }

    public string WorkloadName => Name(_workload);

    /// <summary>Container port → the local port it listens on here.</summary>
    public Dictionary<int, int> Ports { get; } = [];

    public int Port(string name) => Ports[int.Parse(List(MainContainer(_workload)["ports"]).Single(p => (string)p["name"] == name)["containerPort"].ToString()!)];

    public string RecentOutput => string.Join('\n', _output.TakeLast(80));

    private static bool IsSwapSeats(Dictionary<object, object> container) => ((string)container["image"]).Contains("swapseats/", StringComparison.Ordinal);

    /// <summary>The runtime stage's ENV of deploy/Dockerfile: what every SwapSeats image sets before the pod's env.</summary>
    private static IEnumerable<(string Name, string Value)> ImageEnvironment()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "deploy", "Dockerfile"));
        var runtime = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        var env = EnvRegex().Match(runtime).Groups[1].Value;
        return AssignmentRegex().Matches(env).Select(m => (m.Groups[1].Value, m.Groups[2].Value));
    }

    /// <summary>Starts a container of this pod (its first serving container, or the init container named).</summary>
    public Process Start(LocalCluster cluster, string? initContainer = null)
    {
        var container = initContainer is null
            ? MainContainer(_workload)
            : List(At(PodSpec(_workload), "initContainers")).Single(c => (string)c["name"] == initContainer);
        var mounts = MountVolumes(container, cluster);
        string Local(string text) => cluster.Resolve(LocalPaths(text, mounts));

        var command = Strings(container.GetValueOrDefault("command")).ToList();
        var arguments = Strings(container.GetValueOrDefault("args")).ToList();
        var environment = Environment(container, cluster);
        string program;
        List<string> programArguments = [];
        if (IsSwapSeats(container))
        {
            Assert.Empty(command); // the image's entrypoint, /app/swapseats
            var image = ((string)container["image"]).Split('/')[^1].Split(':')[0];
            var project = $"SwapSeats.{char.ToUpperInvariant(image[0])}{image[1..]}";
            program = "dotnet";
            programArguments.Add(ServiceProcess.DllPath(project));
        }
        else
        {
            program = ExternalProcess.FindBinary(command[0], "/usr/sbin");
            programArguments.AddRange(command.Skip(1).Select(a => Local(Expand(a, environment))));
        }

        programArguments.AddRange(arguments.Select(a => Local(Expand(a, environment))));
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = program == "dotnet" ? Path.GetDirectoryName(programArguments[0])! : _root,
        };
        programArguments.ForEach(start.ArgumentList.Add);
        var path = System.Environment.GetEnvironmentVariable("PATH");
        var dotnetRoot = System.Environment.GetEnvironmentVariable("DOTNET_ROOT");
        start.Environment.Clear();
        start.Environment["PATH"] = path;
        if (dotnetRoot is not null)
        {
            start.Environment["DOTNET_ROOT"] = dotnetRoot;
        }

        var home = Directory.CreateDirectory(Path.Combine(_root, "home")).FullName;
        start.Environment["HOME"] = home;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = Local(value);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {PodName}");
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (_processes)
        {
            _processes.Add(process);
            if (initContainer is null)
            {
                _serving = process;
            }
        }

        return process;
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue($"{PodName}: {line}");
        while (_output.Count > 300)
        {
            _output.TryDequeue(out _);
        }
    }

    /// <summary>The serving container's environment as the kubelet would give it (before paths and names are made local).</summary>
    public Dictionary<string, string> EnvironmentOf(LocalCluster cluster) => Environment(MainContainer(_workload), cluster);

    /// <summary>The container's environment in the kubelet's order: image, envFrom, then env (each may refer to earlier ones).</summary>
    private Dictionary<string, string> Environment(Dictionary<object, object> container, LocalCluster cluster)
    {
        var values = new Dictionary<string, string>();
        if (IsSwapSeats(container))
        {
            foreach (var (name, value) in ImageEnvironment())
            {
                values[name] = int.TryParse(value, out var port) && Ports.TryGetValue(port, out var local) ? local.ToString() : value;
            }
        }

        foreach (var source in List(container.GetValueOrDefault("envFrom")))
        {
            if (Text(source, "configMapRef", "name") is { } map)
            {
                foreach (var (key, value) in ConfigMapData(_objects, map))
                {
                    values[key] = value;
                }
            }

            if (Text(source, "secretRef", "name") is { } secret)
            {
                foreach (var (key, value) in cluster.Secret(secret))
                {
                    values[key] = value;
                }
            }
        }

        foreach (var variable in List(container.GetValueOrDefault("env")))
        {
            var name = (string)variable["name"];
            string? value;
            if (variable.TryGetValue("value", out var literal))
            {
                value = Expand(literal.ToString()!, values);
            }
            else if (At(variable, "valueFrom", "secretKeyRef") is Dictionary<object, object> secretRef)
            {
                var optional = Text(secretRef, "optional") == "true";
                var secret = cluster.Secret((string)secretRef["name"]);
                value = secret.TryGetValue((string)secretRef["key"], out var found) ? found : null;
                Assert.True(value is not null || optional, $"{PodName}: {name} reads Secret {secretRef["name"]}/{secretRef["key"]}, which does not exist");
            }
            else if (At(variable, "valueFrom", "configMapKeyRef") is Dictionary<object, object> mapRef)
            {
                value = ConfigMapData(_objects, (string)mapRef["name"]).GetValueOrDefault((string)mapRef["key"]);
                Assert.True(value is not null, $"{PodName}: {name} reads ConfigMap {mapRef["name"]}/{mapRef["key"]}, which does not exist");
            }
            else if (Text(variable, "valueFrom", "fieldRef", "fieldPath") is { } field)
            {
                value = field switch
                {
                    "metadata.name" => PodName,
                    "metadata.namespace" => "swapseats",
                    _ => throw new InvalidOperationException($"fieldRef {field}"),
                };
            }
            else
            {
                throw new InvalidOperationException($"{PodName}: variable {name} has no value source this runner knows");
            }

            if (value is not null)
            {
                values[name] = value;
            }
        }

        return values;
    }

    /// <summary>$(VAR) as Kubernetes expands it: a defined variable's value; an undefined reference stays as written.</summary>
    private static string Expand(string text, Dictionary<string, string> values) =>
        ReferenceRegex().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);

    /// <summary>Creates the container's volume mounts under the root and fills them; returns mount path → local directory.</summary>
    private Dictionary<string, string> MountVolumes(Dictionary<object, object> container, LocalCluster cluster)
    {
        var volumes = List(At(PodSpec(_workload), "volumes")).ToDictionary(v => (string)v["name"]);
        var claims = List(At(_workload, "spec", "volumeClaimTemplates")).Select(c => Name(c)).ToHashSet();
        var mounts = new Dictionary<string, string>();
        var files = new List<(string Path, string Content)>();
        foreach (var mount in List(container.GetValueOrDefault("volumeMounts")))
        {
            var mountPath = (string)mount["mountPath"];
            var name = (string)mount["name"];
            var local = Directory.CreateDirectory(_root + mountPath).FullName;
            mounts[mountPath] = local;
            if (claims.Contains(name))
            {
                continue; // a PersistentVolumeClaim: an empty directory of the pod's own (kept across container restarts)
            }

            Assert.True(volumes.TryGetValue(name, out var volume), $"{PodName}: mounts volume {name}, which the pod does not declare");
            if (volume.ContainsKey("emptyDir"))
            {
                continue;
            }

            var sources = volume.TryGetValue("projected", out var projected) ? List(At(projected, "sources")) : [volume];
            foreach (var source in sources)
            {
                if (source.GetValueOrDefault("secret") is Dictionary<object, object> secretSource)
                {
                    var secretName = (string)(secretSource.GetValueOrDefault("secretName") ?? secretSource["name"]);
                    files.AddRange(Project(cluster.Secret(secretName), secretSource, local, $"Secret {secretName}"));
                }
                else if (source.GetValueOrDefault("configMap") is Dictionary<object, object> mapSource)
                {
                    files.AddRange(Project(ConfigMapData(_objects, (string)mapSource["name"]), mapSource, local, $"ConfigMap {mapSource["name"]}"));
                }
                else
                {
                    throw new InvalidOperationException($"{PodName}: volume {name} is of a kind this runner does not know");
                }
            }
        }

        foreach (var (path, content) in files)
        {
            // A config file names paths and addresses too (nats.conf: its store, its pid file, its routes).
            File.WriteAllText(path, cluster.Resolve(LocalPaths(LocalPorts(content), mounts)));
        }

        return mounts;
    }

    private static IEnumerable<(string Path, string Content)> Project(IReadOnlyDictionary<string, string> data, Dictionary<object, object> source, string directory, string what)
    {
        var items = List(source.GetValueOrDefault("items")).ToList();
        if (items.Count == 0)
        {
            return data.Select(p => (Path.Combine(directory, p.Key), p.Value));
        }

        return items.Select(item =>
        {
            var key = (string)item["key"];
            Assert.True(data.TryGetValue(key, out var content), $"{what} has no key {key}");
            return (Path.Combine(directory, (string)item["path"]), content!);
        });
    }

    /// <summary>A config file's listening ports (port: 4222) become this pod's local ones.</summary>
    private string LocalPorts(string content) => PortSettingRegex().Replace(content, m =>
        int.TryParse(m.Groups[2].Value, out var port) && Ports.TryGetValue(port, out var local) ? $"{m.Groups[1].Value}{local}" : m.Value);

    /// <summary>Mount paths (as a whole path, at the start of a value or in quotes) become their local directories.</summary>
    private static string LocalPaths(string text, Dictionary<string, string> mounts)
    {
        if (mounts.Count == 0)
        {
            return text;
        }

        var alternatives = string.Join('|', mounts.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape));
        return Regex.Replace(text, $@"(?<=^|[=""' ,\[])({alternatives})(?=$|[/""' ,\]])", m => mounts[m.Value], RegexOptions.Multiline);
    }

    /// <summary>Polls the container's probe (readinessProbe by default) until it answers; returns its status code.</summary>
    public async Task<int> ProbeAsync(string probe = "readinessProbe")
    {
        var container = MainContainer(_workload);
        var path = Text(container, probe, "httpGet", "path")!;
        var portName = Text(container, probe, "httpGet", "port")!;
        var port = int.TryParse(portName, out var number) ? Ports[number] : Port(portName);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            return (int)(await http.GetAsync($"http://127.0.0.1:{port}{path}")).StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>Waits until the probe answers <paramref name="status"/> (0: until it answers at all, any status).</summary>
    public async Task<int> WaitForProbeAsync(TimeSpan timeout, int status = 200, string probe = "readinessProbe")
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var answer = await ProbeAsync(probe);
            if (status == 0 ? answer != 0 : answer == status)
            {
                return answer;
            }

            if (_serving is { HasExited: true } serving)
            {
                throw new InvalidOperationException($"{PodName} exited with {serving.ExitCode}:\n{RecentOutput}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{PodName}: {probe} answered {answer}, not {status}, within {timeout}:\n{RecentOutput}");
            }

            await Task.Delay(200);
        }
    }

    public async Task KillAsync()
    {
        List<Process> running;
        lock (_processes)
        {
            running = _processes.Where(p => !p.HasExited).ToList();
        }

        foreach (var process in running)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        lock (_processes)
        {
            _processes.ForEach(p => p.Dispose());
        }

        Directory.Delete(_root, recursive: true);
        Leftovers.Released(_root);
    }

    [GeneratedRegex(@"^ENV\s+((?:.*\\\r?\n)*.*)$", RegexOptions.Multiline)]
    private static partial Regex EnvRegex();

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex AssignmentRegex();

    [GeneratedRegex(@"\$\((\w+)\)")]
    private static partial Regex ReferenceRegex();

    [GeneratedRegex(@"^(\s*(?:port|http_port|https_port|monitor_port):\s*)(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PortSettingRegex();
}

/// <summary>
/// The cluster's names as local addresses: each Service (http://auth, nats:4222) and each StatefulSet pod
/// (nats-1.nats:6222) resolves to 127.0.0.1 and the port its pod listens on here; and the Secrets the test made.
/// </summary>
public sealed class LocalCluster(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> secrets)
{
    private readonly Dictionary<string, string> _names = [];
    private Regex? _pattern;

    public IReadOnlyDictionary<string, string> Secret(string name) =>
        secrets.TryGetValue(name, out var secret) ? secret : new Dictionary<string, string>();

    /// <summary>Registers the pods behind a Service (one pod per Deployment; every pod of a StatefulSet).</summary>
    public void Add(List<Dictionary<object, object>> objects, string serviceName, IReadOnlyList<LocalPod> pods)
    {
        var service = One(objects, "Service", serviceName);
        foreach (var port in List(At(service, "spec", "ports")))
        {
            var servicePort = int.Parse(port["port"].ToString()!);
            var target = port.GetValueOrDefault("targetPort")?.ToString() ?? servicePort.ToString();
            int Local(LocalPod pod) => int.TryParse(target, out var number) ? pod.Ports[number] : pod.Port(target);
            _names[$"{serviceName}:{servicePort}"] = $"127.0.0.1:{Local(pods[0])}";
            if (servicePort == 80)
            {
                _names[$"http://{serviceName}"] = $"http://127.0.0.1:{Local(pods[0])}";
            }

            foreach (var pod in pods)
            {
                _names[$"{pod.PodName}.{serviceName}:{servicePort}"] = $"127.0.0.1:{Local(pod)}";
            }
        }

        _pattern = null;
    }

    /// <summary>A name that is no Service here, e.g. the dev PostgreSQL (Host=postgres) standing for the test's server.</summary>
    public void Alias(string name, string local)
    {
        _names[name] = local;
        _pattern = null;
    }

    public string Resolve(string text)
    {
        if (_names.Count == 0)
        {
            return text;
        }

        _pattern ??= new Regex($@"(?<![\w.-])({string.Join('|', _names.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape))})(?![\w.:-])");
        return _pattern.Replace(text, m => _names[m.Value]);
    }
}
