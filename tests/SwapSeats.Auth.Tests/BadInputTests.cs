using SwapSeats.Testing;
using System.Net;
using System.Text;

namespace SwapSeats.Auth.Tests;

public sealed class BadInputTests(AuthApp app) : IClassFixture<AuthApp>
{
    public static TheoryData<string> BodyRoutes => new() { "/api/users/signup", "/api/users/signin" };

    public static TheoryData<string, string, string, int> BadBodies()
    {
        var data = new TheoryData<string, string, string, int>();
        foreach (var route in new[] { "/api/users/signup", "/api/users/signin" })
        {
            data.Add(route, "{\"email\": ", "application/json", 400);
            data.Add(route, "not json at all", "application/json", 400);
            data.Add(route, "{\"email\": 5, \"password\": true}", "application/json", 400);
            data.Add(route, "{\"email\": [\"a@b.co\"], \"password\": {}}", "application/json", 400);
            data.Add(route, "[]", "application/json", 400);
            data.Add(route, "null", "application/json", 400);
            data.Add(route, "", "application/json", 400);
            data.Add(route, "email=a@b.co&password=password123", "application/x-www-form-urlencoded", 415);
            data.Add(route, "{\"email\":\"a@b.co\",\"password\":\"password123\"}", "text/plain", 415);
            data.Add(route, $"{{\"email\":\"a@b.co\",\"password\":\"{new string('x', 100 * 1024)}\"}}", "application/json", 413);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_bodies_get_a_problem_and_never_a_5xx(string route, string body, string contentType, int expectedStatus)
    {
        var response = await app.Client().PostAsync(route, new StringContent(body, Encoding.UTF8, contentType));

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await AuthApp.Json(response);
        Assert.Equal(expectedStatus, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.DoesNotContain("   at ", problem.ToString());
    }

    [Theory]
    [MemberData(nameof(BodyRoutes))]
    public async Task No_body_at_all_is_a_problem(string route)
    {
        var response = await app.Client().PostAsync(route, null);

        // Nothing sent, not even a Content-Type: a 400 that says a body is needed.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("body", (await AuthApp.Json(response)).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Unknown_fields_are_ignored()
    {
        var email = AuthApp.NewEmail();
        var response = await app.Client().PostAsync("/api/users/signup", new StringContent(
            $"{{\"email\":\"{email}\",\"password\":\"password123\",\"isAdmin\":true,\"garbage\":[1,{{}}]}}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("/api/users/nope")]
    [InlineData("/api/users/signup/extra")]
    public async Task Unknown_routes_are_a_404_problem(string path)
    {
        var response = await app.Client().GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Health_endpoints_answer_and_ready_checks_the_database()
    {
        Assert.Equal(HttpStatusCode.OK, (await app.Client().GetAsync("/health/live")).StatusCode);
        var ready = await app.Client().GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // The same service with its database gone (nothing listens on the port): alive, but not ready.
        await using var noDatabase = new ServiceFactory<Program>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:auth"] = $"Host=127.0.0.1;Port={ExternalProcess.FreePort()};Username=postgres;Database=auth;Timeout=2",
            ["ConnectionStrings:nats"] = app.Nats.Url,
            ["environment"] = "Production", // Development would migrate at start, and wait for the database to do it
        });
        var client = noDatabase.CreateBrowserClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var notReady = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_routes()
    {
        var document = await (await app.Client().GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();

        Assert.Contains("/api/users/signup", document);
        Assert.Contains("/api/users/currentuser", document);
    }
}
