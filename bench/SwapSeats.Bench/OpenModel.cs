using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SwapSeats.Bench;

public sealed partial class Bench
{
    /// <summary>
    /// Purchases that <em>arrive</em> at a fixed rate, each by a distinct buyer, whatever the system's latency: reserve,
    /// pay as soon as payments knows the order, done when <c>order.completed</c> is published. Steps up the rate until
    /// latency breaks. One in twenty buyers never pays, so timers fall due while the load runs.
    /// </summary>
    private async Task OpenModelAsync()
    {
        var steps = new List<Dictionary<string, object>>();
        foreach (var rate in options.OpenRates)
        {
            var step = await OpenStepAsync(rate, options.OpenStepDuration);
            steps.Add(step);
            var reserveP99 = ((Dictionary<string, double>)step["reserveMs"])["p99"];
            var payP99 = ((Dictionary<string, double>)step["payMs"])["p99"];
            if ((double)step["achievedPerSecond"] < 0.8 * rate || reserveP99 > 1000 || payP99 > 1000)
            {
                log.WriteLine($"  latency broke at {rate}/s; no higher step");
                break;
            }
        }

        Report["open.steps"] = steps;
        await CheckInvariantsAsync("open");
    }

    private async Task<Dictionary<string, object>> OpenStepAsync(int rate, TimeSpan duration)
    {
        var count = Math.Max(1, (int)(rate * duration.TotalSeconds));
        log.WriteLine($"open model: {rate} purchases/s arriving for {duration.TotalSeconds:F0} s ({count} listed first)");
        var tickets = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var sellers = Math.Min(32, count);
        await SignUpAsync(count + sellers);
        await Task.WhenAll(Enumerable.Range(0, sellers).Select(async s =>
        {
            var seller = User();
            for (var i = s; i < count; i += sellers)
            {
                tickets.Enqueue(await ListAsync(seller));
            }
        }));
        await _ordersKnow.AllKnown(tickets);
        await Task.Delay(500); // let the listing's own events settle before the clock starts
        await EmailsSentAsync(); // and the previous step's emails go out

        var reserve = new Samples();
        var lag = new Samples();
        var pay = new Samples();
        var endToEnd = new Samples();
        var lateness = new Samples();
        var errors = 0;
        var notFound = 0;
        var purchases = 0;
        var costBefore = await _meter.TakeAsync();
        var clock = Stopwatch.StartNew();
        var stepEnds = DateTimeOffset.UtcNow + duration;
        var arrivals = new List<Task>(count);
        var stock = tickets.ToArray();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)rate);
            // One sleep per arrival, not a wake-up every millisecond: the generator must not load the machine it times.
            if (due - clock.Elapsed is { Ticks: > 0 } early)
            {
                await Task.Delay(early);
            }

            var ticket = stock[i];
            var pays = i % 20 != 19;
            arrivals.Add(Task.Run(async () =>
            {
                try
                {
                    var buyer = User();
                    var sent = DateTimeOffset.UtcNow;
                    var t0 = clock.Elapsed;
                    var ordered = await SendAsync(HttpMethod.Post, "/api/orders", buyer, new { ticketId = ticket });
                    var t1 = clock.Elapsed;
                    reserve.Add(t0.TotalSeconds, (t1 - t0).TotalMilliseconds);
                    if (ordered.StatusCode != HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref errors);
                        return;
                    }

                    var order = await ordered.Content.ReadFromJsonAsync<JsonElement>();
                    var orderId = order.GetProperty("id").GetString()!;
                    if (!pays)
                    {
                        var expiresAt = order.GetProperty("expiresAt").GetDateTimeOffset();
                        var cancelled = await _events.Next("order.cancelled", orderId);
                        if (expiresAt < stepEnds)
                        {
                            lateness.Add(t0.TotalSeconds, (cancelled - expiresAt).TotalMilliseconds);
                        }

                        return;
                    }

                    await _paymentsKnow.Known(orderId);
                    var t2 = clock.Elapsed;
                    lag.Add(t1.TotalSeconds, (t2 - t1).TotalMilliseconds);
                    HttpResponseMessage paid;
                    TimeSpan t3;
                    while (true)
                    {
                        t3 = clock.Elapsed;
                        paid = await SendAsync(HttpMethod.Post, "/api/payments", buyer, new { orderId, token = "tok_visa" });
                        if (paid.StatusCode != HttpStatusCode.NotFound)
                        {
                            break;
                        }

                        Interlocked.Increment(ref notFound);
                        await Task.Delay(5);
                    }

                    pay.Add(t3.TotalSeconds, (clock.Elapsed - t3).TotalMilliseconds);
                    if (paid.StatusCode != HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref errors);
                        return;
                    }

                    var completed = await _events.Next("order.completed", orderId);
                    endToEnd.Add(t0.TotalSeconds, (completed - sent).TotalMilliseconds);
                    Interlocked.Increment(ref purchases);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
            }));
        }

        var arrived = clock.Elapsed;
        var all = Task.WhenAll(arrivals);
        if (await Task.WhenAny(all, Task.Delay(options.ReservationWindow + TimeSpan.FromSeconds(60))) != all)
        {
            log.WriteLine("  some purchases did not finish within a minute");
        }

        var elapsed = clock.Elapsed;
        var paying = count - count / 20;
        var step = new Dictionary<string, object>
        {
            ["targetPerSecond"] = rate,
            ["arrivals"] = count,
            ["arrivalSeconds"] = Math.Round(arrived.TotalSeconds, 2),
            // Completed purchases over the time the paying ones took from the first arrival to the last completion.
            ["achievedPerSecond"] = Math.Round(purchases / Math.Max(arrived.TotalSeconds, LastCompletion(endToEnd)), 1),
            ["purchases"] = purchases,
            ["payingArrivals"] = paying,
            ["errors"] = errors,
            ["unfinished"] = arrivals.Count(a => !a.IsCompleted),
            ["paymentNotFoundRetries"] = notFound,
            ["reserveMs"] = reserve.Summary(),
            ["paymentsKnowsOrderMs"] = lag.Summary(),
            ["payMs"] = pay.Summary(),
            ["endToEndMs"] = endToEnd.Summary(),
            ["expiryLatenessMs"] = lateness.Summary(),
            ["cost"] = CostMeter.PerPurchase(costBefore, await _meter.TakeAsync(), purchases, elapsed),
        };
        log.WriteLine($"  achieved {step["achievedPerSecond"]}/s, {step["errors"]} errors; reserve p50 {reserve.Percentile(50):F0} p99 {reserve.Percentile(99):F0} ms; " +
                      $"payments knew the order p99 {lag.Percentile(99):F0} ms; pay p50 {pay.Percentile(50):F0} p99 {pay.Percentile(99):F0} ms; " +
                      $"end to end p50 {endToEnd.Percentile(50):F0} p99 {endToEnd.Percentile(99):F0} ms; expiry lateness p99 {lateness.Percentile(99):F0} ms; " +
                      $"{((Dictionary<string, object>)step["cost"])["cpuMsPerPurchaseTotal"]} ms CPU per purchase");
        return step;
    }

    /// <summary>Seconds from the step's start to the last completion (a sample's start plus its duration).</summary>
    private static double LastCompletion(Samples endToEnd) =>
        endToEnd.All.Count == 0 ? 0 : endToEnd.All.Max(s => s.At + s.Ms / 1000);
}
