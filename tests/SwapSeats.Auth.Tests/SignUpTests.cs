using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;

namespace SwapSeats.Auth.Tests;

public sealed class SignUpTests(AuthApp app) : IClassFixture<AuthApp>
{
    [Fact]
    public async Task Signing_up_creates_the_user_and_starts_a_session()
    {
        var client = app.Client();
        var email = AuthApp.NewEmail();

        var response = await AuthApp.SignUp(client, email);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await AuthApp.Json(response);
        var id = Guid.Parse(body.GetProperty("id").GetString()!);
        Assert.Equal(7, id.Version);
        Assert.Equal(email, body.GetProperty("email").GetString());
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("session=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);

        var current = await AuthApp.Json(await client.GetAsync("/api/users/currentuser"));
        Assert.Equal(id.ToString(), current.GetProperty("currentUser").GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_email_is_trimmed_and_lower_cased()
    {
        var local = $"Mixed.Case-{Guid.NewGuid():N}";
        var response = await AuthApp.SignUp(app.Client(), $"  {local}@Example.COM ");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"{local.ToLowerInvariant()}@example.com", (await AuthApp.Json(response)).GetProperty("email").GetString());
    }

    [Fact]
    public async Task The_password_is_stored_only_as_a_salted_hash()
    {
        var email = AuthApp.NewEmail();
        await AuthApp.SignUp(app.Client(), email, "same-password-1");
        var other = AuthApp.NewEmail();
        await AuthApp.SignUp(app.Client(), other, "same-password-1");

        var hashes = app.WithDb(db => db.Users.Where(u => u.Email == email || u.Email == other).Select(u => u.PasswordHash).ToList());

        Assert.Equal(2, hashes.Count);
        Assert.All(hashes, hash => Assert.DoesNotContain("same-password-1", hash));
        Assert.NotEqual(hashes[0], hashes[1]);
        // Slow, not merely salted: ASP.NET Core Identity's v3 format, PBKDF2-HMAC-SHA512 with at least 100,000 rounds and
        // a 128-bit salt (a fast salted hash would pass the checks above).
        foreach (var hash in hashes)
        {
            var bytes = Convert.FromBase64String(hash);
            static uint At(byte[] b, int i) => (uint)(b[i] << 24 | b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3]);
            Assert.Equal(0x01, bytes[0]);                        // format v3
            Assert.Equal(2u, At(bytes, 1));                      // KeyDerivationPrf.HMACSHA512
            Assert.InRange(At(bytes, 5), 100_000u, uint.MaxValue); // iterations
            Assert.InRange(At(bytes, 9), 16u, 64u);              // salt bytes
        }
    }

    [Fact]
    public async Task A_taken_email_is_refused_whatever_its_case()
    {
        var email = AuthApp.NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await AuthApp.SignUp(app.Client(), email)).StatusCode);

        var response = await AuthApp.SignUp(app.Client(), email.ToUpperInvariant());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Email in use", (await AuthApp.Json(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Of_many_concurrent_signups_with_one_email_exactly_one_succeeds()
    {
        var email = AuthApp.NewEmail();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => AuthApp.SignUp(app.Client(), email)));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created),
            r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        Assert.Equal(1, app.WithDb(db => db.Users.Count(u => u.Email == email)));
    }

    [Theory]
    [InlineData("not-an-email", "password123", "email")]
    [InlineData("", "password123", "email")]
    [InlineData("a@b", "password123", "email")]
    [InlineData("two@@example.com", "password123", "email")]
    [InlineData("ok@example.com", "short", "password")]
    [InlineData("ok@example.com", "", "password")]
    public async Task Invalid_fields_are_a_validation_problem(string email, string password, string field)
    {
        var response = await AuthApp.SignUp(app.Client(), email, password);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await AuthApp.Json(response);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages));
        Assert.True(messages.GetArrayLength() > 0);
    }

    [Fact]
    public async Task Length_limits_hold_at_their_edges()
    {
        var longLocal = new string('a', 254 - "@example.com".Length);
        Assert.Equal(HttpStatusCode.Created, (await AuthApp.SignUp(app.Client(), $"{longLocal}@example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await AuthApp.SignUp(app.Client(), $"a{longLocal}@example.com")).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await AuthApp.SignUp(app.Client(), AuthApp.NewEmail(), new string('p', 8))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await AuthApp.SignUp(app.Client(), AuthApp.NewEmail(), new string('p', 128))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await AuthApp.SignUp(app.Client(), AuthApp.NewEmail(), new string('p', 7))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await AuthApp.SignUp(app.Client(), AuthApp.NewEmail(), new string('p', 129))).StatusCode);
    }

    [Fact]
    public async Task Missing_fields_are_reported_together()
    {
        var response = await app.Client().PostAsJsonAsync("/api/users/signup", new { });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await AuthApp.Json(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("email", out _));
        Assert.True(errors.TryGetProperty("password", out _));
        Assert.Equal(0, app.WithDb(db => db.Users.Count(u => u.Email == "")));
    }

    [Fact]
    public async Task Users_are_unique_by_a_database_index()
    {
        var indexes = await app.WithDbAsync(db => db.Database
            .SqlQueryRaw<string>("SELECT indexdef AS \"Value\" FROM pg_indexes WHERE tablename = 'users'").ToListAsync());

        Assert.Contains(indexes, index => index.Contains("UNIQUE", StringComparison.Ordinal) && index.Contains("(email)", StringComparison.Ordinal));
    }
}
