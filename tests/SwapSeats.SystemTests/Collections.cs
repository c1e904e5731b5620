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
