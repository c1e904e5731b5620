using Microsoft.Extensions.DependencyInjection;
using System.Net;

namespace SwapSeats.Auth.Tests;

public sealed class SignInTests(AuthApp app) : IClassFixture<AuthApp>
{
    [Fact]
    public async Task Signing_in_with_the_right_password_starts_a_session()
    {
        var email = AuthApp.NewEmail();
        var id = (await AuthApp.Json(await AuthApp.SignUp(app.Client(), email))).GetProperty("id").GetString();
        var client = app.Client();

        var response = await AuthApp.SignIn(client, $" {email.ToUpperInvariant()} ");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await AuthApp.Json(response);
        Assert.Equal(id, body.GetProperty("id").GetString());
        Assert.Equal(email, body.GetProperty("email").GetString());
        Assert.StartsWith("session=", Assert.Single(response.Headers.GetValues("Set-Cookie")));
        var current = await AuthApp.Json(await client.GetAsync("/api/users/currentuser"));
        Assert.Equal(email, current.GetProperty("currentUser").GetProperty("email").GetString());
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_email_get_the_same_answer()
    {
        var email = AuthApp.NewEmail();
        await AuthApp.SignUp(app.Client(), email);

        var wrongPassword = await AuthApp.SignIn(app.Client(), email, "wrong-password");
        var unknownEmail = await AuthApp.SignIn(app.Client(), AuthApp.NewEmail());

        foreach (var response in new[] { wrongPassword, unknownEmail })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"));
            var problem = await AuthApp.Json(response);
            Assert.Equal("Invalid credentials", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_burst_of_concurrent_wrong_passwords_gets_no_more_than_ten_tries()
    {
        var email = AuthApp.NewEmail();
        await AuthApp.SignUp(app.Client(), email);

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => AuthApp.SignIn(app.Client(), email, "wrong-password")));

        Assert.Equal(10, answers.Count(a => a.StatusCode == HttpStatusCode.BadRequest));
        Assert.Equal(40, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await AuthApp.SignIn(app.Client(), email)).StatusCode);
    }

    [Fact]
    public async Task The_eleventh_attempt_after_ten_failures_is_throttled_even_with_the_right_password()
    {
        var email = AuthApp.NewEmail();
        await AuthApp.SignUp(app.Client(), email);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await AuthApp.SignIn(app.Client(), email, "wrong-password")).StatusCode);
        }

        var response = await AuthApp.SignIn(app.Client(), email);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")));
        Assert.InRange(retryAfter, 1, 15 * 60);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Throttling_counts_per_email()
    {
        var victim = AuthApp.NewEmail();
        var bystander = AuthApp.NewEmail();
        await AuthApp.SignUp(app.Client(), victim);
        await AuthApp.SignUp(app.Client(), bystander);
        for (var i = 0; i < 10; i++)
        {
            await AuthApp.SignIn(app.Client(), victim, "wrong-password");
        }

        Assert.Equal(HttpStatusCode.OK, (await AuthApp.SignIn(app.Client(), bystander)).StatusCode);
    }

    [Fact]
    public async Task A_successful_sign_in_resets_the_failure_count()
    {
        var email = AuthApp.NewEmail();
        await AuthApp.SignUp(app.Client(), email);
        for (var i = 0; i < 9; i++)
        {
            await AuthApp.SignIn(app.Client(), email, "wrong-password");
        }

        Assert.Equal(HttpStatusCode.OK, (await AuthApp.SignIn(app.Client(), email)).StatusCode);
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await AuthApp.SignIn(app.Client(), email, "wrong-password")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await AuthApp.SignIn(app.Client(), email)).StatusCode);
    }

    [Fact]
    public async Task Signing_in_without_fields_is_a_validation_problem()
    {
        var response = await AuthApp.SignIn(app.Client(), "", "");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await AuthApp.Json(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("email", out _));
        Assert.True(errors.TryGetProperty("password", out _));
    }

    [Fact]
    public async Task Signing_out_expires_the_cookie()
    {
        var client = app.Client();
        await AuthApp.SignUp(client, AuthApp.NewEmail());

        var response = await client.PostAsync("/api/users/signout", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("session=;", cookie);
        Assert.Contains("expires=Thu, 01 Jan 1970", cookie, StringComparison.OrdinalIgnoreCase);
        var current = await AuthApp.Json(await client.GetAsync("/api/users/currentuser"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, current.GetProperty("currentUser").ValueKind);
    }

    [Fact]
    public async Task Signing_out_without_a_session_is_still_ok()
    {
        Assert.Equal(HttpStatusCode.OK, (await app.Client().PostAsync("/api/users/signout", null)).StatusCode);
    }

    [Fact]
    public async Task Failures_that_no_longer_count_are_deleted_by_the_cleanup()
    {
        var email = AuthApp.NewEmail();
        await app.WithDbAsync(async db =>
        {
            db.SignInFailures.Add(new SwapSeats.Auth.Domain.SignInFailure(email, DateTimeOffset.UtcNow.AddMinutes(-16)));
            db.SignInFailures.Add(new SwapSeats.Auth.Domain.SignInFailure(email, DateTimeOffset.UtcNow.AddMinutes(-1)));
            return await db.SaveChangesAsync();
        });

        var cleanup = app.Factory.Services.GetRequiredService<SwapSeats.ServiceDefaults.CleanupWorker<SwapSeats.Auth.Data.AuthDbContext>>();
        var removed = await cleanup.RunAllAsync(default);

        Assert.True(removed["sign_in_failures"] >= 1);
        var left = await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.SignInFailures.Where(f => f.Email == email).Select(f => f.FailedAt)));
        Assert.Single(left); // the one still inside the 15-minute window
    }
}
