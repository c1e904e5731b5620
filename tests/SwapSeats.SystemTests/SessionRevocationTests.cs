using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>
/// SPEC §7: sign-out ends the session for every service. A copy of the cookie taken before sign-out is a stolen
/// cookie; it must stop working everywhere within a second, and stay dead when the services restart.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class SessionRevocationTests(FaultSystem system)
{
    private static readonly string[] Checked = ["auth", "tickets", "orders", "payments", "web"];

    /// <summary>What each service says to the cookie: signed in (true) or not (false), asked directly, past the gateway.</summary>
    private async Task<Dictionary<string, bool>> RecognisedAsync(string cookie) =>
        (await Task.WhenAll(Checked.Select(async name => (name, signedIn: await RecognisedByAsync(name, cookie)))))
            .ToDictionary(a => a.name, a => a.signedIn);

    private async Task<bool> RecognisedByAsync(string name, string cookie)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = system.Services[name].BaseAddress,
        };
        client.DefaultRequestHeaders.Add("Cookie", $"session={cookie}");
        var response = await client.GetAsync(name switch
        {
            "auth" => "/api/users/currentuser",
            "tickets" => "/api/tickets/mine",
            "orders" => "/api/orders",
            "payments" => "/api/payments",
            _ => "/orders", // a page for signed-in users only: anonymous visitors are sent to sign in
        });
        return name switch
        {
            "auth" => (await SwapSeatsSystem.Json(response)).GetProperty("currentUser").ValueKind != JsonValueKind.Null,
            "web" => response.StatusCode == HttpStatusCode.OK,
            _ => response.StatusCode switch
            {
                HttpStatusCode.OK => true,
                HttpStatusCode.Unauthorized => false,
                var other => throw new Xunit.Sdk.XunitException($"{name} answered {(int)other}"),
            },
        };
    }

    /// <summary>
    /// How long after <paramref name="since"/> each service first answered the cookie as signed out. Every service is
    /// asked on its own, so one slow answer (a page render on a loaded machine) does not delay the others' figures.
    /// </summary>
    private async Task<Dictionary<string, TimeSpan>> FirstRefusalAsync(string cookie, System.Diagnostics.Stopwatch since) =>
        (await Task.WhenAll(Checked.Select(async name =>
        {
            await Eventually.Until(() => RecognisedByAsync(name, cookie), signedIn => !signedIn,
                TimeSpan.FromSeconds(10), $"{name} to refuse the revoked session");
            return (name, at: since.Elapsed);
        }))).ToDictionary(a => a.name, a => a.at);

    [Fact]
    public async Task A_copy_of_the_cookie_is_refused_everywhere_within_a_second_of_sign_out_also_after_a_restart()
    {
        var email = $"fan-{Guid.NewGuid():N}@example.com";
        using var browser = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = system.Gateway.BaseAddress };
        var signUp = await browser.PostAsJsonAsync("/api/users/signup", new { email, password = "password123" });
        Assert.Equal(HttpStatusCode.Created, signUp.StatusCode);
        var setCookie = Assert.Single(signUp.Headers.GetValues("Set-Cookie"));
        var cookie = setCookie["session=".Length..setCookie.IndexOf(';')];
        browser.DefaultRequestHeaders.Add("Cookie", $"session={cookie}");
        Assert.All(await RecognisedAsync(cookie), answer => Assert.True(answer.Value, $"{answer.Key} before sign-out"));

        var signOut = await browser.PostAsync("/api/users/signout", null);
        Assert.Equal(HttpStatusCode.OK, signOut.StatusCode);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var refusedAfter = await FirstRefusalAsync(cookie, stopwatch);
        Assert.All(refusedAfter, refusal => Assert.True(refusal.Value <= TimeSpan.FromSeconds(1),
            $"{refusal.Key} first refused the revoked session {refusal.Value.TotalMilliseconds:F0} ms after sign-out"));

        // A restarted service reads the revocations again before it trusts any session.
        foreach (var name in new[] { "tickets", "orders", "payments" })
        {
            await system.Services[name].StopAsync();
            await system.Services[name].StartAsync();
        }

        Assert.All(await RecognisedAsync(cookie), answer => Assert.False(answer.Value, $"{answer.Key} after restart"));

        // Another session of the same user is not affected.
        var again = system.Browser();
        var signIn = await again.PostAsJsonAsync("/api/users/signin", new { email, password = "password123" });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/api/orders")).StatusCode);
    }
}
