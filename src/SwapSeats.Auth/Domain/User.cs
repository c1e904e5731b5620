using Microsoft.AspNetCore.Identity;

namespace SwapSeats.Auth.Domain;

public sealed class User
{
    private User(Guid id, string email, DateTimeOffset createdAt)
    {
        Id = id;
        Email = email;
        CreatedAt = createdAt;
    }

    public Guid Id { get; private set; }

    /// <summary>Trimmed and lower-cased; unique by a database index.</summary>
    public string Email { get; private set; }

    public string PasswordHash { get; private set; } = "";

    public DateTimeOffset CreatedAt { get; private set; }

    public static User Register(string normalizedEmail, string password, IPasswordHasher<User> hasher, DateTimeOffset now)
    {
        var user = new User(Guid.CreateVersion7(now), normalizedEmail, now);
        user.PasswordHash = hasher.HashPassword(user, password);
        return user;
    }

    public bool VerifyPassword(string password, IPasswordHasher<User> hasher)
    {
        var result = hasher.VerifyHashedPassword(this, PasswordHash, password);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            PasswordHash = hasher.HashPassword(this, password);
        }

        return result != PasswordVerificationResult.Failed;
    }

    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();
}
