using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SwapSeats.Auth.Domain;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Auth.Sessions;

/// <summary>Mints session tokens (the only place in the system that holds the private key) and sets the cookie.</summary>
public sealed class SessionIssuer
{
    private readonly SigningCredentials _credentials;
    private readonly SessionTokenOptions _token;
    private readonly AuthOptions _auth;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SessionRevocationStore _revocations;

    public SessionIssuer(IOptions<AuthOptions> auth, IOptions<SessionTokenOptions> token, TimeProvider time, SessionRevocationStore revocations)
    {
        _revocations = revocations;
        _auth = auth.Value;
        _token = token.Value;
        _time = time;
        // RS256 or ES256, whichever kind of key auth is given (SessionKeyPem).
        var key = SessionKeyPem.PrivateKey(_auth.ReadSigningKeyPem());
        _credentials = new SigningCredentials(key, SessionKeyPem.AlgorithmOf(key));
    }

    public void SignIn(HttpContext context, User user)
    {
        var now = _time.GetUtcNow();
        var expires = now + _token.Lifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _token.Issuer,
            Audience = _token.Audience,
            Subject = new ClaimsIdentity([
                new Claim("sub", user.Id.ToString()),
                new Claim("email", user.Email),
                new Claim(SessionTokenOptions.SessionIdClaim, Guid.NewGuid().ToString("N")),
            ]),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = _credentials,
        });
        context.Response.Cookies.Append(SessionTokenOptions.CookieName, token, CookieOptions(context, expires));
    }

    /// <summary>
    /// Ends the caller's session for every service (a copy of the cookie is refused from now on, wherever it is shown),
    /// then expires the cookie. Without a valid session there is nothing to revoke: the cookie is expired all the same.
    /// </summary>
    public async Task SignOutAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var sessionId = context.User.FindFirstValue(SessionTokenOptions.SessionIdClaim);
        if (sessionId is not null && long.TryParse(context.User.FindFirstValue("exp"), out var expires))
        {
            try
            {
                await _revocations.RevokeAsync(sessionId, DateTimeOffset.FromUnixTimeSeconds(expires), cancellationToken);
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or TimeoutException)
            {
                // Not revoked: the session would live on in a copy of the cookie, so the browser keeps it too, to try again.
                throw new DomainException("Signing out is not possible right now. Try again in a moment.", StatusCodes.Status503ServiceUnavailable);
            }
        }

        context.Response.Cookies.Delete(SessionTokenOptions.CookieName, CookieOptions(context, expires: null));
    }

    // Secure follows the scheme the browser used; behind a TLS-terminating proxy the forwarded headers restore it.
    private static CookieOptions CookieOptions(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        Secure = context.Request.IsHttps,
        Expires = expires,
        IsEssential = true,
    };
}

/// <summary>
/// Auth owns the revocation bucket's retention: at start it declares the bucket with MaxAge = the token lifetime (or
/// updates it, if a service declared it first with its own idea of the lifetime), retrying until NATS answers.
/// </summary>
internal sealed class RevocationBucketDeclaration(SessionRevocationStore store, TimeProvider time, ILogger<RevocationBucketDeclaration> logger)
    : Worker(logger, time)
{
    protected override TimeSpan LongestRetry => TimeSpan.FromSeconds(5);

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        await store.DeclareAsync(cancellationToken);
        return Done;
    }
}
