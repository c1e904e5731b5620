using System.Net.Sockets;

namespace SwapSeats.Web.Api;

/// <summary>
/// Spreads the UI's calls to one API over its replicas (<c>Web:Services:{name}</c> lists them separated by <c>;</c>),
/// round robin. A replica that refuses the connection has not seen the request, so the call goes to the next one:
/// a replica that died does not fail the page. Anything later (a reset mid-request) is not retried: the request may
/// have been applied. With one address (a Kubernetes Service) this only forwards.
/// </summary>
public sealed class ReplicaHandler(IReadOnlyList<Uri> replicas) : DelegatingHandler
{
    private int _next = -1;

    public static IReadOnlyList<Uri> Parse(string addresses) =>
        addresses.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a => new Uri(a)).ToList();

    /// <summary>Whether <paramref name="addresses"/> names at least one replica and every one is an absolute URL.</summary>
    public static bool Valid(string? addresses) =>
        addresses?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } each
        && each.All(a => Uri.TryCreate(a, UriKind.Absolute, out _));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (replicas.Count == 1)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        var first = (int)((uint)Interlocked.Increment(ref _next) % (uint)replicas.Count);
        for (var tried = 0; ; tried++)
        {
            var replica = replicas[(first + tried) % replicas.Count];
            request.RequestUri = new UriBuilder(request.RequestUri!) { Scheme = replica.Scheme, Host = replica.Host, Port = replica.Port }.Uri;
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException ex) when (tried + 1 < replicas.Count
                && ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
            }
        }
    }
}
