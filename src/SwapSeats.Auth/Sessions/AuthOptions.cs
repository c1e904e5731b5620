using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Auth.Data;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Auth.Sessions;

public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// PEM of the private key sessions are signed with: RSA (RS256; PKCS#8 or PKCS#1) or P-256 (ES256; PKCS#8 or SEC1).
    /// Either this or <see cref="SigningKeyFile"/>.
    /// </summary>
    public string? SigningKeyPem { get; set; }

    /// <summary>Path of a PEM file with the private key, e.g. a mounted Kubernetes secret.</summary>
    public string? SigningKeyFile { get; set; }

    public int SignInFailureLimit { get; set; } = 10;

    public TimeSpan SignInFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    public static IHostApplicationBuilder AddAuthOptions(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.SigningKeyPem) || !string.IsNullOrWhiteSpace(o.SigningKeyFile),
                "Auth:SigningKeyPem or Auth:SigningKeyFile (env Auth__SigningKeyPem / Auth__SigningKeyFile) must hold the session signing key (RSA or P-256, PEM).")
            .Validate(o => string.IsNullOrWhiteSpace(o.SigningKeyFile) || File.Exists(o.SigningKeyFile),
                "Auth:SigningKeyFile names a file that does not exist.")
            .Validate(o => o.SignInFailureLimit > 0 && o.SignInFailureWindow > TimeSpan.Zero,
                "Auth:SignInFailureLimit and Auth:SignInFailureWindow must be positive.")
            .ValidateOnStart();
        // A failed sign-in counts only within the window; after it the row is dead weight.
        builder.Services.AddCleanup<AuthDbContext>("sign_in_failures", (scope, now, cancellationToken) =>
        {
            var cutoff = now - scope.GetRequiredService<IOptions<AuthOptions>>().Value.SignInFailureWindow;
            return scope.GetRequiredService<AuthDbContext>().SignInFailures.Where(f => f.FailedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        });
        builder.Services.AddSingleton<SessionIssuer>();
        builder.Services.AddHostedService<RevocationBucketDeclaration>();
        return builder;
    }

    public string ReadSigningKeyPem() =>
        !string.IsNullOrWhiteSpace(SigningKeyPem) ? SigningKeyPem : File.ReadAllText(SigningKeyFile!);
}
