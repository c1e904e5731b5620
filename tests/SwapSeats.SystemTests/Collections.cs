using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<SwapSeatsSystem>
{
    public const string Name = "system";
}

[CollectionDefinition(Name)]
public sealed class ShortWindowCollection : ICollectionFixture<ShortWindowSystem>
{
    public const string Name = "short-window";
}

[CollectionDefinition(Name)]
public sealed class FaultsCollection : ICollectionFixture<FaultSystem>
{
    public const string Name = "faults";
}

/// <summary>A system of its own, on a PostgreSQL server of its own: these tests stop, kill and restart its parts.</summary>
public sealed class FaultSystem : SwapSeatsSystem
{
    protected override Task<PostgresServer> StartPostgresAsync() => PostgresServer.StartAsync(durable: true);
}

[CollectionDefinition(Name)]
public sealed class ReplicasCollection : ICollectionFixture<ReplicatedSystem>
{
    public const string Name = "replicas";
}

/// <summary>
/// Two processes of every service but the gateway (SWAPSEATS_REPLICAS=2). Short waits where a dead replica's work
/// passes to the other: messages it held are redelivered after AckWait, emails it claimed after SendLease, and the
/// gateway probes every second.
/// </summary>
public sealed class ReplicatedSystem : SwapSeatsSystem
{
    public override int Replicas => 2;

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Orders:ReservationWindow"] = "00:00:15",
        ["Messaging:AckWait"] = "00:00:05",
        ["Notifications:SendLease"] = "00:00:10",
        ["Notifications:Smtp:Timeout"] = "00:00:05",
        ["Gateway:HealthProbeInterval"] = "00:00:01",
    };
}
