namespace SwapSeats.Auth.Domain;

/// <summary>One failed sign-in for an email; recent ones throttle further attempts for that email.</summary>
public sealed class SignInFailure(string email, DateTimeOffset failedAt)
{
    public long Id { get; private set; }

    public string Email { get; private set; } = email;

    public DateTimeOffset FailedAt { get; private set; } = failedAt;
}
