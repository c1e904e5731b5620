using System.Diagnostics.Metrics;

namespace SwapSeats.Testing;

/// <summary>Counts <c>swapseats.consumer.processed</c> for one consumer and outcome, from in-process services.</summary>
public sealed class OutcomeCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _count;

    public OutcomeCounter(string consumer, string outcome)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "swapseats.consumer.processed")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? seenConsumer = null, seenOutcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "consumer") seenConsumer = tag.Value as string;
                if (tag.Key == "outcome") seenOutcome = tag.Value as string;
            }

            if (seenConsumer == consumer && seenOutcome == outcome)
            {
                Interlocked.Add(ref _count, value);
            }
        });
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}
