using System.Net;
using System.Text.Json;
using Xunit;

namespace SwapSeats.Testing;

public static class HttpAssertions
{
    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>The response is an RFC 9457 problem with this status (and, when given, this detail).</summary>
    public static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detail = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (detail is not null)
        {
            Assert.Equal(detail, (await Json(response)).GetProperty("detail").GetString());
        }
    }
}
