using System.Text;
using SwapSeats.Testing;
using YamlDotNet.Serialization;

namespace SwapSeats.Deploy.Tests;

/// <summary>
/// The Secrets deploy/k8s/dev-secrets.sh creates in a fresh cluster, read back: the script runs as written against a
/// stand-in kubectl that has no cluster (every <c>get</c> finds nothing), renders each Secret with the real kubectl's
/// client-side dry run and keeps what it would <c>apply</c>.
/// </summary>
public static class DevSecrets
{
    public static async Task<Dictionary<string, IReadOnlyDictionary<string, string>>> GenerateAsync(params string[] environment)
    {
        var work = Directory.CreateTempSubdirectory("swapseats-home-devsecrets-");
        try
        {
            var applied = Path.Combine(work.FullName, "applied.yaml");
            var kubectl = Path.Combine(work.FullName, "kubectl");
            var real = ExternalProcess.FindBinary("kubectl");
            await File.WriteAllTextAsync(kubectl, $$"""
                #!/bin/bash
                if [[ " $* " == *" get "* ]]; then exit 1
                elif [[ " $* " == *" apply "* ]]; then cat >> '{{applied}}'; echo '---' >> '{{applied}}'
                elif [[ " $* " == *" --dry-run=client "* ]]; then exec '{{real}}' "$@"
                elif [[ " $* " == *" create secret "* ]]; then '{{real}}' "$@" --dry-run=client -o yaml >> '{{applied}}'; echo '---' >> '{{applied}}'
                fi
                """);
            await ExternalProcess.RunAsync("chmod", ["+x", kubectl]);
            var (exitCode, output) = await ExternalProcess.RunForOutputAsync("env",
                [$"PATH={work.FullName}:{Environment.GetEnvironmentVariable("PATH")}", .. environment, "bash",
                 Path.Combine(Manifests.Root, "deploy", "k8s", "dev-secrets.sh")]);
            Assert.True(exitCode == 0, $"dev-secrets.sh exited with {exitCode}: {output}");
            var deserializer = new DeserializerBuilder().Build();
            return (await File.ReadAllTextAsync(applied)).Split("\n---\n").Where(d => d.Trim().Length > 0)
                .Select(d => deserializer.Deserialize<Dictionary<object, object>>(d))
                .ToDictionary(
                    Manifests.Name,
                    s => (IReadOnlyDictionary<string, string>)((Dictionary<object, object>)s["data"])
                        .ToDictionary(p => (string)p.Key, p => Encoding.UTF8.GetString(Convert.FromBase64String((string)p.Value))));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
