using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using SwapSeats.Testing;

namespace SwapSeats.Auth.Tests;

public sealed class SessionTests(AuthApp app) : IClassFixture<AuthApp>
{
    [Fact]
    public async Task Current_user_is_null_without_a_session_and_never_401()
    {
        var response = await app.Client().GetAsync("/api/users/currentuser");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await AuthApp.Json(response)).GetProperty("currentUser").ValueKind);
    }

    [Fact]
    public async Task The_session_token_is_RS256_with_subject_email_and_a_seven_day_lifetime()
    {
        var email = AuthApp.NewEmail();
        var response = await AuthApp.SignUp(app.Client(), email);
        var id = (await AuthApp.Json(response)).GetProperty("id").GetString();

        var token = new JsonWebToken(SessionCookieValue(response));

        Assert.Equal("RS256", token.Alg);
        Assert.Equal(id, token.Subject);
        Assert.Equal(email, token.GetClaim("email").Value);
        Assert.Equal(TimeSpan.FromDays(7), token.ValidTo - token.IssuedAt);
        // SPEC: a Location names a route that answers GET for the caller.
        Assert.Equal("/api/users/currentuser", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task The_cookie_is_secure_over_https_and_behind_a_tls_terminating_proxy()
    {
        var direct = await AuthApp.SignUp(app.Client(https: true), AuthApp.NewEmail());
        Assert.Contains("secure", Assert.Single(direct.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);

        var proxied = app.Client();
        proxied.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        var behindProxy = await AuthApp.SignUp(proxied, AuthApp.NewEmail());
        Assert.Contains("secure", Assert.Single(behindProxy.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string> RejectedTokens()
    {
        var user = Guid.CreateVersion7();
        var valid = SessionKeys.MintToken(user, "someone@example.com", DateTimeOffset.UtcNow.AddHours(1));
        var parts = valid.Split('.');
        var forgedPayload = Base64Url(Encoding.UTF8.GetBytes(
            $$"""{"sub":"{{Guid.CreateVersion7()}}","email":"admin@example.com","iss":"swapseats-auth","aud":"swapseats","exp":{{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}"""));
        var noneHeader = Base64Url("""{"alg":"none","typ":"JWT"}"""u8.ToArray());
        return new TheoryData<string>
        {
            // expired an hour ago (beyond clock skew)
            SessionKeys.MintToken(user, "someone@example.com", DateTimeOffset.UtcNow.AddHours(-1)),
            // payload swapped under the original signature
            $"{parts[0]}.{forgedPayload}.{parts[2]}",
            // "alg": "none" with no signature
            $"{noneHeader}.{forgedPayload}.",
            // signed by a key that is not auth's
            SessionKeys.MintToken(user, "someone@example.com", DateTimeOffset.UtcNow.AddHours(1), RSA.Create(2048)),
            // HS256 keyed with auth's public key: the RSA/HMAC confusion
            new JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
            {
                Issuer = SessionKeys.Issuer,
                Audience = SessionKeys.Audience,
                Subject = new System.Security.Claims.ClaimsIdentity([new("sub", user.ToString()), new("email", "someone@example.com"), new("sid", "s")]),
                Expires = DateTime.UtcNow.AddHours(1),
                SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                    new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Encoding.UTF8.GetBytes(SessionKeys.PublicPem)),
                    Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
            }),
            // auth's own key, but an algorithm the configured keys do not sign with (only RS256 is accepted for RSA)
            SessionKeys.MintToken(user, "someone@example.com", DateTimeOffset.UtcNow.AddHours(1), algorithm: Microsoft.IdentityModel.Tokens.SecurityAlgorithms.RsaSha384),
            SessionKeys.MintToken(user, "someone@example.com", DateTimeOffset.UtcNow.AddHours(1), algorithm: Microsoft.IdentityModel.Tokens.SecurityAlgorithms.RsaSsaPssSha256),
            // right key, wrong issuer
            SessionKeys.MintToken(user, "someone@example.com", DateTimeOffset.UtcNow.AddHours(1), issuer: "someone-else"),
            // signed and current, but naming no session that sign-out could end
            SessionKeys.MintToken(user, "someone@example.com", DateTimeOffset.UtcNow.AddHours(1), sessionId: null),
            "not-a-jwt",
        };
    }

    [Theory]
    [MemberData(nameof(RejectedTokens))]
    public async Task A_bad_token_is_treated_as_no_session(string token)
    {
        var client = app.Client();
        client.DefaultRequestHeaders.Add("Cookie", $"session={token}");

        var response = await client.GetAsync("/api/users/currentuser");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await AuthApp.Json(response)).GetProperty("currentUser").ValueKind);
    }

    [Fact]
    public async Task A_token_minted_with_the_auth_key_is_accepted()
    {
        // The counterpart of the rejections above: the same path with a good token does find the user.
        var user = Guid.CreateVersion7();
        var client = app.Client();
        client.DefaultRequestHeaders.Add("Cookie", $"session={SessionKeys.MintToken(user, "good@example.com", DateTimeOffset.UtcNow.AddHours(1))}");

        var current = await AuthApp.Json(await client.GetAsync("/api/users/currentuser"));

        Assert.Equal(user.ToString(), current.GetProperty("currentUser").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Each_sign_in_is_a_session_of_its_own_and_sign_out_ends_only_that_one()
    {
        var email = AuthApp.NewEmail();
        var first = SessionCookieValue(await AuthApp.SignUp(app.Client(), email));
        var second = SessionCookieValue(await AuthApp.SignIn(app.Client(), email));
        Assert.NotEqual(new JsonWebToken(first).GetClaim("sid").Value, new JsonWebToken(second).GetClaim("sid").Value);

        var signOut = await WithCookie(first).PostAsync("/api/users/signout", null);

        Assert.Equal(HttpStatusCode.OK, signOut.StatusCode);
        Assert.Contains("expires=Thu, 01 Jan 1970", Assert.Single(signOut.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
        // The copy of the first cookie is dead within a second; the second session lives on.
        await Eventually.Until(() => CurrentUserAsync(first), user => user.ValueKind == JsonValueKind.Null, TimeSpan.FromSeconds(1), "the revoked copy to be refused");
        Assert.Equal(JsonValueKind.Object, (await CurrentUserAsync(second)).ValueKind);
        // Signing out again with the revoked copy (or with none) is still 200.
        Assert.Equal(HttpStatusCode.OK, (await WithCookie(first).PostAsync("/api/users/signout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client().PostAsync("/api/users/signout", null)).StatusCode);
    }

    [Fact]
    public async Task Until_the_revoked_sessions_are_loaded_a_session_gets_503_and_the_service_is_not_ready()
    {
        // NATS is not where this instance looks: it can never load the revocations.
        var nowhere = $"nats://127.0.0.1:{ExternalProcess.FreePort()}";
        await using var blind = new ServiceFactory<Program>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:auth"] = app.ConnectionString,
            ["ConnectionStrings:nats"] = nowhere,
        });
        var client = blind.CreateBrowserClient();
        client.DefaultRequestHeaders.Add("Cookie", $"session={SessionKeys.MintToken(Guid.CreateVersion7(), "blind@example.com", DateTimeOffset.UtcNow.AddHours(1))}");

        var withSession = await client.GetAsync("/api/users/currentuser");
        var anonymous = await blind.CreateBrowserClient().GetAsync("/api/users/currentuser");
        var ready = await blind.CreateBrowserClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, withSession.StatusCode);
        Assert.Equal("application/problem+json", withSession.Content.Headers.ContentType?.MediaType);
        Assert.True(withSession.Headers.Contains("Retry-After"));
        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    private HttpClient WithCookie(string token)
    {
        var client = app.Client();
        client.DefaultRequestHeaders.Add("Cookie", $"session={token}");
        return client;
    }

    private async Task<JsonElement> CurrentUserAsync(string token) =>
        (await AuthApp.Json(await WithCookie(token).GetAsync("/api/users/currentuser"))).GetProperty("currentUser");

    private static string SessionCookieValue(HttpResponseMessage response)
    {
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        return cookie["session=".Length..cookie.IndexOf(';')];
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
