using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>
/// Every route through the gateway, fed what a careless or hostile client sends: never a 5xx, always a problem, never a
/// stack trace, and what is stored comes back verbatim.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class HostileInputTests(SwapSeatsSystem system)
{
    private static readonly (HttpMethod Method, string Path)[] Routes =
    [
        (HttpMethod.Post, "/api/users/signup"), (HttpMethod.Post, "/api/users/signin"), (HttpMethod.Post, "/api/users/signout"),
        (HttpMethod.Get, "/api/users/currentuser"),
        (HttpMethod.Post, "/api/tickets"), (HttpMethod.Get, "/api/tickets"), (HttpMethod.Get, "/api/tickets/mine"),
        (HttpMethod.Get, "/api/tickets/{id}"), (HttpMethod.Put, "/api/tickets/{id}"),
        (HttpMethod.Post, "/api/orders"), (HttpMethod.Get, "/api/orders"), (HttpMethod.Get, "/api/orders/{id}"), (HttpMethod.Delete, "/api/orders/{id}"),
        (HttpMethod.Post, "/api/payments"), (HttpMethod.Get, "/api/payments"), (HttpMethod.Get, "/api/payments/{id}"),
    ];

    /// <summary>The routes that need a session (SPEC: everything but sign-up, sign-in, sign-out, the current user and browsing).</summary>
    private static readonly (HttpMethod Method, string Path)[] Protected = Routes
        .Where(r => !r.Path.StartsWith("/api/users/", StringComparison.Ordinal)
                    && !(r.Method == HttpMethod.Get && r.Path is "/api/tickets" or "/api/tickets/{id}"))
        .ToArray();

    private static readonly string[] OddIds =
    [
        "not-a-uuid", "0", "-1", "00000000-0000-0000-0000-000000000000", "%27%20OR%201%3D1--", "..%2F..%2Fetc%2Fpasswd",
        "%F0%9F%8E%9F", new string('9', 3000), "{id}", "%E2%80%AE", "%20",
    ];

    private static readonly (string Body, string ContentType)[] Bodies =
    [
        ("", "application/json"),
        ("{", "application/json"),
        ("null", "application/json"),
        ("[]", "application/json"),
        ("\"just a string\"", "application/json"),
        ("{\"title\": {\"$gt\": \"\"}, \"price\": \"NaN\", \"email\": [], \"password\": {}, \"ticketId\": 7, \"orderId\": true, \"token\": 1e999}", "application/json"),
        ("{\"price\": 1e400, \"ticketId\": \"00000000-0000-0000-0000-000000000000\"}", "application/json"),
        (new string('[', 5000) + new string(']', 5000), "application/json"),
        ("{\"title\": \"\\ud800\", \"email\": \"\\u0000@x.co\", \"password\": \"\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\"}", "application/json"),
        ("<xml>no</xml>", "application/xml"),
        ("title=x&price=1", "application/x-www-form-urlencoded"),
        ("{\"title\": \"x\", \"price\": 1}", "text/plain"),
    ];

    private static async Task AssertWellBehavedAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{what} → {(int)response.StatusCode}: {body}");
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain("Exception", body);
        Assert.DoesNotContain("Npgsql", body);
        if ((int)response.StatusCode >= 400)
        {
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
                $"{what} → {(int)response.StatusCode} as {response.Content.Headers.ContentType}: {body}");
        }
    }

    [Fact]
    public async Task Hostile_bodies_on_every_route_are_refused_as_problems()
    {
        var client = await system.SignedUpAsync();
        foreach (var (method, path) in Routes)
        {
            foreach (var (body, contentType) in Bodies)
            {
                using var request = new HttpRequestMessage(method, path.Replace("{id}", Guid.CreateVersion7().ToString()))
                {
                    Content = new StringContent(body, Encoding.UTF8, contentType),
                };
                await AssertWellBehavedAsync(await client.SendAsync(request), $"{method} {path} with {contentType} {body[..Math.Min(40, body.Length)]}");
            }
        }
    }

    [Fact]
    public async Task Odd_ids_are_not_found_on_every_id_route()
    {
        var client = await system.SignedUpAsync();
        foreach (var (method, path) in Routes.Where(r => r.Path.Contains("{id}")))
        {
            foreach (var id in OddIds)
            {
                using var request = new HttpRequestMessage(method, path.Replace("{id}", id));
                if (method == HttpMethod.Put)
                {
                    request.Content = JsonContent.Create(new { title = "x", price = 1m, faceValue = 1m });
                }

                var response = await client.SendAsync(request);
                await AssertWellBehavedAsync(response, $"{method} {path} with id {id[..Math.Min(40, id.Length)]}");
                Assert.True(response.StatusCode is HttpStatusCode.NotFound,
                    $"{method} {path} with id {id[..Math.Min(40, id.Length)]} → {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task An_anonymous_caller_is_401_on_every_protected_route_whatever_the_body()
    {
        // SPEC check order: the session first; nothing about the body (its type, size or shape) is looked at before it.
        var anonymous = system.Browser();
        foreach (var (method, path) in Protected)
        {
            foreach (var (body, contentType) in Bodies)
            {
                using var request = new HttpRequestMessage(method, path.Replace("{id}", Guid.CreateVersion7().ToString()))
                {
                    Content = new StringContent(body, Encoding.UTF8, contentType),
                };
                var response = await anonymous.SendAsync(request);
                await AssertWellBehavedAsync(response, $"anonymous {method} {path} with {contentType}");
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized,
                    $"anonymous {method} {path} with {contentType} {body[..Math.Min(20, body.Length)]} → {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Oversized_bodies_are_413_everywhere()
    {
        var client = await system.SignedUpAsync();
        var huge = "{\"title\": \"" + new string('x', 70 * 1024) + "\"}";
        foreach (var (method, path) in Routes.Where(r => r.Method != HttpMethod.Get && r.Method != HttpMethod.Delete))
        {
            using var request = new HttpRequestMessage(method, path.Replace("{id}", Guid.CreateVersion7().ToString()))
            {
                Content = new StringContent(huge, Encoding.UTF8, "application/json"),
            };
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request);
            }
            catch (HttpRequestException ex)
            {
                throw new Xunit.Sdk.XunitException($"{method} {path} with 70 KiB: {ex.Message}");
            }

            await AssertWellBehavedAsync(response, $"{method} {path} with 70 KiB");
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("/api/tickets?q=%00")]
    [InlineData("/api/tickets?minPrice=%00")]
    [InlineData("/api/tickets?q=%F0%9F&limit=abc")]
    public async Task Hostile_query_strings_are_problems(string url)
    {
        var response = await system.Browser().GetAsync(url);

        await AssertWellBehavedAsync(response, url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("Robert'); DROP TABLE tickets;--")]
    [InlineData("<script>alert(1)</script> & \"quotes\"")]
    [InlineData("🎟️ Ünïcødé — 東京ドーム ‏עברית")]
    [InlineData("%s%s%n {0} ${jndi:ldap://x}")]
    public async Task Strange_text_is_stored_and_returned_verbatim(string title)
    {
        var seller = await system.SignedUpAsync();

        var created = await SwapSeatsSystem.ListAsync(seller, title, 12.34m);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await SwapSeatsSystem.Json(created)).GetProperty("id").GetString();
        var shown = await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/tickets/{id}"));
        Assert.Equal(title, shown.GetProperty("title").GetString());
        var found = await SwapSeatsSystem.Json(await system.Browser().GetAsync($"/api/tickets?q={Uri.EscapeDataString(title)}"));
        Assert.Contains(found.EnumerateArray(), t => t.GetProperty("id").GetString() == id);
    }

    public static TheoryData<string> BadTokens()
    {
        var user = Guid.CreateVersion7();
        var valid = SessionKeys.MintToken(user, "x@example.com", DateTimeOffset.UtcNow.AddHours(1));
        using var stranger = RSA.Create(2048);
        var parts = valid.Split('.');
        var otherPayload = Convert.ToBase64String(Encoding.UTF8.GetBytes(
                $$"""{"sub":"{{Guid.CreateVersion7()}}","email":"evil@example.com","iss":"swapseats-auth","aud":"swapseats","exp":{{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}"""))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var noneHeader = Convert.ToBase64String("""{"alg":"none","typ":"JWT"}"""u8.ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return
        [
            SessionKeys.MintToken(user, "x@example.com", DateTimeOffset.UtcNow.AddHours(1), signingKey: stranger), // forged
            $"{parts[0]}.{otherPayload}.{parts[2]}", // tampered payload
            SessionKeys.MintToken(user, "x@example.com", DateTimeOffset.UtcNow.AddMinutes(-5)), // expired
            $"{noneHeader}.{otherPayload}.", // alg: none
            SessionKeys.MintToken(user, "x@example.com", DateTimeOffset.UtcNow.AddHours(1), issuer: "someone-else"), // wrong issuer
            "garbage",
        ];
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Bad_session_tokens_are_refused_by_every_service(string token)
    {
        var client = system.Browser();
        client.DefaultRequestHeaders.Add("Cookie", $"session={token}");

        foreach (var path in new[] { "/api/tickets/mine", "/api/orders", "/api/payments" })
        {
            var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            await AssertWellBehavedAsync(response, path);
        }

        var me = await SwapSeatsSystem.Json(await client.GetAsync("/api/users/currentuser"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, me.GetProperty("currentUser").ValueKind);
    }

    [Fact]
    public async Task The_session_cookie_is_httponly_lax_and_scoped_to_the_site()
    {
        var response = await system.Browser().PostAsJsonAsync("/api/users/signup",
            new { email = $"cookie-{Guid.NewGuid():N}@example.com", password = "password123" });

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void No_private_key_or_live_secret_is_committed()
    {
        var root = ServiceProcess.RepositoryRoot();
        var tracked = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", "ls-files")
        {
            WorkingDirectory = root, RedirectStandardOutput = true,
        })!;
        var files = tracked.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        tracked.WaitForExit();
        Assert.NotEmpty(files);
        foreach (var file in files.Where(f => !f.EndsWith(".png", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(Path.Combine(root, file));
            Assert.DoesNotContain("PRIVATE" + " KEY-----", text);
            Assert.DoesNotMatch(@"sk_live_[0-9A-Za-z]{10,}", text);
        }
    }
}
