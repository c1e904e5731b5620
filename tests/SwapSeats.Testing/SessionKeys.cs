using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SwapSeats.Testing;

/// <summary>An RS256 key pair for a test run, as the auth service and the other services are given one.</summary>
public static class SessionKeys
{
    private static readonly RSA Key = RSA.Create(2048);

    public static string PrivatePem { get; } = Key.ExportPkcs8PrivateKeyPem();

    public static string PublicPem { get; } = Key.ExportSubjectPublicKeyInfoPem();

    public const string Issuer = "swapseats-auth";
    public const string Audience = "swapseats";

    /// <summary>Mints a token outside the auth service, e.g. an expired one, or one signed by another key (RSA: RS256,
    /// EC: ES256, unless <paramref name="algorithm"/> says otherwise). It names a new session unless
    /// <paramref name="sessionId"/> names one (or is null: no session id).</summary>
    public static string MintToken(Guid userId, string email, DateTimeOffset expires, AsymmetricAlgorithm? signingKey = null, string issuer = Issuer,
        string? sessionId = "", string? algorithm = null)
    {
        Claim[] session = sessionId is null ? [] : [new Claim("sid", sessionId.Length > 0 ? sessionId : Guid.NewGuid().ToString("N"))];
        var now = expires.AddHours(-1);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity([new Claim("sub", userId.ToString()), new Claim("email", email), .. session]),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = (signingKey ?? Key) switch
            {
                RSA rsa => new SigningCredentials(new RsaSecurityKey(rsa), algorithm ?? SecurityAlgorithms.RsaSha256),
                ECDsa ec => new SigningCredentials(new ECDsaSecurityKey(ec), algorithm ?? SecurityAlgorithms.EcdsaSha256),
                var other => throw new ArgumentException($"No session algorithm signs with {other.GetType().Name}.", nameof(signingKey)),
            },
        });
    }

    /// <summary>Settings every service needs to validate sessions (and, for auth, to sign them).</summary>
    public static Dictionary<string, string?> Settings() => new()
    {
        ["Jwt:PublicKeyPem"] = PublicPem,
        ["Auth:SigningKeyPem"] = PrivatePem,
    };
}
