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
