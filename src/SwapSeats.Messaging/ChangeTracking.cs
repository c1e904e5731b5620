using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace SwapSeats.Messaging;

internal static class ChangeTracking
{
    /// <summary>
    /// Looks at what a context tracks without the change detection every such look runs first (a scan of every tracked
    /// entity, which SaveChanges repeats anyway). What <paramref name="look"/> sees of a changed property may be stale
    /// unless it detects that entry's changes itself.
    /// </summary>
    public static T WithoutDetectingChanges<T>(this ChangeTracker tracker, Func<ChangeTracker, T> look)
    {
        var detecting = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            return look(tracker);
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detecting;
        }
    }
}
