using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace SwapSeats.Testing;

/// <summary>
/// A real SMTP server in the test process (the SmtpServer library) on a free local port, keeping every message it
/// accepts. It can be stopped and started again on the same port, to test a mail server that is away for a while.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly Store _store = new();
    private SmtpServer.SmtpServer? _server;
    private CancellationTokenSource? _running;

    public int Port { get; } = ExternalProcess.FreePort();

    /// <summary>How many SMTP connections delivered mail, over every start (a bare connect, like a port probe, is none).</summary>
    public int Sessions => _store.Sessions.Count;

    public IReadOnlyList<MimeMessage> Messages => _store.Messages.ToList();

    public IEnumerable<MimeMessage> To(string address) =>
        Messages.Where(m => m.To.Mailboxes.Any(b => b.Address.Equals(address, StringComparison.OrdinalIgnoreCase)));

    public static async Task<SmtpSink> StartNewAsync()
    {
        var sink = new SmtpSink();
        await sink.StartAsync();
        return sink;
    }

    public Task StartAsync()
    {
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(_store);
        services.Add(new NoDelayListeners());
        _server = new SmtpServer.SmtpServer(options, services);
        _running = new CancellationTokenSource();
        _ = _server.StartAsync(_running.Token);
        return ExternalProcess.WaitForPortAsync(Port, TimeSpan.FromSeconds(10));
    }

    public async Task StopAsync()
    {
        if (_server is null)
        {
            return;
        }

        _server.Shutdown();
        await _running!.CancelAsync();
        await _server.ShutdownTask.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _server = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// Listens with Nagle's algorithm off (accepted sockets inherit it): the library answers a pipelined MAIL, RCPT and
    /// DATA with three small writes, and with Nagle on the second and third waited for the client's delayed ACK, about
    /// 40 ms per email: the sink, not the sender, capped delivery at some 20 emails a second.
    /// </summary>
    private sealed class NoDelayListeners : SmtpServer.Net.IEndpointListenerFactory
    {
        public SmtpServer.Net.IEndpointListener CreateListener(IEndpointDefinition endpointDefinition) => new Listener(endpointDefinition.Endpoint);

        private sealed class Listener : SmtpServer.Net.IEndpointListener
        {
            private readonly System.Net.Sockets.TcpListener _listener;

            public Listener(IPEndPoint endpoint)
            {
                _listener = new System.Net.Sockets.TcpListener(endpoint);
                _listener.Start();
            }

            public async Task<SmtpServer.IO.ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                client.NoDelay = true;
                context.Properties[SmtpServer.Net.EndpointListener.LocalEndPointKey] = client.Client.LocalEndPoint;
                context.Properties[SmtpServer.Net.EndpointListener.RemoteEndPointKey] = client.Client.RemoteEndPoint;
                return new PlainPipe(client);
            }

            public void Dispose() => _listener.Stop();
        }

        /// <summary>The connection as the library reads and writes it; the sink offers no STARTTLS, so it never upgrades.</summary>
        private sealed class PlainPipe(System.Net.Sockets.TcpClient client) : SmtpServer.IO.ISecurableDuplexPipe
        {
            public System.IO.Pipelines.PipeReader Input { get; } = System.IO.Pipelines.PipeReader.Create(client.GetStream());

            public System.IO.Pipelines.PipeWriter Output { get; } = System.IO.Pipelines.PipeWriter.Create(client.GetStream());

            public bool IsSecure => false;

            public System.Security.Authentication.SslProtocols SslProtocol => System.Security.Authentication.SslProtocols.None;

            public Task UpgradeAsync(System.Security.Cryptography.X509Certificates.X509Certificate certificate,
                System.Security.Authentication.SslProtocols protocols, CancellationToken cancellationToken = default) =>
                throw new NotSupportedException("The test SMTP server offers no TLS.");

            public void Dispose() => client.Dispose();
        }
    }

    private sealed class Store : MessageStore
    {
        public ConcurrentQueue<MimeMessage> Messages { get; } = new();

        public ConcurrentDictionary<ISessionContext, bool> Sessions { get; } = new(ReferenceEqualityComparer.Instance);

        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer,
            CancellationToken cancellationToken)
        {
            await using var stream = new MemoryStream(buffer.ToArray());
            Messages.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            Sessions.TryAdd(context, true);
            return SmtpResponse.Ok;
        }
    }
}
