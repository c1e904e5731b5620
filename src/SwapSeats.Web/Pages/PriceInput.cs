using System.Globalization;
using System.Text.RegularExpressions;

namespace SwapSeats.Web.Pages;

/// <summary>
/// A price as a person types it, read the same way whatever the server's or browser's culture: dollars, optionally a
/// dot and cents (how many decimals are allowed is the API's rule, and its message). A comma is refused, never guessed at: "12,50" is 12.50 to half the world and
/// 1250 to the other half, and a silent 100× price is the worst answer.
/// </summary>
public static partial class PriceInput
{
    public const string Hint = "Dollars and cents with a dot, e.g. 12.50.";

    /// <param name="label">How the field is called in the message ("Price", "Face value").</param>
    public static bool TryParse(string? text, out decimal price, out string? error, string label = "Price")
    {
        price = 0;
        error = null;
        var value = (text ?? "").Trim().TrimStart('$').Trim();
        if (value.Length == 0)
        {
            error = $"{label} is required.";
            return false;
        }

        if (value.Contains(','))
        {
            error = $"Write the {label.ToLowerInvariant()} without commas: {Hint}";
            return false;
        }

        if (!Shape().IsMatch(value) || !decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out price))
        {
            error = $"{label} must be a number. {Hint}";
            return false;
        }

        return true;
    }

    /// <summary>How a price is put back into the form: plain, with a dot, no separators (so it reads back the same).</summary>
    public static string Format(decimal price) => price.ToString("0.00", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\d{1,12}(\.\d{1,12})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
