using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using SwapSeats.Testing;

namespace SwapSeats.Auth.Tests;

/// <summary>
/// docs/operations.md, "Rotating the session signing key", step by step against auth on one database: every service
/// first accepts the old and the new public key, then auth signs with the new key, and only after the old sessions have
/// run out is the old public key removed. Nobody is signed out on the way; afterwards the old key signs nothing valid.
/// The same steps move a deployment from a P-256 pair (ES256, what scripts/new-session-key.sh made before) to RSA.
/// </summary>
public sealed class KeyRotationTests(AuthApp app) : IClassFixture<AuthApp>
{
    /// <summary>auth as it runs after a rollout with these keys (same database and NATS as the fixture's).</summary>
    private ServiceFactory<Program> Rolled(string signingKeyPem, string publicKeysPem) => new(new Dictionary<string, string?>
    {
        ["ConnectionStrings:auth"] = app.ConnectionString,
        ["ConnectionStrings:nats"] = app.Nats.Url,
        ["Auth:SigningKeyPem"] = signingKeyPem,
        ["Jwt:PublicKeyPem"] = publicKeysPem,
    });

    private static async Task<bool> SignedInAsync(ServiceFactory<Program> auth, string token)
    {
        using var client = auth.CreateClient();
        client.DefaultRequestHeaders.Add("Cookie", $"session={token}");
        var body = JsonDocument.Parse(await client.GetStringAsync("/api/users/currentuser")).RootElement;
        return body.GetProperty("currentUser").ValueKind != JsonValueKind.Null;
    }

    private static async Task<string> SignInAsync(ServiceFactory<Program> auth, string email)
    {
        using var client = auth.CreateClient();
        var response = await AuthApp.SignIn(client, email);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        return cookie["session=".Length..cookie.IndexOf(';')];
    }

    [Theory]
    [InlineData("RS256")] // the test run's RSA pair to a new one
    [InlineData("ES256")] // a P-256 pair to RSA
    public async Task The_signing_key_is_rotated_in_three_steps_and_nobody_is_signed_out(string oldAlgorithm)
    {
        // The new pair, made by the script the runbook names.
        var keys = Directory.CreateTempSubdirectory("swapseats-keys-");
        string newSigning, newPublic;
        try
        {
            await ExternalProcess.RunAsync("bash", [Path.Combine(ServiceProcess.RepositoryRoot(), "scripts", "new-session-key.sh"), keys.FullName]);
            (newSigning, newPublic) = (await File.ReadAllTextAsync(Path.Combine(keys.FullName, "session-signing.pem")),
                await File.ReadAllTextAsync(Path.Combine(keys.FullName, "session-public.pem")));
        }
        finally
        {
            keys.Delete(recursive: true);
        }

        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (oldSigning, oldPublic) = oldAlgorithm == "ES256"
            ? (p256.ExportPkcs8PrivateKeyPem(), p256.ExportSubjectPublicKeyInfoPem())
            : (SessionKeys.PrivatePem, SessionKeys.PublicPem);
        var email = AuthApp.NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await AuthApp.SignUp(app.Client(), email)).StatusCode);
        string oldSession;
        await using (var before = Rolled(oldSigning, oldPublic))
        {
            await before.StartAsync();
            oldSession = await SignInAsync(before, email);
        }

        Assert.Equal(oldAlgorithm, new JsonWebToken(oldSession).Alg);

        // 1. Every service accepts both public keys; auth still signs with the old one.
        await using (var both = Rolled(oldSigning, oldPublic + newPublic))
        {
            await both.StartAsync();
            Assert.True(await SignedInAsync(both, oldSession), "the old session after step 1");
        }

        // 2. auth signs with the new key: new sessions are new-key sessions, the old ones still work.
        string newSession;
        await using (var signing = Rolled(newSigning, oldPublic + newPublic))
        {
            await signing.StartAsync();
            newSession = await SignInAsync(signing, email);
            Assert.Equal("RS256", new JsonWebToken(newSession).Alg);
            Assert.True(await SignedInAsync(signing, newSession), "a new session after step 2");
            Assert.True(await SignedInAsync(signing, oldSession), "the old session after step 2");
        }

        // 3. After Jwt:Lifetime the old public key goes: a token the old key signs is no longer a session.
        await using var done = Rolled(newSigning, newPublic);
        await done.StartAsync();
        Assert.True(await SignedInAsync(done, newSession), "the new session after step 3");
        Assert.False(await SignedInAsync(done, oldSession), "the old key's session after step 3");
    }
}
