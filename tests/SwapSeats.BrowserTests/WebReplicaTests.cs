using System.Net;
using System.Text.RegularExpressions;

namespace SwapSeats.BrowserTests;

/// <summary>
/// SPEC §6: the web UI's Data Protection key ring is shared through its database, so an antiforgery token issued by
/// one replica is accepted by another. Asked of each replica directly, not through the gateway's alternation.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class WebReplicaTests(BrowserSystem system)
{
    [Fact]
    public async Task A_form_rendered_by_one_web_replica_is_accepted_by_the_other()
    {
        var (first, second) = (system.ReplicasOf("web")[0], system.ReplicasOf("web")[1]);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() });

        var form = await browser.GetStringAsync(new Uri(first.BaseAddress, "/auth/signup"));
        var token = TokenField().Match(form).Groups[1].Value;
        Assert.NotEmpty(token);
        // The antiforgery cookie was set for 127.0.0.1 by the first replica and goes to the second (same host, other port).
        var posted = await browser.PostAsync(new Uri(second.BaseAddress, "/auth/signup"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = $"replica-{Guid.NewGuid():N}@example.com",
            ["Password"] = "password123",
            ["__RequestVerificationToken"] = token,
        }));

        // Signed up and sent on (303/302), not refused with 400 for a token the second replica cannot read.
        Assert.True(posted.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther,
            $"the second replica answered {(int)posted.StatusCode} to a form the first rendered");
        Assert.Contains(posted.Headers.GetValues("Set-Cookie"), c => c.StartsWith("session=", StringComparison.Ordinal));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
