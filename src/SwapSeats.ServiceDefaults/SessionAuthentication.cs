using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace SwapSeats.ServiceDefaults;

/// <summary>Where every service finds the auth service's public key, and what a session token must say.</summary>
public sealed class SessionTokenOptions
{
    public const string Section = "Jwt";
    public const string CookieName = "session";
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    [Required] public string Issuer { get; set; } = "swapseats-auth";
    [Required] public string Audience { get; set; } = "swapseats";

    /// <summary>How long a session lives. Auth stamps it on the tokens; every service keeps revocations as long.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The claim naming the session, so that sign-out can revoke exactly it.</summary>
    public const string SessionIdClaim = "sid";

    /// <summary>
    /// PEM of the ES256 public key (SubjectPublicKeyInfo). Either this or <see cref="PublicKeyFile"/>. It may hold
    /// several keys one after another: a token signed by any of them is accepted, which is how the signing key is
    /// rotated without signing anyone out (docs/operations.md, "Rotating the session signing key").
    /// </summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>Path of a PEM file holding the public key (or keys), e.g. a mounted Kubernetes secret.</summary>
    public string? PublicKeyFile { get; set; }

    /// <summary>Every public key in the configured PEM, in order.</summary>
    public List<ECDsaSecurityKey> ReadPublicKeys()
    {
        var keys = System.Text.RegularExpressions.Regex.Matches(ReadPublicKeyPem(), "-----BEGIN PUBLIC KEY-----[^-]+-----END PUBLIC KEY-----")
            .Select(block =>
            {
                var key = ECDsa.Create();
                key.ImportFromPem(block.Value);
                return new ECDsaSecurityKey(key);
            })
            .ToList();
        return keys.Count > 0 ? keys : throw new OptionsValidationException(Section, typeof(SessionTokenOptions),
            ["Jwt:PublicKeyPem / Jwt:PublicKeyFile holds no PEM public key (-----BEGIN PUBLIC KEY-----)."]);
    }

    public string ReadPublicKeyPem() =>
        !string.IsNullOrWhiteSpace(PublicKeyPem) ? PublicKeyPem
        : !string.IsNullOrWhiteSpace(PublicKeyFile) ? File.ReadAllText(PublicKeyFile)
        : throw new OptionsValidationException(Section, typeof(SessionTokenOptions),
            ["Set Jwt:PublicKeyPem or Jwt:PublicKeyFile (env Jwt__PublicKeyPem / Jwt__PublicKeyFile) to the auth service's public key."]);
}

public static class SessionAuthentication
{
    public static IHostApplicationBuilder AddSessionAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SessionTokenOptions>()
            .Bind(builder.Configuration.GetSection(SessionTokenOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.PublicKeyPem) || !string.IsNullOrWhiteSpace(o.PublicKeyFile),
                "Jwt:PublicKeyPem or Jwt:PublicKeyFile must be set to the auth service's public key.")
            .Validate(o => string.IsNullOrWhiteSpace(o.PublicKeyFile) || File.Exists(o.PublicKeyFile),
                "Jwt:PublicKeyFile names a file that does not exist.")
            .Validate(o => o.Lifetime > TimeSpan.Zero, "Jwt:Lifetime must be positive.")
            .Validate(_ => !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("nats")),
                "ConnectionStrings:nats (env ConnectionStrings__nats) must be the NATS URL: revoked sessions are read from it.")
            .ValidateOnStart();

        builder.Services.AddSingleton<SessionRevocations>();
        builder.Services.AddSingleton<SessionRevocationStore>();
        builder.Services.AddHostedService<SessionRevocationWatcher>();
        builder.Services.AddHealthChecks().AddCheck<SessionRevocationHealthCheck>("sessions", tags: [HealthTags.Ready]);

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<SessionTokenOptions>>((bearer, tokenOptions) =>
            {
                var options = tokenOptions.Value;
                bearer.MapInboundClaims = false;
                bearer.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = options.Issuer,
                    ValidAudience = options.Audience,
                    // One key, or the old and the new one while the signing key is rotated.
                    IssuerSigningKeys = options.ReadPublicKeys(),
                    TryAllIssuerSigningKeys = true,
                    // Only the asymmetric algorithm auth signs with: "none" and HMAC tricks are refused.
                    ValidAlgorithms = [SessionTokenOptions.Algorithm],
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = "email",
                };
                bearer.Events = new JwtBearerEvents
                {
                    OnMessageReceived = context =>
                    {
                        if (context.Request.Cookies.TryGetValue(SessionTokenOptions.CookieName, out var token) && token.Length > 0)
                        {
                            context.Token = token;
                        }

                        return Task.CompletedTask;
                    },
                    OnTokenValidated = context =>
                    {
                        // A signed, unexpired token is a session only if it names one and that one has not ended.
                        var sessionId = context.Principal?.FindFirstValue(SessionTokenOptions.SessionIdClaim);
                        if (string.IsNullOrEmpty(sessionId))
                        {
                            context.Fail("The token names no session.");
                            return Task.CompletedTask;
                        }

                        var revocations = context.HttpContext.RequestServices.GetRequiredService<SessionRevocations>();
                        if (!revocations.IsLoaded)
                        {
                            throw new SessionsNotLoadedException();
                        }

                        if (revocations.IsRevoked(sessionId))
                        {
                            context.Fail("The session was ended at sign-out.");
                        }

                        return Task.CompletedTask;
                    },
                };
            });
        builder.Services.AddAuthorization();
        return builder;
    }

    /// <summary>The id of the signed-in user, or null for an anonymous caller.</summary>
    public static Guid? UserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue("sub"), out var id) ? id : null;

    /// <summary>The id of the signed-in user on an endpoint that requires authorization.</summary>
    public static Guid RequiredUserId(this ClaimsPrincipal user) =>
        user.UserId() ?? throw new InvalidOperationException("The endpoint must require authorization.");
}
