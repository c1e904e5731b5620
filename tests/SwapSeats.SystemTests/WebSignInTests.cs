using System.Net;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>SPEC §7 "Web UI": the sign-in pages live under /auth, say why the visitor is there, and bring them back.</summary>
[Collection(SystemCollection.Name)]
public sealed class WebSignInTests(SwapSeatsSystem system)
{
    [Fact]
    public async Task A_members_page_sends_a_visitor_to_auth_signin_which_says_why_and_carries_the_way_back_on()
    {
        var visitor = system.Browser();

        var orders = await visitor.GetAsync("/orders");
        Assert.Equal(HttpStatusCode.Redirect, orders.StatusCode);
        Assert.Equal("/auth/signin?returnUrl=%2Forders", orders.Headers.Location?.OriginalString);

        var page = await (await visitor.GetAsync("/auth/signin?returnUrl=%2Forders")).Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"signin-reason\"", page);
        Assert.Contains("href=\"/auth/signup?returnUrl=%2Forders\"", page);
        var signUp = await (await visitor.GetAsync("/auth/signup?returnUrl=%2Forders")).Content.ReadAsStringAsync();
        Assert.Contains("href=\"/auth/signin?returnUrl=%2Forders\"", signUp);
        // Without a reason to be there, no reason is given.
        Assert.DoesNotContain("signin-reason", await (await visitor.GetAsync("/auth/signin")).Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/signin?returnUrl=%2Forders", "/auth/signin?returnUrl=%2Forders")]
    [InlineData("/signup", "/auth/signup")]
    public async Task The_old_paths_redirect_permanently_keeping_the_query(string old, string now)
    {
        var response = await system.Browser().GetAsync(old);

        Assert.Equal(HttpStatusCode.PermanentRedirect, response.StatusCode);
        Assert.Equal(now, response.Headers.Location?.OriginalString);
    }
}
