using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using SwapSeats.Contracts;
using SwapSeats.Messaging;

namespace SwapSeats.Testing;

/// <summary>The tests' side of the bus: publish events as another service would, and watch what a service published.</summary>
public sealed class TestBus(NatsServer server) : IAsyncDisposable
{
    private readonly NatsBus _bus = new(Options.Create(new MessagingOptions { ServiceName = "tests", Url = server.Url }), NullLogger<NatsBus>.Instance);

    public Task PublishAsync<TEvent>(TEvent @event) where TEvent : IIntegrationEvent => _bus.PublishAsync(@event, default);

    /// <summary>
    /// The same event (same event id) once more under a fresh <c>Nats-Msg-Id</c>, as a redelivery after the stream's
    /// duplicate window would arrive: only the consumer's inbox stands between it and a second effect.
    /// </summary>
    public Task RedeliverAsync<TEvent>(TEvent @event) where TEvent : IIntegrationEvent =>
        _bus.PublishAsync(TEvent.Subject, @event.EventId, EventJson.Serialize(@event), null, default, msgId: Guid.NewGuid().ToString());

    /// <summary>Every event on the subject of <typeparamref name="TEvent"/> so far that matches, in stream order.</summary>
    public async Task<List<TEvent>> PublishedAsync<TEvent>(Func<TEvent, bool> match) where TEvent : IIntegrationEvent
    {
        await _bus.EnsureStreamsAsync(default);
        var consumer = await _bus.JetStream.CreateOrUpdateConsumerAsync(Subjects.EventStream, new ConsumerConfig
        {
            FilterSubject = TEvent.Subject,
            AckPolicy = ConsumerConfigAckPolicy.None,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        });
        var found = new List<TEvent>();
        var pending = consumer.Info.NumPending;
        for (ulong i = 0; i < pending; i++)
        {
            var message = await consumer.NextAsync<byte[]>();
            if (message is { Data: { } data } && EventJson.Deserialize<TEvent>(data) is var @event && match(@event))
            {
                found.Add(@event);
            }
        }

        await _bus.JetStream.DeleteConsumerAsync(Subjects.EventStream, consumer.Info.Name);
        return found;
    }

    /// <summary>Waits until a matching event has been published (the service's outbox relay is asynchronous).</summary>
    public async Task<TEvent> WaitForAsync<TEvent>(Func<TEvent, bool> match, TimeSpan? timeout = null) where TEvent : IIntegrationEvent =>
        (await Eventually.Until(() => PublishedAsync(match), found => found.Count > 0, timeout, $"a {TEvent.Subject} event"))[0];

    public ValueTask DisposeAsync() => _bus.DisposeAsync();
}
