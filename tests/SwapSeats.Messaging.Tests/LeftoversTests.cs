using System.Diagnostics;
using SwapSeats.Testing;

namespace SwapSeats.Messaging.Tests;

/// <summary>The fixtures' servers do not outlive a test host that is killed, and a later run clears what one left.</summary>
public sealed class LeftoversTests
{
    private static Process Start(string fileName, params string[] arguments) =>
        Process.Start(new ProcessStartInfo(fileName, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;

    private static (string Directory, Process Server) StartNats()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"swapseats-nats-{Guid.NewGuid():N}");
        var server = Start(ExternalProcess.FindBinary("nats-server"), "-js", "-a", "127.0.0.1", "-p", ExternalProcess.FreePort().ToString(), "-sd", directory);
        return (directory, server);
    }

    [Fact]
    public async Task When_the_owning_test_host_is_killed_its_server_is_stopped_and_its_directory_deleted()
    {
        using var host = Start("sleep", "600"); // stands in for a test host
        var (directory, server) = StartNats();
        Directory.CreateDirectory(directory);
        Leftovers.Own(directory, Leftovers.StopNats(directory), host.Id);

        host.Kill(); // SIGKILL: no exit handler of the host runs

        await Eventually.Until(() => Task.FromResult(server.HasExited && !Directory.Exists(directory)), done => done, TimeSpan.FromSeconds(10),
            "the watchdog to stop the server and delete its directory");
        Assert.False(File.Exists(directory + ".owner"));
    }

    [Fact]
    public async Task When_the_owning_test_host_is_killed_the_service_processes_it_started_die_with_it()
    {
        using var host = Start("sleep", "600");
        var home = Directory.CreateTempSubdirectory("swapseats-home-").FullName;
        var other = Directory.CreateTempSubdirectory("swapseats-home-").FullName;
        using var service = StartAtHome(home); // stands in for a service: found by its HOME, not by a pid
        using var bystander = StartAtHome(other);
        Leftovers.Own(home, Leftovers.StopProcessesAtHome(home), host.Id);
        try
        {
            host.Kill();

            await Eventually.Until(() => Task.FromResult(service.HasExited && !Directory.Exists(home)), done => done, TimeSpan.FromSeconds(10),
                "the watchdog to kill the service and delete its home");
            Assert.False(bystander.HasExited);
        }
        finally
        {
            service.Kill(); // a no-op once the watchdog has done it
            bystander.Kill();
            Directory.Delete(other);
            if (Directory.Exists(home))
            {
                Directory.Delete(home);
            }
        }
    }

    private static Process StartAtHome(string home)
    {
        var start = new ProcessStartInfo("sleep", "600") { UseShellExecute = false };
        start.Environment["HOME"] = home;
        return Process.Start(start)!;
    }

    [Fact]
    public async Task A_sweep_stops_and_deletes_servers_whose_owner_is_gone_and_leaves_live_ones()
    {
        using var host = Start("sleep", "600");
        var (orphan, orphanServer) = StartNats();
        var (owned, ownedServer) = StartNats();
        Directory.CreateDirectory(orphan);
        Directory.CreateDirectory(owned);
        // As a killed host without a watchdog would leave it: an owner file naming a process that has ended.
        using (var gone = Start("true"))
        {
            await gone.WaitForExitAsync();
            await File.WriteAllTextAsync(orphan + ".owner", $"{gone.Id} 0");
        }

        Leftovers.Own(owned, Leftovers.StopNats(owned), host.Id);
        try
        {
            Leftovers.Sweep();

            await Eventually.Until(() => Task.FromResult(orphanServer.HasExited), exited => exited, TimeSpan.FromSeconds(10));
            Assert.False(Directory.Exists(orphan));
            Assert.False(ownedServer.HasExited);
            Assert.True(File.Exists(owned + ".owner"));
        }
        finally
        {
            host.Kill();
            await Eventually.Until(() => Task.FromResult(ownedServer.HasExited && !Directory.Exists(owned)), done => done, TimeSpan.FromSeconds(10));
        }
    }
}
