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

    private sealed class Store : MessageStore
    {
        public ConcurrentQueue<MimeMessage> Messages { get; } = new();

        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer,
            CancellationToken cancellationToken)
        {
            await using var stream = new MemoryStream(buffer.ToArray());
            Messages.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            return SmtpResponse.Ok;
        }
    }
}
