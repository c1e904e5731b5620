using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SwapSeats.AppHost;

public enum DemoOutcome
{
    /// <summary>The seller was created (or found without listings) and the listings were put up now.</summary>
    Seeded,

    /// <summary>The seller exists and already sells: a later run leaves the data alone.</summary>
    AlreadySeeded,
}

/// <summary>
/// The demo seller and its listings, created through the public API exactly as a person would. Also compiled into the
/// system tests, which drive it twice against a real system.
/// </summary>
public static class DemoData
{
    public const string Email = "demo-seller@swapseats.local";
    public const string Password = "swapseats-demo";

    public static readonly (string Title, decimal Price)[] Listings =
    [
        ("Coldplay, Wembley Stadium, block 112 row C", 145.00m),
        ("Champions League final, lower tier behind the goal", 420.00m),
        ("Hamilton, Victoria Palace Theatre, stalls", 89.50m),
        ("Glastonbury weekend ticket (resale, name change included)", 355.00m),
        ("Taylor Swift, Eras Tour, standing", 210.00m),
        ("Jazz at the Barbican, balcony seat", 32.00m),
    ];

    /// <param name="http">A client of the gateway that keeps cookies.</param>
    public static async Task<DemoOutcome> SeedAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var credentials = new { email = Email, password = Password };
        var signUp = await http.PostAsJsonAsync("/api/users/signup", credentials, cancellationToken);
        if (signUp.StatusCode == HttpStatusCode.BadRequest && await TitleAsync(signUp, cancellationToken) == "Email in use")
        {
            // A run before this one created the seller (SPEC: a taken email is 400 "Email in use"). Sign in; if a run
            // was stopped between the account and its listings, finish the job.
            var signIn = await http.PostAsJsonAsync("/api/users/signin", credentials, cancellationToken);
            signIn.EnsureSuccessStatusCode();
            var mine = await http.GetFromJsonAsync<JsonElement>("/api/tickets/mine", cancellationToken);
            if (mine.GetArrayLength() > 0)
            {
                return DemoOutcome.AlreadySeeded;
            }
        }
        else
        {
            signUp.EnsureSuccessStatusCode();
        }

        foreach (var (title, price) in Listings)
        {
            (await http.PostAsJsonAsync("/api/tickets", new { title, price }, cancellationToken)).EnsureSuccessStatusCode();
        }

        return DemoOutcome.Seeded;
    }

    private static async Task<string?> TitleAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            return problem.TryGetProperty("title", out var title) ? title.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
