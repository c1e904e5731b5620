using SwapSeats.Contracts;

namespace SwapSeats.Tickets.Domain;

/// <summary>
/// A concert, match or show at a venue and a time. The same event is never stored twice: its natural key (name, venue and
/// city compared case-insensitively after trimming, and the start time) is unique in the database.
/// </summary>
public sealed class Event
{
    private Event()
    {
    }

    public Guid Id { get; private set; }

    public string Name { get; private set; } = "";

    public string Venue { get; private set; } = "";

    public string City { get; private set; } = "";

    public DateTimeOffset StartsAt { get; private set; }

    /// <summary>Lower-cased name, venue and city: the natural key's text (the unique index is on these and the start).</summary>
    public string NameKey { get; private set; } = "";

    public string VenueKey { get; private set; } = "";

    public string CityKey { get; private set; } = "";

    /// <summary>Who first created it (any signed-in user may; later creators get the same event back).</summary>
    public Guid CreatedBy { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public static string Key(string text) => text.Trim().ToLowerInvariant();

    public static Event Create(string name, string venue, string city, DateTimeOffset startsAt, Guid createdBy, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        Name = name,
        Venue = venue,
        City = city,
        // Whole microseconds in UTC, as PostgreSQL stores them, so "the same startsAt" compares equal on the way back.
        StartsAt = new DateTimeOffset(startsAt.UtcTicks - startsAt.UtcTicks % 10, TimeSpan.Zero),
        NameKey = Key(name),
        VenueKey = Key(venue),
        CityKey = Key(city),
        CreatedBy = createdBy,
        CreatedAt = now,
    };

    public bool HasStarted(DateTimeOffset now) => StartsAt <= now;

    public EventInfo ToInfo() => new(Id, Name, Venue, City, StartsAt);
}
