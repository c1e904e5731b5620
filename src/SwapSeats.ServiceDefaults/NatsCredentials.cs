using Microsoft.Extensions.Configuration;
using NATS.Client.Core;

namespace SwapSeats.ServiceDefaults;

/// <summary>
/// Who this process is to NATS: <c>Nats:User</c> and <c>Nats:Password</c> (env <c>Nats__User</c>, <c>Nats__Password</c>).
/// On a cluster every service has its own NATS user, allowed to publish only its own events (deploy/k8s, nats.conf),
/// so a compromised pod cannot forge another service's <c>payment.created</c>. Unset (./run.sh, the tests): no auth.
/// </summary>
public sealed class NatsCredentials
{
    public const string Section = "Nats";

    public string? User { get; set; }

    public string? Password { get; set; }

    public static NatsCredentials From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<NatsCredentials>() ?? new NatsCredentials();

    /// <summary>
    /// The connection's options as this user: its credentials, and replies (request answers, pulled messages, key-value
    /// watches) on an inbox prefix of its own, <c>_INBOX_{user}</c>, the only one its NATS user may subscribe to, so no
    /// service can read the messages another pulls.
    /// </summary>
    public NatsOpts Apply(NatsOpts options) => string.IsNullOrEmpty(User)
        ? options
        : options with { AuthOpts = new NatsAuthOpts { Username = User, Password = Password }, InboxPrefix = $"_INBOX_{User}" };
}
