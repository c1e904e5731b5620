using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Npgsql;
using SwapSeats.Testing;

namespace SwapSeats.Bench;

/// <summary>The scenarios, run against a whole system through its gateway; every figure lands in <see cref="Report"/>.</summary>
public sealed partial class Bench(SwapSeatsSystem system, BenchOptions options, TextWriter log)
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = system.Gateway.BaseAddress,
        Timeout = TimeSpan.FromSeconds(60),
    };

    public Dictionary<string, object> Report { get; } = [];

    public Samples ThroughputTimeline { get; } = new();

    private CostMeter _meter = null!;

    public async Task RunAsync()
    {
        await using var events = await EventWatch.StartAsync(system.Nats.Url);
        await using var ordersKnow = await ReplicaWatch.StartAsync("orders", system.Databases["orders"], "tickets");
        await using var paymentsKnow = await ReplicaWatch.StartAsync("payments", system.Databases["payments"], "orders");
        await using var recipientsKnown = await ReplicaWatch.StartAsync("notifications", system.Databases["notifications"], "recipients");
        await using var bus = new TestBus(system.Nats);
        _meter = new CostMeter(system, ordersKnow, paymentsKnow, recipientsKnown);
        _bus = bus;
        _recipientsKnown = recipientsKnown;
        _events = events;
        _ordersKnow = ordersKnow;
        _paymentsKnow = paymentsKnow;
        // Warm-up: JIT, connection pools and the consumers' first pulls, so the race measures the lock, not a cold start.
        await RaceAsync("warmup", Math.Min(50, options.RaceBuyers));
        await WarmUpAsync();
        // More processes (the replicas' system) idle higher: 50 ms/s more allowed for each further replica of every service.
        await SettleAsync("warmup", AfterWarmUpCpuMsPerSecond + 50 * (system.Replicas - 1));
        await MeasureIdleAsync();
        foreach (var (name, scenario) in new (string, Func<Task>)[]
                 {
                     ("race", () => RaceAsync("race", options.RaceBuyers)), ("throughput", ThroughputAsync), ("open", OpenModelAsync),
                     ("propagation", PropagationAsync), ("expiration", ExpirationAsync), ("search", SearchAsync), ("ceilings", CeilingsAsync),
                 })
        {
            if (options.Runs(name))
            {
                await SettleAsync(name, Math.Max(1.5 * _idleCpuMsPerSecond, _idleCpuMsPerSecond + 60));
                await scenario();
            }
        }

        // Sessions of users notifications never heard of (none, unless a scenario outgrew its sign-ups): their emails wait.
        Report["users.strangers"] = Interlocked.Read(ref _strangers);
    }

    /// <summary>
    /// Every path of a purchase and of a refused buyer a few hundred times, then a pause: the services start as fresh
    /// processes, and until the JIT has recompiled their hot methods (tiered compilation, in the background) a figure
    /// measures the compiler, not the code.
    /// </summary>
    private async Task WarmUpAsync()
    {
        var purchases = options.IsSmoke ? 4 : 480;
        await SignUpAsync(2 * purchases + 1);
        var seller = User();
        var stock = new List<string>();
        for (var i = 0; i < purchases; i++)
        {
            stock.Add(await ListAsync(seller));
        }

        await _ordersKnow.AllKnown(stock);
        var held = stock[0];
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
        {
            for (var i = worker; i < stock.Count; i += 16)
            {
                var buyer = User();
                var ordered = await OrderAsync(buyer, stock[i]);
                if (ordered.StatusCode != HttpStatusCode.Created)
                {
                    continue;
                }

                var order = await IdAsync(ordered);
                await _paymentsKnow.Known(order);
                await PayAsync(buyer, order);
                // A refused buyer on a sold ticket: the loser's path of a rush.
                await SendAsync(HttpMethod.Post, "/api/orders", User(), new { ticketId = held });
            }
        }));
        await Task.Delay(options.IsSmoke ? TimeSpan.Zero : TimeSpan.FromSeconds(3));
        log.WriteLine($"  warmed up: {purchases} purchases and refusals");
    }

    /// <summary>What the system costs doing nothing (pollers, heartbeats, timers): the level SettleAsync waits to get back to.</summary>
    private async Task MeasureIdleAsync()
    {
        var before = _meter.Processes();
        var clock = Stopwatch.StartNew();
        await Task.Delay(options.IsSmoke ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5));
        var after = _meter.Processes();
        var seconds = clock.Elapsed.TotalSeconds;
        var byProcess = after.Where(p => p.Key != CostMeter.LoadGenerator)
            .ToDictionary(p => p.Key, p => Math.Round((p.Value.CpuMs - before.GetValueOrDefault(p.Key).CpuMs) / seconds, 1));
        _idleCpuMsPerSecond = byProcess.Values.Sum();
        Report["idle.cpuMsPerSecond"] = Math.Round(_idleCpuMsPerSecond, 1);
        Report["idle.cpuMsPerSecondByProcess"] = byProcess;
        log.WriteLine($"  idle: {_idleCpuMsPerSecond:F0} ms of CPU per second across the system ({string.Join(", ", byProcess.Select(p => $"{p.Key} {p.Value}"))})");
    }

    private double _idleCpuMsPerSecond;

    /// <summary>
    /// The level the system must fall below after the warm-up before its idle cost is measured (ms of CPU per second, all
    /// processes): the JIT is still recompiling the hot methods of eight processes in the background then (tiered
    /// compilation) — seen here: 330–690 ms/s in the 5 s after the warm-up's 3 s pause, and 30–90 ms/s once it was done,
    /// some 10 s later. Measured then, the idle level was the compiler's, every scenario's wait to get back to it ended at
    /// once, and the first steps after it paid for the compiler too (their CPU per purchase varied by a third between runs).
    /// </summary>
    private const double AfterWarmUpCpuMsPerSecond = 150;

    /// <summary>
    /// Waits (up to a minute) until a window of the system's CPU is below <paramref name="quiet"/> (ms per second): after
    /// the warm-up, an absolute level; before a scenario, the idle level with a margin — a scenario that follows a load
    /// (emails still going out, timers of unpaid orders falling due, autovacuum) would otherwise measure that tail, and an
    /// "idle" figure would not be one. How long it waited is in the report.
    /// </summary>
    private async Task SettleAsync(string scenario, double quiet)
    {
        var clock = Stopwatch.StartNew();
        // 2 s: each process's CPU time moves in 10 ms ticks, so eleven of them read over 1 s are off by up to 110 ms/s.
        var window = options.IsSmoke ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(2);
        // The smoke run's windows are too short for 10 ms CPU ticks to tell quiet from busy: it only takes a look.
        var longest = options.IsSmoke ? TimeSpan.FromSeconds(2) : TimeSpan.FromMinutes(1);
        double busy;
        do
        {
            var cpu = _meter.SystemCpuMs();
            var started = clock.Elapsed;
            await Task.Delay(window);
            busy = (_meter.SystemCpuMs() - cpu) / (clock.Elapsed - started).TotalSeconds;
        }
        while (busy > quiet && clock.Elapsed < longest);

        Report[$"{scenario}.settledAfterMs"] = Math.Round(clock.Elapsed.TotalMilliseconds);
        if (busy > quiet)
        {
            log.WriteLine($"  {scenario}: the system did not settle within {longest.TotalSeconds:F0} s ({busy:F0} ms CPU/s; quiet is below {quiet:F0})");
        }
        else if (clock.Elapsed > 2 * window)
        {
            log.WriteLine($"  {scenario}: waited {clock.Elapsed.TotalSeconds:F1} s for the system to settle");
        }
    }

    private EventWatch _events = null!;
    private ReplicaWatch _ordersKnow = null!;
    private ReplicaWatch _paymentsKnow = null!;

    private TestBus _bus = null!;
    private ReplicaWatch _recipientsKnown = null!;
    /// <summary>The sessions of users signed up and not used yet.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _signedUp = new();
    private long _strangers;

    /// <summary>
    /// Signs up <paramref name="count"/> buyers and sellers before a scenario (outside what it measures): auth announces
    /// each with <c>user.created</c>, as it would have at their sign-up, and the scenario starts once notifications knows
    /// every address. Without it each purchase's emails would wait for an address forever, and cost nothing to send.
    /// Their sessions are signed here too: a buyer signs in before buying, not as part of it (an RS256 signature costs
    /// the load generator half a millisecond, which no purchase should be charged).
    /// </summary>
    private async Task SignUpAsync(int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToList();
        foreach (var chunk in ids.Chunk(200))
        {
            await Task.WhenAll(chunk.Select(id => _bus.PublishAsync(new SwapSeats.Contracts.UserCreated(id, Email(id)))));
        }

        await _recipientsKnown.AllKnown(ids.Select(id => id.ToString())).WaitAsync(TimeSpan.FromMinutes(2));
        foreach (var token in ids.AsParallel().Select(Token).ToList())
        {
            _signedUp.Enqueue(token);
        }
    }

    /// <summary>
    /// Waits until notifications has sent every email that is due (the backlog a rush leaves behind), so a scenario is
    /// not measured while the previous one's emails still go out. Returns how long that took.
    /// </summary>
    private async Task<TimeSpan> EmailsSentAsync()
    {
        var clock = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(system.Databases["notifications"]);
        await connection.OpenAsync();
        await using var backlog = new NpgsqlCommand("SELECT count(*) FROM emails WHERE due_at IS NOT NULL AND to_address IS NOT NULL", connection);
        while ((long)(await backlog.ExecuteScalarAsync())! > 0 && clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(100);
        }

        return clock.Elapsed;
    }

    /// <summary>A signed-up user's session; a stranger's (no email address known) once the signed-up ones run out, counted.</summary>
    private string User()
    {
        if (_signedUp.TryDequeue(out var token))
        {
            return token;
        }

        Interlocked.Increment(ref _strangers);
        return Token(Guid.CreateVersion7());
    }

    private static string Email(Guid user) => $"{user:N}@bench.local";

    private static string Token(Guid user) => SessionKeys.MintToken(user, Email(user), DateTimeOffset.UtcNow.AddHours(1)); // MintToken issues it an hour before expiry: now

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", $"session={token}");
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await _http.SendAsync(request);
    }

    private static async Task<string> IdAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

    private string? _eventId;

    /// <summary>Every bench listing is for one upcoming event (created once; POST /api/events is idempotent on its key).</summary>
    private async Task<string> EventAsync(string sellerToken)
    {
        if (_eventId is { } known)
        {
            return known;
        }

        var response = await SendAsync(HttpMethod.Post, "/api/events", sellerToken, new
        {
            name = "Bench night", venue = "Bench Arena", city = "Benchville", startsAt = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(60), TimeSpan.Zero),
        });
        response.EnsureSuccessStatusCode();
        return _eventId = await IdAsync(response);
    }

    private async Task<string> ListAsync(string sellerToken, decimal price = 25m)
    {
        var eventId = await EventAsync(sellerToken);
        var response = await SendAsync(HttpMethod.Post, "/api/tickets", sellerToken, new { eventId, title = "Bench seat", price, faceValue = price });
        response.EnsureSuccessStatusCode();
        return await IdAsync(response);
    }

    /// <summary>
    /// Orders a ticket; a 404 means orders has not heard of the new listing yet (replica lag) and is retried every 25 ms,
    /// as a client would: spinning faster only adds requests that compete with the events being waited for.
    /// </summary>
    private Task<HttpResponseMessage> OrderAsync(string buyerToken, string ticket) =>
        UntilKnownAsync(() => SendAsync(HttpMethod.Post, "/api/orders", buyerToken, new { ticketId = ticket }));

    private Task<HttpResponseMessage> PayAsync(string buyerToken, string order) =>
        UntilKnownAsync(() => SendAsync(HttpMethod.Post, "/api/payments", buyerToken, new { orderId = order, token = "tok_visa" }));

    private static async Task<HttpResponseMessage> UntilKnownAsync(Func<Task<HttpResponseMessage>> send)
    {
        while (true)
        {
            var response = await send();
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                return response;
            }

            await Task.Delay(25);
        }
    }

    /// <summary>
    /// Where an event's time goes, from the services' own bookkeeping: outbox created_at → sent_at is the relay,
    /// sent_at → the consumer's inbox processed_at is NATS delivery plus the consumer's queue and transaction.
    /// </summary>
    private async Task BreakDownAsync(string scenario, string subject, string from, string to)
    {
        var sent = new Dictionary<Guid, (DateTime Created, DateTime Sent)>();
        await using (var outbox = new NpgsqlConnection(system.Databases[from]))
        {
            await outbox.OpenAsync();
            await using var query = new NpgsqlCommand("SELECT event_id, created_at, sent_at FROM outbox_messages WHERE subject = @s AND sent_at IS NOT NULL", outbox);
            query.Parameters.AddWithValue("s", subject);
            await using var rows = await query.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                sent[rows.GetGuid(0)] = (rows.GetDateTime(1), rows.GetDateTime(2));
            }
        }

        var relay = new Samples();
        var delivery = new Samples();
        await using (var inbox = new NpgsqlConnection(system.Databases[to]))
        {
            await inbox.OpenAsync();
            // Whatever the consumer is called (one per subject before, one per source now), only one applies this subject.
            await using var query = new NpgsqlCommand("SELECT event_id, processed_at FROM inbox_messages", inbox);
            await using var rows = await query.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                if (sent.TryGetValue(rows.GetGuid(0), out var times))
                {
                    relay.Add(0, (times.Sent - times.Created).TotalMilliseconds);
                    delivery.Add(0, (rows.GetDateTime(1) - times.Sent).TotalMilliseconds);
                }
            }
        }

        Report[$"{scenario}.{subject}.relayMs"] = relay.Summary();
        Report[$"{scenario}.{subject}.toConsumerMs"] = delivery.Summary();
        log.WriteLine($"  {subject} {from}→{to}: relay p50 {relay.Percentile(50):F0} ms p99 {relay.Percentile(99):F0} ms; sent→applied p50 {delivery.Percentile(50):F0} ms p99 {delivery.Percentile(99):F0} ms");
    }

    private async Task CheckInvariantsAsync(string scenario)
    {
        var clock = Stopwatch.StartNew();
        List<string> violations;
        while ((violations = await Invariants.ViolationsAsync(system)).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(250);
        }

        Report[$"{scenario}.invariants"] = violations.Count == 0 ? "hold" : string.Join("; ", violations.Take(5));
        Report[$"{scenario}.convergedAfterMs"] = Math.Round(clock.Elapsed.TotalMilliseconds);
        log.WriteLine($"  invariants after {scenario}: {(violations.Count == 0 ? "hold" : $"{violations.Count} violations")} ({clock.ElapsedMilliseconds} ms to converge)");
    }

    /// <summary>N distinct buyers fire at one ticket at once: exactly one may win.</summary>
    private async Task RaceAsync(string name, int buyers)
    {
        log.WriteLine($"{name}: {buyers} buyers, one ticket");
        await SignUpAsync(buyers + 1);
        var ticket = await ListAsync(User());
        // Warm the replica: the race is about the lock, not about replica lag.
        await _ordersKnow.Known(ticket);
        var tokens = Enumerable.Range(0, buyers).Select(_ => User()).ToArray();
        var latencies = new Samples();
        var start = new TaskCompletionSource();
        var before = _meter.Processes();
        var clock = Stopwatch.StartNew();
        var attempts = tokens.Select(async token =>
        {
            await start.Task;
            var sent = clock.Elapsed;
            var response = await SendAsync(HttpMethod.Post, "/api/orders", token, new { ticketId = ticket });
            latencies.Add(sent.TotalSeconds, (clock.Elapsed - sent).TotalMilliseconds);
            return response.StatusCode;
        }).ToList();
        start.SetResult();
        var statuses = await Task.WhenAll(attempts);
        var after = _meter.Processes();

        var winners = statuses.Count(s => s == HttpStatusCode.Created);
        Report[$"{name}.buyers"] = buyers;
        Report[$"{name}.winners"] = winners;
        Report[$"{name}.statuses"] = statuses.GroupBy(s => (int)s).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(), g => g.Count());
        Report[$"{name}.latencyMs"] = latencies.Summary();
        // What one buyer of the rush costs each process (the winner's events included: they are one in a thousand).
        var perBuyer = after.ToDictionary(p => p.Key, p => Math.Round((p.Value.CpuMs - before.GetValueOrDefault(p.Key).CpuMs) / buyers, 3));
        Report[$"{name}.cpuMsPerBuyer"] = perBuyer;
        log.WriteLine($"  winners {winners}, statuses {JsonSerializer.Serialize(Report[$"{name}.statuses"])}, p50 {latencies.Percentile(50):F0} ms, p99 {latencies.Percentile(99):F0} ms; CPU per buyer {perBuyer.Values.Sum():F2} ms");
        await CheckInvariantsAsync(name);
    }

    /// <summary>
    /// Sellers list a stock of tickets first (untimed, until orders knows them all); then buyers reserve and pay distinct
    /// tickets for T seconds at the target concurrency. A payment answered 404 is payments not knowing the order yet.
    /// </summary>
    private async Task ThroughputAsync()
    {
        var stock = options.Concurrency * 60;
        log.WriteLine($"throughput: {stock} tickets listed by {options.Concurrency} sellers, then {options.Concurrency} concurrent buyers for {options.ThroughputDuration.TotalSeconds:F0} s");
        await SignUpAsync(stock + options.Concurrency);
        var list = new Samples();
        var listing = Stopwatch.StartNew();
        var tickets = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            var seller = User();
            for (var i = 0; i < stock / options.Concurrency; i++)
            {
                var started = listing.Elapsed;
                tickets.Enqueue(await ListAsync(seller));
                list.Add(started.TotalSeconds, (listing.Elapsed - started).TotalMilliseconds);
            }
        }));
        var listedPerSecond = stock / listing.Elapsed.TotalSeconds;
        await _ordersKnow.AllKnown(tickets);
        Report["throughput.emailBacklogBeforeMs"] = Math.Round((await EmailsSentAsync()).TotalMilliseconds);
        await _meter.ResetStatementsAsync();
        var costBefore = await _meter.TakeAsync();
        var mailedBefore = system.Smtp.Messages.Count;

        var reserve = new Samples();
        var replicaLag = new Samples();
        var pay = new Samples();
        var errors = 0;
        var purchases = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            while (clock.Elapsed < options.ThroughputDuration && tickets.TryDequeue(out var ticket))
            {
                var buyer = User();
                try
                {
                    var t1 = clock.Elapsed;
                    var ordered = await OrderAsync(buyer, ticket);
                    var t2 = clock.Elapsed;
                    reserve.Add(t1.TotalSeconds, (t2 - t1).TotalMilliseconds);
                    if (ordered.StatusCode != HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }

                    // A buyer pays seconds later (typing a card); here we wait only until payments has heard of the order,
                    // watching its database, so no request load is added while waiting.
                    var order = await IdAsync(ordered);
                    await _paymentsKnow.Known(order);
                    var t25 = clock.Elapsed;
                    replicaLag.Add(t2.TotalSeconds, (t25 - t2).TotalMilliseconds);
                    var paid = await PayAsync(buyer, order);
                    var t3 = clock.Elapsed;
                    pay.Add(t25.TotalSeconds, (t3 - t25).TotalMilliseconds);
                    if (paid.StatusCode != HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }

                    ThroughputTimeline.Add(t1.TotalSeconds, (t3 - t1).TotalMilliseconds);
                    Interlocked.Increment(ref purchases);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }).ToList();
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        Report["throughput.cost"] = CostMeter.PerPurchase(costBefore, await _meter.TakeAsync(), purchases, clock.Elapsed);
        Report["throughput.topStatements"] = await _meter.TopStatementsAsync(purchases);
        Report["throughput.concurrency"] = options.Concurrency;
        Report["throughput.listingsPerSecond"] = Math.Round(listedPerSecond, 1);
        Report["throughput.seconds"] = Math.Round(seconds, 1);
        Report["throughput.purchases"] = purchases;
        Report["throughput.purchasesPerSecond"] = Math.Round(purchases / seconds, 1);
        Report["throughput.stockRanOut"] = tickets.IsEmpty;
        Report["throughput.errors"] = errors;
        Report["throughput.listMs"] = list.Summary();
        Report["throughput.reserveMs"] = reserve.Summary();
        Report["throughput.payMs"] = pay.Summary();
        Report["throughput.orderKnownToPaymentsAfterMs"] = replicaLag.Summary();
        await BreakDownAsync("throughput", "order.created", "orders", "payments");
        log.WriteLine($"  payments knew each order {replicaLag.Percentile(50):F0} ms (p50) / {replicaLag.Percentile(99):F0} ms (p99) after its 201");
        log.WriteLine($"  listing {listedPerSecond:F1}/s (p50 {list.Percentile(50):F0} ms); {purchases / seconds:F1} purchases/s, {errors} errors; reserve p50 {reserve.Percentile(50):F0} ms p99 {reserve.Percentile(99):F0} ms; pay p50 {pay.Percentile(50):F0} ms p99 {pay.Percentile(99):F0} ms{(tickets.IsEmpty ? " (stock ran out)" : "")}");
        await CheckInvariantsAsync("throughput");
        var sentInRun = system.Smtp.Messages.Count - mailedBefore;
        var drained = await EmailsSentAsync();
        log.WriteLine($"  {sentInRun / (double)Math.Max(1, purchases):F2} emails per purchase sent by the time the run had settled, the rest within {drained.TotalSeconds:F1} s");
        Report["throughput.emailsSentInRunPerPurchase"] = Math.Round(sentInRun / (double)Math.Max(1, purchases), 2);
        Report["throughput.emailsDrainedAfterMs"] = Math.Round(drained.TotalMilliseconds);
        // Each purchase's emails (hold, receipt, sold), all sent by now.
        Report["throughput.emailsPerPurchase"] = Math.Round((double)(system.Smtp.Messages.Count - mailedBefore) / Math.Max(1, purchases), 2);
    }

    /// <summary>
    /// How long events take to show up, idle: order 201 → <c>ticket.updated</c> (reserved) published; payment 201 →
    /// <c>order.completed</c> published. Seen on a NATS subscription, so nothing polls the system being timed.
    /// </summary>
    private async Task PropagationAsync()
    {
        log.WriteLine($"propagation: {options.PropagationSamples} samples");
        await SignUpAsync(options.PropagationSamples + 1);
        var reserved = new Samples();
        var completed = new Samples();
        // Each path split at its first event: the relay of the service that answered, then the next service's hop.
        var (orderRelayed, reservedAfterRelay, paymentRelayed, completedAfterRelay) = (new Samples(), new Samples(), new Samples(), new Samples());
        var seller = User();
        for (var i = 0; i < options.PropagationSamples; i++)
        {
            var buyer = User();
            var ticket = await ListAsync(seller);
            await _ordersKnow.Known(ticket);
            var ordered = await OrderAsync(buyer, ticket);
            var answered = DateTimeOffset.UtcNow;
            ordered.EnsureSuccessStatusCode();
            var order = await IdAsync(ordered);
            var ticketReserved = await _events.Next("ticket.updated", ticket, "reserved");
            var orderCreated = await _events.Next("order.created", order);
            reserved.Add(i, (ticketReserved - answered).TotalMilliseconds);
            orderRelayed.Add(i, (orderCreated - answered).TotalMilliseconds);
            reservedAfterRelay.Add(i, (ticketReserved - orderCreated).TotalMilliseconds);
            await _paymentsKnow.Known(order);
            var paid = await PayAsync(buyer, order);
            answered = DateTimeOffset.UtcNow;
            paid.EnsureSuccessStatusCode();
            var orderCompleted = await _events.Next("order.completed", order);
            var paymentCreated = await _events.Next("payment.created", order);
            completed.Add(i, (orderCompleted - answered).TotalMilliseconds);
            paymentRelayed.Add(i, (paymentCreated - answered).TotalMilliseconds);
            completedAfterRelay.Add(i, (orderCompleted - paymentCreated).TotalMilliseconds);
            await Task.Delay(20); // idle between samples: one purchase at a time
        }

        Report["propagation.orderToTicketReservedMs"] = reserved.Summary();
        Report["propagation.paymentToOrderCompleteMs"] = completed.Summary();
        Report["propagation.orderCreatedPublishedMs"] = orderRelayed.Summary();
        Report["propagation.orderCreatedToTicketReservedMs"] = reservedAfterRelay.Summary();
        Report["propagation.paymentCreatedPublishedMs"] = paymentRelayed.Summary();
        Report["propagation.paymentCreatedToOrderCompleteMs"] = completedAfterRelay.Summary();
        log.WriteLine($"  order→ticket reserved p50 {reserved.Percentile(50):F1} ms p99 {reserved.Percentile(99):F1} ms; payment→order complete p50 {completed.Percentile(50):F1} ms p99 {completed.Percentile(99):F1} ms");
        await CheckInvariantsAsync("propagation");
    }

    /// <summary>K unpaid orders with a short window, idle: how long after <c>expiresAt</c> each <c>order.cancelled</c> is published.</summary>
    private async Task ExpirationAsync()
    {
        log.WriteLine($"expiration: {options.ExpiringOrders} unpaid orders, window {options.ReservationWindow.TotalSeconds:F0} s");
        await SignUpAsync(options.ExpiringOrders + 1);
        var seller = User();
        var lateness = new Samples();
        var waits = new List<Task>();
        for (var i = 0; i < options.ExpiringOrders; i++)
        {
            var buyer = User();
            var ticket = await ListAsync(seller);
            await _ordersKnow.Known(ticket);
            waits.Add(MeasureExpiryAsync(await OrderAsync(buyer, ticket), lateness));
        }

        var all = Task.WhenAll(waits);
        var finished = await Task.WhenAny(all, Task.Delay(options.ReservationWindow + TimeSpan.FromSeconds(60))) == all;
        Report["expiration.orders"] = options.ExpiringOrders;
        Report["expiration.notCancelled"] = options.ExpiringOrders - lateness.Count;
        Report["expiration.latenessMs"] = lateness.Summary();
        log.WriteLine($"  lateness p50 {lateness.Percentile(50):F0} ms, p99 {lateness.Percentile(99):F0} ms, max {lateness.Max:F0} ms{(finished ? "" : "; some never cancelled")}");
        await CheckInvariantsAsync("expiration");
    }

    /// <summary>An unpaid order's lateness: <c>order.cancelled</c> published, minus its <c>expiresAt</c>.</summary>
    private async Task MeasureExpiryAsync(HttpResponseMessage ordered, Samples lateness)
    {
        var order = await ordered.Content.ReadFromJsonAsync<JsonElement>();
        var expiresAt = order.GetProperty("expiresAt").GetDateTimeOffset();
        var cancelled = await _events.Next("order.cancelled", order.GetProperty("id").GetString()!);
        lateness.Add(lateness.Count, (cancelled - expiresAt).TotalMilliseconds);
    }

    /// <summary>What the machine allows, measured the same way: the figures above read as fractions of these.</summary>
    /// <summary>
    /// The public search with 100,000 listings of 2,000 events in the tickets database (written there directly: listing
    /// them through the API would take minutes and measure something else): two-word, rare and common queries through
    /// the gateway, one at a time, and whether PostgreSQL answers them from the trigram index.
    /// </summary>
    private async Task SearchAsync()
    {
        var listings = options.IsSmoke ? 2_000 : 100_000;
        await using (var db = new NpgsqlConnection(system.Databases["tickets"]))
        {
            await db.OpenAsync();
            var seed = new NpgsqlCommand(
                "INSERT INTO events (id, name, venue, city, starts_at, name_key, venue_key, city_key, created_by, created_at) " +
                "SELECT gen_random_uuid(), 'Search band ' || g, 'Search venue ' || (g % 50), 'Search city', now() + interval '40 days' + g * interval '1 minute', " +
                "lower('Search band ' || g), lower('Search venue ' || (g % 50)), 'search city', gen_random_uuid(), now() FROM generate_series(1, 2000) g; " +
                "INSERT INTO tickets (id, event_id, title, price, face_value, search_text, has_file, user_id, status, version, created_at) " +
                "SELECT gen_random_uuid(), e.id, 'Block ' || (g % 300) || ', row ' || (g % 40) || ', seat ' || g, 20 + g % 80, 100, " +
                "lower('Block ' || (g % 300) || ', row ' || (g % 40) || ', seat ' || g || ' ' || e.name || ' ' || e.venue), false, gen_random_uuid(), 'available', 0, now() " +
                $"FROM generate_series(1, {listings}) g JOIN LATERAL (SELECT id, name, venue FROM events WHERE name_key = 'search band ' || (1 + g % 2000)) e ON true; " +
                "ANALYZE tickets; ANALYZE events;", db) { CommandTimeout = 600 };
            await seed.ExecuteNonQueryAsync();
            await using var plan = new NpgsqlCommand("EXPLAIN SELECT id FROM tickets WHERE search_text LIKE '%seat 4242%' AND search_text LIKE '%band 17%'", db);
            Report["search.usesTrigramIndex"] = string.Join('\n', await ReadAllAsync(plan)).Contains("ix_tickets_search_trgm", StringComparison.Ordinal);
        }

        foreach (var (key, q) in new[] { ("search.twoWordsMs", "seat 4242 band"), ("search.rareWordMs", "seat 99999"), ("search.commonWordMs", "block") })
        {
            var samples = new Samples();
            for (var i = 0; i < (options.IsSmoke ? 5 : 200); i++)
            {
                var started = Stopwatch.GetTimestamp();
                (await _http.GetAsync($"/api/tickets?q={Uri.EscapeDataString(q)}&limit=50")).EnsureSuccessStatusCode();
                samples.Add(i, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            Report[key] = samples.Summary();
        }

        Report["search.listings"] = listings;
        log.WriteLine($"search over {listings:N0} listings: two words {Brief("search.twoWordsMs")}, rare word {Brief("search.rareWordMs")}, " +
                      $"common word {Brief("search.commonWordMs")}; trigram index used: {Report["search.usesTrigramIndex"]}");
    }

    private string Brief(string key) => Report[key] is Dictionary<string, double> d ? $"p50 {d["p50"]:F1} / p99 {d["p99"]:F1} ms" : $"{Report[key]}";

    private static async Task<List<string>> ReadAllAsync(NpgsqlCommand command)
    {
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }

    private async Task CeilingsAsync()
    {
        log.WriteLine($"ceilings: {options.Concurrency} concurrent, {options.CeilingDuration.TotalSeconds:F0} s each");
        Report["ceiling.gatewayStaticFile"] = await SaturateAsync(async () => (await _http.GetAsync("/site.css")).EnsureSuccessStatusCode());

        var database = await system.Postgres.CreateDatabaseAsync("bench");
        await using (var setup = new NpgsqlConnection(database))
        {
            await setup.OpenAsync();
            await new NpgsqlCommand("CREATE TABLE rows (id bigserial PRIMARY KEY, payload text NOT NULL)", setup).ExecuteNonQueryAsync();
        }

        await using var source = NpgsqlDataSource.Create(database);
        Report["ceiling.postgresInsertTransaction"] = await SaturateAsync(async () =>
        {
            await using var connection = await source.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO rows (payload) VALUES ('bench')", connection, transaction);
            await insert.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        });

        await using var nats = new NatsConnection(new NatsOpts { Url = system.Nats.Url });
        var jetStream = new NatsJSContext(nats);
        await jetStream.CreateOrUpdateStreamAsync(new StreamConfig("BENCH", ["bench.>"]) { Storage = StreamConfigStorage.File });
        var payload = new byte[200];
        Report["ceiling.jetStreamPublishWithAck"] = await SaturateAsync(async () =>
            (await jetStream.PublishAsync("bench.ceiling", payload)).EnsureSuccess());
        log.WriteLine($"  gateway static file {Rate("ceiling.gatewayStaticFile")}/s, PostgreSQL insert tx {Rate("ceiling.postgresInsertTransaction")}/s, JetStream publish+ack {Rate("ceiling.jetStreamPublishWithAck")}/s");
    }

    private object Rate(string key) => ((Dictionary<string, double>)Report[key])["perSecond"];

    private async Task<Dictionary<string, double>> SaturateAsync(Func<Task> operation)
    {
        var samples = new Samples();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            while (clock.Elapsed < options.CeilingDuration)
            {
                var started = clock.Elapsed;
                await operation();
                samples.Add(started.TotalSeconds, (clock.Elapsed - started).TotalMilliseconds);
            }
        }));
        var summary = samples.Summary();
        summary["perSecond"] = Math.Round(samples.Count / clock.Elapsed.TotalSeconds);
        return summary;
    }
}
