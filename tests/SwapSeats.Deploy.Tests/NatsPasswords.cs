using System.Security.Cryptography;

namespace SwapSeats.Deploy.Tests;

/// <summary>NATS passwords as deploy/k8s/dev-secrets.sh makes them: "s" and 48 hex digits (never a leading digit).</summary>
public static class NatsPasswords
{
    public static readonly string[] Users = ["auth", "tickets", "orders", "expiration", "payments", "notifications", "web", "operator"];

    public static Dictionary<string, string> Generate() =>
        Users.ToDictionary(u => u, _ => "s" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant());
}
