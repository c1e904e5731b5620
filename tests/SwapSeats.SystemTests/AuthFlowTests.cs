using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

[Collection(SystemCollection.Name)]
public sealed class AuthFlowTests(SwapSeatsSystem system)
{
    [Fact]
    public async Task A_visitor_signs_up_is_recognised_signs_out_and_signs_back_in_through_the_gateway()
    {
        var browser = system.Browser();
        var email = $"fan-{Guid.NewGuid():N}@example.com";

        var signUp = await browser.PostAsJsonAsync("/api/users/signup", new { email, password = "password123" });
        Assert.Equal(HttpStatusCode.Created, signUp.StatusCode);
        var id = (await SwapSeatsSystem.Json(signUp)).GetProperty("id").GetString();

        var current = await SwapSeatsSystem.Json(await browser.GetAsync("/api/users/currentuser"));
        Assert.Equal(id, current.GetProperty("currentUser").GetProperty("id").GetString());
        Assert.Equal(email, current.GetProperty("currentUser").GetProperty("email").GetString());

        Assert.Equal(HttpStatusCode.OK, (await browser.PostAsync("/api/users/signout", null)).StatusCode);
        var afterSignOut = await SwapSeatsSystem.Json(await browser.GetAsync("/api/users/currentuser"));
        Assert.Equal(JsonValueKind.Null, afterSignOut.GetProperty("currentUser").ValueKind);

        var signIn = await browser.PostAsJsonAsync("/api/users/signin", new { email, password = "password123" });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var again = await SwapSeatsSystem.Json(await browser.GetAsync("/api/users/currentuser"));
        Assert.Equal(id, again.GetProperty("currentUser").GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("{\"email\": ", "application/json", 400)]
    [InlineData("{\"email\": 1, \"password\": 2}", "application/json", 400)]
    [InlineData("", "application/json", 400)]
    [InlineData("email=a", "text/plain", 415)]
    public async Task Bad_input_through_the_gateway_is_a_problem(string body, string contentType, int status)
    {
        var response = await system.Browser().PostAsync("/api/users/signup", new StringContent(body, Encoding.UTF8, contentType));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        var body = JsonSerializer.Serialize(new { email = "big@example.com", password = new string('x', 100 * 1024) });

        var response = await system.Browser().PostAsync("/api/users/signup", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Unknown_api_routes_are_a_404_problem_and_the_api_reference_is_served()
    {
        var unknown = await system.Browser().GetAsync("/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        var document = await system.Browser().GetStringAsync("/api/docs/openapi/auth.json");
        Assert.Contains("/api/users/signin", document);
        var docs = await system.Browser().GetAsync("/api/docs/");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
    }

    [Fact]
    public async Task Every_process_reports_ready()
    {
        Assert.Equal(8, system.Services.Count); // auth, tickets, orders, expiration, payments, notifications, web, gateway
        foreach (var (name, service) in system.Services)
        {
            using var probe = new HttpClient { BaseAddress = service.BaseAddress };
            Assert.True((await probe.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, $"{name} is not ready");
            Assert.True((await probe.GetAsync("/health/live")).StatusCode == HttpStatusCode.OK, $"{name} is not live");
        }
    }
}
