using SwapSeats.Contracts;
using SwapSeats.Messaging;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using SwapSeats.Auth.Data;
using SwapSeats.Auth.Domain;
using SwapSeats.Auth.Sessions;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Auth.Api;

public sealed record Credentials(string? Email, string? Password);

public sealed record UserDto(Guid Id, string Email);

public sealed record CurrentUserResponse(UserDto? CurrentUser);

public static partial class UsersApi
{
    public const int MaxEmailLength = 254;
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 128;

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").WithTags("Users").CheckSessionBeforeBody();
        api.MapPost("/signup", SignUp).Accepts<Credentials>("application/json");
        api.MapPost("/signin", SignIn).Accepts<Credentials>("application/json");
        api.MapPost("/signout", SignOut);
        api.MapGet("/currentuser", CurrentUser);
        return app;
    }

    /// <summary>Creates the account and signs it in; its <c>Location</c> is where the new session reads it back.</summary>
    public static async Task<Created<UserDto>> SignUp(
        Credentials credentials, HttpContext context, AuthDbContext db, IPasswordHasher<User> hasher,
        SessionIssuer sessions, TimeProvider time, CancellationToken cancellationToken)
    {
        var (email, password) = Validate(credentials, checkPasswordRules: true);
        var user = User.Register(email, password, hasher, time.GetUtcNow());
        db.Users.Add(user);
        // The address every email to this user goes to (notifications), announced with the account in one transaction.
        db.Publish(new UserCreated(user.Id, user.Email));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            throw new DomainException("Email in use");
        }

        sessions.SignIn(context, user);
        return TypedResults.Created("/api/users/currentuser", new UserDto(user.Id, user.Email));
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> SignIn(
        Credentials credentials, HttpContext context, AuthDbContext db, IPasswordHasher<User> hasher,
        SessionIssuer sessions, TimeProvider time, IOptions<AuthOptions> options, CancellationToken cancellationToken)
    {
        var (email, password) = Validate(credentials, checkPasswordRules: false);
        var now = time.GetUtcNow();
        var limit = options.Value.SignInFailureLimit;
        var window = options.Value.SignInFailureWindow;

        // The attempt takes its slot before the password is checked, counted under a lock on the email: concurrent
        // attempts for one email queue here for a moment (not through the slow hash), and no burst gets past the limit.
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({email}, 0))", cancellationToken);
            var recentFailures = await db.SignInFailures
                .Where(f => f.Email == email && f.FailedAt > now - window)
                .OrderByDescending(f => f.FailedAt)
                .Select(f => f.FailedAt)
                .Take(limit)
                .ToListAsync(cancellationToken);
            if (recentFailures.Count >= limit)
            {
                // Locked until the oldest of the last `limit` failures leaves the window.
                var retryAfter = recentFailures[^1] + window - now;
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Too many failed sign-in attempts",
                    detail: $"Too many failed sign-in attempts for this email. Try again in {Math.Ceiling(retryAfter.TotalMinutes)} minute(s).");
            }

            // Counted as a failure until the password proves right (then every failure of the email is forgotten).
            db.SignInFailures.Add(new SignInFailure(email, now));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var user = await db.Users.SingleOrDefaultAsync(u => u.Email == email, cancellationToken);
        var verified = user is not null ? user.VerifyPassword(password, hasher) : BurnEquivalentTime(password, hasher);
        if (!verified || user is null)
        {
            throw new DomainException("Invalid credentials");
        }

        await db.SaveChangesAsync(cancellationToken); // a rehashed password, if the hasher asked for one
        await db.SignInFailures.Where(f => f.Email == email).ExecuteDeleteAsync(cancellationToken);
        sessions.SignIn(context, user);
        return TypedResults.Ok(new UserDto(user.Id, user.Email));
    }

    public static async Task<Ok> SignOut(HttpContext context, SessionIssuer sessions, CancellationToken cancellationToken)
    {
        await sessions.SignOutAsync(context, cancellationToken);
        return TypedResults.Ok();
    }

    public static Ok<CurrentUserResponse> CurrentUser(HttpContext context)
    {
        var id = context.User.UserId();
        var email = context.User.FindFirst("email")?.Value;
        return TypedResults.Ok(new CurrentUserResponse(id is { } userId && email is not null ? new UserDto(userId, email) : null));
    }

    private static (string Email, string Password) Validate(Credentials credentials, bool checkPasswordRules)
    {
        var errors = new ValidationErrors();
        var email = credentials.Email is null ? "" : User.NormalizeEmail(credentials.Email);
        if (email.Length == 0)
        {
            errors.Add("email", "Email is required.");
        }
        else if (email.Length > MaxEmailLength || !EmailShape().IsMatch(email))
        {
            errors.Add("email", "Email must be a valid email address.");
        }

        var password = credentials.Password ?? "";
        if (password.Length == 0)
        {
            errors.Add("password", "Password is required.");
        }
        else if (checkPasswordRules && password.Length is < MinPasswordLength or > MaxPasswordLength)
        {
            errors.Add("password", $"Password must be between {MinPasswordLength} and {MaxPasswordLength} characters.");
        }

        errors.ThrowIfAny();
        return (email, password);
    }

    // An unknown email costs as much as a wrong password, so timing does not tell which emails have accounts.
    private static readonly string UnknownUserHash = new PasswordHasher<User>().HashPassword(null!, "not-a-real-password");

    private static bool BurnEquivalentTime(string password, IPasswordHasher<User> hasher)
    {
        hasher.VerifyHashedPassword(null!, UnknownUserHash, password);
        return false;
    }

    // local@domain.tld: no spaces, one @, a dot in the domain. Deliberately simple; deliverability is not checked here.
    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s.]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailShape();
}
