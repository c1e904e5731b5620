namespace SwapSeats.Orders.Domain;

/// <summary>
/// A purchase made with an <c>Idempotency-Key</c>: a retry with the same key and request gets this response again, the
/// same key with another request is refused. Scoped to the user, so one buyer's keys never collide with another's.
/// </summary>
public sealed record IdempotentRequest(Guid UserId, string Key, string RequestHash, Guid OrderId, string ResponseJson, DateTimeOffset CreatedAt);
