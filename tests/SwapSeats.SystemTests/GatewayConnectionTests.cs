using System.Net;
using System.Net.Sockets;
using System.Text;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>
/// A rush through the gateway: requests for a JSON service wait at the gateway for one of a few connections per replica
/// (README, <c>Gateway:ConnectionsPerReplica</c>) instead of opening one each; a service that streams files does not.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class GatewayConnectionTests(SwapSeatsSystem system)
{
    [Fact]
    public async Task A_rush_on_orders_shares_a_bounded_set_of_connections_and_every_request_is_answered()
    {
        await using var orders = new HeldBackend();
        await using var tickets = new HeldBackend();
        await using var gateway = system.NewGateway(new()
        {
            ["Gateway:AuthRequestsPerMinute"] = "0",
            ["Gateway:ConnectionsPerReplica"] = "8",
            ["Gateway:Services:orders"] = orders.Address,
            ["Gateway:Services:tickets"] = tickets.Address,
        });
        await gateway.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 200 })
        {
            BaseAddress = gateway.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };

        var rush = Enumerable.Range(0, 40).Select(_ => client.GetAsync("/api/orders")).ToList();
        var browse = Enumerable.Range(0, 40).Select(_ => client.GetAsync("/api/tickets")).ToList();
        // Every connection the gateway may open to orders is busy with a request, the rest wait in the gateway; tickets
        // has every request at once (over HTTP/1.1, a connection each).
        await orders.WaitForHeldAsync(8);
        await tickets.WaitForHeldAsync(40);
        await Task.Delay(500);

        Assert.Equal(8, orders.Held);
        Assert.InRange(orders.PeakConnections, 1, 8);

        orders.Release();
        tickets.Release();
        var answers = await Task.WhenAll(rush.Concat(browse));
        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
        Assert.Equal(40, orders.Answered);
        Assert.InRange(orders.PeakConnections, 1, 8);
    }

    /// <summary>
    /// An HTTP/1.1 server that answers health probes at once and holds every other request until released, counting
    /// the connections it is given.
    /// </summary>
    private sealed class HeldBackend : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _accepted = [];
        private readonly Task _accepting;
        private int _connections;
        private int _peak;
        private int _held;
        private int _answered;

        public HeldBackend()
        {
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public string Address => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public int Connections => Volatile.Read(ref _connections);

        public int PeakConnections => Volatile.Read(ref _peak);

        public int Held => Volatile.Read(ref _held);

        public int Answered => Volatile.Read(ref _answered);

        public void Release() => _released.TrySetResult();

        public async Task WaitForHeldAsync(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Held < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {Held} of {count} requests reached the backend");
                await Task.Delay(20);
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_accepted)
                    {
                        _accepted.Add(client);
                    }

                    _ = ServeAsync(client);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            var open = Interlocked.Increment(ref _connections);
            InterlockedMax(ref _peak, open);
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var pending = new StringBuilder();
                while (true)
                {
                    var head = pending.ToString();
                    var end = head.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0)
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                        continue;
                    }

                    // Bodiless requests only (GET): the next request starts right after the blank line.
                    pending.Remove(0, end + 4);
                    if (!head.Contains(" /health/", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref _held);
                        await _released.Task.WaitAsync(_stop.Token);
                        Interlocked.Increment(ref _answered);
                    }

                    await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"u8.ToArray(), _stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref _connections);
            }
        }

        private static void InterlockedMax(ref int location, int value)
        {
            int current;
            while (value > (current = Volatile.Read(ref location)) && Interlocked.CompareExchange(ref location, value, current) != current)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            lock (_accepted)
            {
                _accepted.ForEach(client => client.Dispose());
            }

            await _accepting;
            _stop.Dispose();
        }
    }
}
