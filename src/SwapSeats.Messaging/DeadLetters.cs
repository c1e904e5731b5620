using System.Text.Json;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;

namespace SwapSeats.Messaging;

/// <summary>One message a consumer gave up on, as it lies in the dead-letter stream.</summary>
public sealed record DeadLetter(ulong Sequence, string Consumer, string Subject, int Deliveries, string Error, Guid EventId,
    DateTimeOffset DeadLetteredAt, byte[] Data);

/// <summary>
/// The operator's side of the dead-letter stream (<c>SWAPSEATS_DEADLETTER</c>): list what is there, and replay a message
/// once its cause is mended. A replay publishes the event again on its own subject under a fresh de-duplication id and
/// then removes it from the dead letters: the consumer that failed applies it; every consumer that had applied it
/// already finds it in its inbox and ignores it, so a replay never applies anything twice. Nothing here declares or
/// changes a stream.
/// </summary>
public sealed class DeadLetters(NatsBus bus)
{
    /// <summary>Every dead letter, oldest first; only one consumer's with <paramref name="consumer"/>.</summary>
    public async Task<List<DeadLetter>> ListAsync(string? consumer, CancellationToken cancellationToken)
    {
        return await ReadAsync(new ConsumerConfig
        {
            FilterSubject = consumer is null ? $"{Subjects.DeadLetterPrefix}.>" : $"{Subjects.DeadLetterPrefix}.{consumer}.>",
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
        }, int.MaxValue, cancellationToken);
    }

    /// <summary>Replays the dead letter at stream sequence <paramref name="sequence"/>; null when there is none.</summary>
    public async Task<DeadLetter?> ReplayAsync(ulong sequence, CancellationToken cancellationToken)
    {
        var found = await ReadAsync(new ConsumerConfig
        {
            FilterSubject = $"{Subjects.DeadLetterPrefix}.>",
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = sequence,
        }, 1, cancellationToken);
        if (found is not [var letter] || letter.Sequence != sequence)
        {
            return null;
        }

        // The streams are the services' to declare (with their replica count): the tool only publishes and deletes.
        await bus.SendAsync(letter.Subject, letter.EventId, letter.Data, traceParent: null, extraHeaders: null,
            msgId: $"replay:{letter.EventId}:{sequence}", cancellationToken);
        var stream = await bus.JetStream.GetStreamAsync(Subjects.DeadLetterStream, cancellationToken: cancellationToken);
        await stream.DeleteMessageAsync(new StreamMsgDeleteRequest { Seq = sequence }, cancellationToken);
        return letter;
    }

    private async Task<List<DeadLetter>> ReadAsync(ConsumerConfig config, int most, CancellationToken cancellationToken)
    {
        config.AckPolicy = ConsumerConfigAckPolicy.None;
        config.InactiveThreshold = TimeSpan.FromSeconds(30);
        var consumer = await bus.JetStream.CreateOrUpdateConsumerAsync(Subjects.DeadLetterStream, config, cancellationToken);
        try
        {
            var letters = new List<DeadLetter>();
            var pending = Math.Min(consumer.Info.NumPending, (ulong)most);
            for (ulong i = 0; i < pending; i++)
            {
                if (await consumer.NextAsync<byte[]>(cancellationToken: cancellationToken) is not { } message)
                {
                    break;
                }

                string Header(string name) => message.Headers?.TryGetValue(name, out var value) == true ? value.ToString() : "";
                var data = message.Data ?? [];
                letters.Add(new DeadLetter(
                    message.Metadata?.Sequence.Stream ?? 0,
                    Header(JetStreamConsumer.ConsumerHeader),
                    Header(JetStreamConsumer.SubjectHeader),
                    int.TryParse(Header(JetStreamConsumer.DeliveriesHeader), out var deliveries) ? deliveries : 0,
                    Header(JetStreamConsumer.ErrorHeader),
                    EventIdOf(data),
                    message.Metadata?.Timestamp ?? default,
                    data));
            }

            return letters;
        }
        finally
        {
            await bus.JetStream.DeleteConsumerAsync(Subjects.DeadLetterStream, consumer.Info.Name, cancellationToken);
        }
    }

    /// <summary>Every event carries its id in its body (<c>eventId</c>); a body that is not an event has none.</summary>
    private static Guid EventIdOf(byte[] data)
    {
        try
        {
            using var json = JsonDocument.Parse(data);
            return json.RootElement.TryGetProperty("eventId", out var id) && id.TryGetGuid(out var guid) ? guid : Guid.Empty;
        }
        catch (JsonException)
        {
            return Guid.Empty;
        }
    }
}
