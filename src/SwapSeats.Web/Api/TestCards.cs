namespace SwapSeats.Web.Api;

/// <summary>
/// Stripe's published test card numbers and the test tokens they stand for, so the local payment provider can be used
/// from a card form without Stripe.js. Real card numbers are never accepted here.
/// </summary>
public static class TestCards
{
    public static readonly IReadOnlyList<(string Number, string Token, string Description)> All =
    [
        ("4242424242424242", "tok_visa", "Visa, succeeds"),
        ("5555555555554444", "tok_mastercard", "Mastercard, succeeds"),
        ("378282246310005", "tok_amex", "American Express, succeeds"),
        ("4000000000000002", "tok_chargeDeclined", "declined"),
        ("4000000000009995", "tok_chargeDeclinedInsufficientFunds", "declined: insufficient funds"),
    ];

    public static string? TokenFor(string? number)
    {
        var digits = new string((number ?? "").Where(char.IsDigit).ToArray());
        return All.FirstOrDefault(card => card.Number == digits).Token;
    }
}
