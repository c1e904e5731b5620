using System.Net;
using System.Net.Http.Json;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>
/// SPEC section 7, forwarded headers and sign-in limits at the gateway, tried as an attacker would: headers a client
/// makes up change nothing, unless the gateway was told to trust the proxy that sends them.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class GatewayTrustTests(SwapSeatsSystem system)
{
    private static async Task<HttpResponseMessage> SignUpAsync(HttpClient client, Action<HttpRequestMessage>? forge = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/users/signup")
        {
            Content = JsonContent.Create(new { email = $"edge-{Guid.NewGuid():N}@example.com", password = "password123" }),
        };
        forge?.Invoke(request);
        return await client.SendAsync(request);
    }

    private static HttpClient ClientOf(ServiceProcess gateway) =>
        new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = gateway.BaseAddress };

    [Fact]
    public async Task A_forged_forwarded_proto_does_not_make_the_session_cookie_secure()
    {
        var response = await SignUpAsync(system.Browser(), r => r.Headers.Add("X-Forwarded-Proto", "https"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.DoesNotContain("secure", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Behind_a_configured_proxy_the_forwarded_proto_makes_the_cookie_secure()
    {
        // As behind a TLS-terminating ingress that the gateway was told about (here the test itself, on loopback).
        await using var gateway = system.NewGateway(new() { ["ForwardedHeaders:KnownProxies"] = "127.0.0.1", ["Gateway:AuthRequestsPerMinute"] = "0" });
        await gateway.StartAsync();

        var response = await SignUpAsync(ClientOf(gateway), r => r.Headers.Add("X-Forwarded-Proto", "https"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains("secure", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Sign_ups_past_the_per_address_limit_get_429_with_retry_after_and_a_forged_address_does_not_help()
    {
        await using var gateway = system.NewGateway(new() { ["Gateway:AuthRequestsPerMinute"] = "3" });
        await gateway.StartAsync();
        var client = ClientOf(gateway);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await SignUpAsync(client)).StatusCode);
        }

        // A new made-up client address on every attempt: the limit counts the connection's address, not the header's.
        var refused = await SignUpAsync(client, r => r.Headers.Add("X-Forwarded-For", $"203.0.113.{Random.Shared.Next(1, 250)}"));
        var signIn = await client.PostAsJsonAsync("/api/users/signin", new { email = "nobody@example.com", password = "password123" });

        foreach (var response in new[] { refused, signIn })
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.InRange(int.Parse(Assert.Single(response.Headers.GetValues("Retry-After"))), 1, 60);
        }

        // The web UI's sign-in form is limited the same way (it posts credentials to auth behind the gateway).
        var form = await client.PostAsync("/auth/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["Email"] = "nobody@example.com" }));
        Assert.Equal(HttpStatusCode.TooManyRequests, form.StatusCode);

        // Only sign-up and sign-in are limited.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/users/currentuser")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/tickets")).StatusCode);
    }

    [Fact]
    public async Task Only_the_seller_gets_the_edit_page_of_a_listing()
    {
        var seller = await system.SignedUpAsync();
        var listed = await SwapSeatsSystem.ListAsync(seller, "Edit page check", 12m);
        var id = (await SwapSeatsSystem.Json(listed)).GetProperty("id").GetString();
        var stranger = await system.SignedUpAsync();

        Assert.Equal(HttpStatusCode.OK, (await seller.GetAsync($"/tickets/{id}/edit")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/tickets/{id}/edit")).StatusCode);
    }
}
