using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
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

    /// <summary>Upcoming events (days from the seeding) and a few seats at each, at or below face value.</summary>
    public static readonly (string Name, string Venue, string City, int InDays, int Hour, (string Seat, decimal Price, decimal FaceValue)[] Seats)[] Events =
    [
        ("Coldplay: Music of the Spheres", "Wembley Stadium", "London", 24, 19,
            [("Block 112, row C, seat 14", 145.00m, 145.00m), ("Block 524, row 30, seat 2", 85.00m, 95.00m)]),
        ("Champions League final", "Allianz Arena", "Munich", 45, 20,
            [("Lower tier behind the goal, row 8", 420.00m, 450.00m)]),
        ("Hamilton", "Victoria Palace Theatre", "London", 9, 19,
            [("Stalls, row F, seat 21", 89.50m, 89.50m), ("Dress circle, row A, seat 3", 120.00m, 125.00m)]),
        ("Glastonbury Festival", "Worthy Farm", "Pilton", 150, 10,
            [("Weekend ticket (name change included)", 355.00m, 355.00m)]),
        ("Jazz at the Barbican", "Barbican Hall", "London", 5, 20,
            [("Balcony, row K, seat 9", 32.00m, 35.00m)]),
    ];

    public static int Listings => Events.Sum(e => e.Seats.Length);

    public static IEnumerable<string> SeatTitles => Events.SelectMany(e => e.Seats.Select(s => s.Seat));

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

        var today = DateTime.UtcNow.Date;
        foreach (var (name, venue, city, inDays, hour, seats) in Events)
        {
            var startsAt = new DateTimeOffset(today.AddDays(inDays).AddHours(hour), TimeSpan.Zero);
            var created = await http.PostAsJsonAsync("/api/events", new { name, venue, city, startsAt }, cancellationToken);
            created.EnsureSuccessStatusCode(); // 201, or 200 when an earlier run made it
            var eventId = (await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString();
            foreach (var (seat, price, faceValue) in seats)
            {
                var listed = await http.PostAsJsonAsync("/api/tickets", new { eventId, title = seat, price, faceValue }, cancellationToken);
                listed.EnsureSuccessStatusCode();
                var ticketId = (await listed.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString();
                // Each demo listing carries its ticket, so a demo purchase ends with a download.
                using var file = new ByteArrayContent(TicketPdf(name, venue, city, startsAt, seat));
                file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
                (await http.PutAsync($"/api/tickets/{ticketId}/file", file, cancellationToken)).EnsureSuccessStatusCode();
            }
        }

        return DemoOutcome.Seeded;
    }

    /// <summary>A one-page PDF that says what the ticket is for (Helvetica, ASCII), valid enough for any viewer.</summary>
    public static byte[] TicketPdf(string name, string venue, string city, DateTimeOffset startsAt, string seat)
    {
        static string Text(string value) => new string(value.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray())
            .Replace(@"\", @"\\").Replace("(", @"\(").Replace(")", @"\)");
        var lines = new[] { "SwapSeats demo ticket", name, $"{venue}, {city}", startsAt.UtcDateTime.ToString("ddd d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture), seat };
        var content = "BT /F1 16 Tf 30 160 Td " + string.Join(" 0 -26 Td ", lines.Select(l => $"({Text(l)}) Tj")) + " ET";
        string[] objects =
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 480 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            $"<< /Length {content.Length} >>\nstream\n{content}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ];
        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(pdf.Length);
            pdf.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }

        var xref = pdf.Length;
        pdf.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            pdf.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }

        pdf.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(pdf.ToString());
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
