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

    public NatsAuthOpts AuthOpts => string.IsNullOrEmpty(User)
        ? NatsAuthOpts.Default
        : new NatsAuthOpts { Username = User, Password = Password };
}
