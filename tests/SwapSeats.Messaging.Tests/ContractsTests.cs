using System.Text.Json;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;

namespace SwapSeats.Messaging.Tests;

public sealed class ContractsTests
{
    private static readonly Guid A = Guid.Parse("0195f0d2-0000-7000-8000-000000000001");
    private static readonly Guid B = Guid.Parse("0195f0d2-0000-7000-8000-000000000002");
    private static readonly Guid C = Guid.Parse("0195f0d2-0000-7000-8000-000000000003");
    private static readonly DateTimeOffset At = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly EventInfo Gig = new(C, "Coldplay", "Wembley Stadium", "London", At);

    public static TheoryData<string, IIntegrationEventShape> Shapes() => new()
    {
        { "ticket.created", Shape(new TicketCreated(A, "Block 112", 19.99m, B, 0) { Event = Gig, FaceValue = 25m }, """{"id":"A","title":"Block 112","price":19.99,"userId":"B","version":0,"event":{"id":"C","name":"Coldplay","venue":"Wembley Stadium","city":"London","startsAt":"2026-11-25T12:00:00+00:00"},"faceValue":25,"status":"available","hasFile":false}""") },
        { "ticket.updated", Shape(new TicketUpdated(A, "Block 112", 19.99m, B, C, "reserved", 1) { Event = Gig, FaceValue = 25m }, """{"id":"A","title":"Block 112","price":19.99,"userId":"B","orderId":"C","status":"reserved","version":1,"event":{"id":"C","name":"Coldplay","venue":"Wembley Stadium","city":"London","startsAt":"2026-11-25T12:00:00+00:00"},"faceValue":25,"hasFile":false}""") },
        { "order.created", Shape(new OrderCreated(C, B, "created", At, 0, new OrderTicket(A, 19.99m)), """{"id":"C","userId":"B","status":"created","expiresAt":"2026-11-25T12:00:00+00:00","version":0,"ticket":{"id":"A","price":19.99}}""") },
        { "order.cancelled", Shape(new OrderCancelled(C, 1, new TicketRef(A)) { Reason = "expired" }, """{"id":"C","version":1,"ticket":{"id":"A"},"reason":"expired"}""") },
        { "order.completed", Shape(new OrderCompleted(C, 1, new TicketRef(A)) { UserId = B }, """{"id":"C","version":1,"ticket":{"id":"A"},"userId":"B"}""") },
        { "expiration.complete", Shape(new ExpirationComplete(C), """{"orderId":"C"}""") },
        { "payment.created", Shape(new PaymentCreated(A, C, 1999, "usd") { Payout = new PayoutTerms(100, 1899, At) }, """{"id":"A","orderId":"C","amount":1999,"currency":"usd","payout":{"fee":100,"amount":1899,"releaseAt":"2026-11-25T12:00:00+00:00"}}""") },
        { "payment.failed", Shape(new PaymentFailed(C, "card_declined"), """{"orderId":"C","reason":"card_declined"}""") },
        { "payment.refunded", Shape(new PaymentRefunded(A, C, 1999, "usd") { Reason = "notDelivered" }, """{"id":"A","orderId":"C","amount":1999,"currency":"usd","reason":"notDelivered"}""") },
        { "user.created", Shape(new UserCreated(A, "fan@example.com"), """{"id":"A","email":"fan@example.com"}""") },
        { "payout.paid", Shape(new PayoutPaid(A, B, C, 1899, "usd"), """{"id":"A","sellerId":"B","orderId":"C","amount":1899,"currency":"usd"}""") },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_event_has_a_pinned_subject_and_json_shape(string subject, IIntegrationEventShape shape)
    {
        Assert.Equal(subject, shape.Subject);
        var json = JsonDocument.Parse(shape.Json).RootElement;
        var expected = JsonDocument.Parse(shape.Expected.Replace("\"A\"", $"\"{A}\"").Replace("\"B\"", $"\"{B}\"").Replace("\"C\"", $"\"{C}\"")).RootElement;

        // The payload fields, exactly, plus the envelope every event carries.
        var names = json.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Concat(["eventId", "occurredAt"]).Order(), names.Order());
        foreach (var property in expected.EnumerateObject())
        {
            Assert.Equal(property.Value.ToString(), json.GetProperty(property.Name).ToString());
        }

        Assert.True(Guid.TryParse(json.GetProperty("eventId").GetString(), out _));
    }

    [Fact]
    public void Every_event_gets_its_own_time_ordered_id()
    {
        var first = new ExpirationComplete(A);
        var second = new ExpirationComplete(A);

        Assert.NotEqual(first.EventId, second.EventId);
        Assert.Equal(7, first.EventId.Version);
    }

    [Theory]
    [InlineData(null, 0, HandleResult.Applied)]
    [InlineData(null, 1, HandleResult.RetryLater)]
    [InlineData(0, 1, HandleResult.Applied)]
    [InlineData(3, 4, HandleResult.Applied)]
    [InlineData(3, 3, HandleResult.Ignored)]
    [InlineData(3, 1, HandleResult.Ignored)]
    [InlineData(3, 5, HandleResult.RetryLater)]
    public void Replicas_apply_only_the_next_version(int? current, int incoming, HandleResult expected) =>
        Assert.Equal(expected, Versioned.Check(current, incoming));

    private static IIntegrationEventShape Shape<TEvent>(TEvent @event, string expected) where TEvent : IIntegrationEvent =>
        new(TEvent.Subject, System.Text.Encoding.UTF8.GetString(EventJson.Serialize(@event)), expected);
}

public sealed record IIntegrationEventShape(string Subject, string Json, string Expected);
