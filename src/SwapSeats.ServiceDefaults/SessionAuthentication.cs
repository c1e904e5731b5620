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

    [Required] public string Issuer { get; set; } = "swapseats-auth";
    [Required] public string Audience { get; set; } = "swapseats";

    /// <summary>How long a session lives. Auth stamps it on the tokens; every service keeps revocations as long.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The claim naming the session, so that sign-out can revoke exactly it.</summary>
    public const string SessionIdClaim = "sid";

    /// <summary>
    /// PEM of the public key (SubjectPublicKeyInfo): RSA (RS256 tokens) or P-256 (ES256 tokens). Either this or
    /// <see cref="PublicKeyFile"/>. It may hold several keys one after another: a token signed by any of them is
    /// accepted, which is how the signing key is rotated without signing anyone out (docs/operations.md, "Rotating the
    /// session signing key"), from one kind of key to the other too.
    /// </summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>Path of a PEM file holding the public key (or keys), e.g. a mounted Kubernetes secret.</summary>
    public string? PublicKeyFile { get; set; }

    /// <summary>Every public key in the configured PEM, in order, each as the kind of key it is.</summary>
    public List<AsymmetricSecurityKey> ReadPublicKeys()
    {
        var keys = SessionKeyPem.PublicKeys(ReadPublicKeyPem());
        return keys.Count > 0 ? keys : throw new OptionsValidationException(Section, typeof(SessionTokenOptions),
            ["Jwt:PublicKeyPem / Jwt:PublicKeyFile holds no PEM public key (-----BEGIN PUBLIC KEY----- or -----BEGIN RSA PUBLIC KEY-----)."]);
    }

    public string ReadPublicKeyPem() =>
        !string.IsNullOrWhiteSpace(PublicKeyPem) ? PublicKeyPem
        : !string.IsNullOrWhiteSpace(PublicKeyFile) ? File.ReadAllText(PublicKeyFile)
        : throw new OptionsValidationException(Section, typeof(SessionTokenOptions),
            ["Set Jwt:PublicKeyPem or Jwt:PublicKeyFile (env Jwt__PublicKeyPem / Jwt__PublicKeyFile) to the auth service's public key."]);
}

/// <summary>
/// Session keys as PEM, of either kind the SPEC allows: RSA, signing RS256, or P-256, signing ES256. The algorithm
/// follows the key, so a deployment moves from one kind to the other by the usual key rotation. RSA is what new key
/// pairs are (scripts/new-session-key.sh, the local run): every request to every service checks a signature, and an
/// RS256 check costs about a third of an ES256 one (measured in docs/benchmarks-notes.md); only auth signs, at sign-in.
/// </summary>
public static class SessionKeyPem
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    /// <summary>
    /// Every public key in the PEM text, in order: SubjectPublicKeyInfo (<c>PUBLIC KEY</c>) of either kind, or PKCS#1
    /// (<c>RSA PUBLIC KEY</c>). Blocks of other kinds are passed over.
    /// </summary>
    public static List<AsymmetricSecurityKey> PublicKeys(string pem) => Blocks(pem, "PUBLIC KEY", "RSA PUBLIC KEY")
        .Select(block => block.Label == "RSA PUBLIC KEY"
            ? Rsa(rsa => rsa.ImportRSAPublicKey(block.Der, out _))
            : ByAlgorithm(System.Security.Cryptography.X509Certificates.PublicKey.CreateFromSubjectPublicKeyInfo(block.Der, out _).Oid.Value,
                rsa => rsa.ImportSubjectPublicKeyInfo(block.Der, out _), ec => ec.ImportSubjectPublicKeyInfo(block.Der, out _)))
        .ToList();

    /// <summary>
    /// The private key auth signs with: the first one in the PEM text, PKCS#8 of either kind or the older PKCS#1 (RSA)
    /// and SEC1 (EC) forms. Blocks of other kinds (the <c>EC PARAMETERS</c> openssl writes before a key) are passed over.
    /// </summary>
    public static AsymmetricSecurityKey PrivateKey(string pem)
    {
        var (label, der) = Blocks(pem, "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY").FirstOrDefault();
        return label switch
        {
            "RSA PRIVATE KEY" => Rsa(rsa => rsa.ImportRSAPrivateKey(der, out _)),
            "EC PRIVATE KEY" => Ec(ec => ec.ImportECPrivateKey(der, out _)),
            "PRIVATE KEY" => ByAlgorithm(PrivateKeyInfoAlgorithm(der), rsa => rsa.ImportPkcs8PrivateKey(der, out _), ec => ec.ImportPkcs8PrivateKey(der, out _)),
            _ => throw new CryptographicException(
                "The session signing key holds no unencrypted PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)."),
        };
    }

    /// <summary>What a key signs: RS256 for RSA, ES256 for P-256.</summary>
    public static string AlgorithmOf(SecurityKey key) => key switch
    {
        RsaSecurityKey => SecurityAlgorithms.RsaSha256,
        ECDsaSecurityKey => SecurityAlgorithms.EcdsaSha256,
        _ => throw Unsupported(key.GetType().Name),
    };

    /// <summary>A key whose kind its encoding names by algorithm OID (SubjectPublicKeyInfo, PKCS#8).</summary>
    private static AsymmetricSecurityKey ByAlgorithm(string? oid, Action<RSA> importRsa, Action<ECDsa> importEc) => oid switch
    {
        RsaOid => Rsa(importRsa),
        EcOid => Ec(importEc),
        _ => throw Unsupported($"a key of algorithm {oid}"),
    };

    private static AsymmetricSecurityKey Rsa(Action<RSA> import)
    {
        var rsa = RSA.Create();
        import(rsa);
        var bits = rsa.KeySize;
        if (bits >= 2048)
        {
            return new RsaSecurityKey(rsa);
        }

        rsa.Dispose();
        throw Unsupported($"a {bits}-bit RSA key (2048 bits at least)");
    }

    private static AsymmetricSecurityKey Ec(Action<ECDsa> import)
    {
        var ec = ECDsa.Create();
        import(ec);
        var curve = ec.ExportParameters(includePrivateParameters: false).Curve;
        if (curve.IsNamed && curve.Oid.Value == ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            return new ECDsaSecurityKey(ec);
        }

        ec.Dispose();
        throw Unsupported($"an EC key on curve {curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "given by explicit parameters"}");
    }

    /// <summary>The PEM blocks of the text with one of <paramref name="labels"/>, in order, as DER.</summary>
    private static List<(string Label, byte[] Der)> Blocks(string pem, params string[] labels)
    {
        // Keys joined without a line break between them (a PEM export has no final newline) are still two blocks.
        pem = System.Text.RegularExpressions.Regex.Replace(pem, "(-----END [A-Z0-9 ]+-----)(?=-)", "$1\n");
        var blocks = new List<(string, byte[])>();
        for (var offset = 0; PemEncoding.TryFind(pem.AsSpan(offset), out var fields); offset += fields.Location.End.Value)
        {
            var text = pem.AsSpan(offset);
            var label = text[fields.Label].ToString();
            if (labels.Contains(label))
            {
                blocks.Add((label, Convert.FromBase64String(text[fields.Base64Data].ToString())));
            }
        }

        return blocks;
    }

    private static string PrivateKeyInfoAlgorithm(byte[] der)
    {
        var info = new System.Formats.Asn1.AsnReader(der, System.Formats.Asn1.AsnEncodingRules.BER).ReadSequence();
        info.ReadInteger();
        return info.ReadSequence().ReadObjectIdentifier();
    }

    private static CryptographicException Unsupported(string what) =>
        new($"Session keys are RSA (RS256) or P-256 (ES256); this is {what}.");
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
                var keys = options.ReadPublicKeys();
                bearer.MapInboundClaims = false;
                bearer.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = options.Issuer,
                    ValidAudience = options.Audience,
                    // One key, or the old and the new one while the signing key is rotated.
                    IssuerSigningKeys = keys,
                    TryAllIssuerSigningKeys = true,
                    // Only the asymmetric algorithms of the keys given: "none" and HMAC tricks are refused.
                    ValidAlgorithms = keys.Select(SessionKeyPem.AlgorithmOf).Distinct().ToList(),
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
