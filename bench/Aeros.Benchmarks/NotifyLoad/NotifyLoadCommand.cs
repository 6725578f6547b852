using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Benchmarks.BrokerLoad;

namespace Aeros.Benchmarks.NotifyLoad;

/// <summary>
/// <c>notify-load</c>: starts <c>aeros broker</c> (a child process) and an in-process notification receiver, then
/// measures (1) attribute writes/s with no subscription — the baseline; (2) write-acknowledged → notification-received
/// latency with one subscription per entity under a paced write rate; (3) writes/s with healthy subscribers;
/// (4) writes/s when every subscriber is slow or dead, in rounds that alternate with writes to the same entities in a
/// tenant no subscription watches (the machine drifts, so each round compares neighbouring segments and the median
/// round is reported); (5) notifications/s at saturation, every write notifying every subscription. Every measured
/// phase follows an unmeasured warm-up of its own code paths.
/// </summary>
internal sealed class NotifyLoadCommand(NotifyLoadOptions options)
{
    private const string EntityType = "Sensor";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Unmeasured writes before each measured phase, so JIT compilation and tiering of its code paths fall outside it.</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly string Api = "ngsi-ld/v1/";
    private const string TenantHeader = "NGSILD-Tenant";

    /// <summary>The tenant whose entities no subscription watches (the interleaved baseline of the slow/dead phase).</summary>
    private const string BaselineTenant = "notifyloadbaseline";

    private readonly List<string> rows = [];
    private readonly List<string> notes = [];
    private long nextOp; // the op number of the next write: unique over the run, so every notification names its write
    private Gateway.ProcessCpu? brokerCpu;
    private readonly Gateway.ProcessCpu driverCpu = Gateway.ProcessCpu.Of(Environment.ProcessId);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = NotifyLoadOptions.Parse(args, out var error);
        if (options is null)
        {
            if (!string.IsNullOrEmpty(error))
            {
                Console.Error.WriteLine($"notify-load: {error}");
            }
            Console.Error.WriteLine(NotifyLoadOptions.Usage);
            return string.IsNullOrEmpty(error) ? 0 : 2;
        }
        return await Cancellable.RunAsync("notify-load", token => new NotifyLoadCommand(options).ExecuteAsync(token));
    }

    private async Task<int> ExecuteAsync(CancellationToken cancellationToken)
    {
        var inv = CultureInfo.InvariantCulture;
        var exitCode = 0;
        var data = Path.Combine(Path.GetTempPath(), "aeros-notify-load-" + Guid.NewGuid().ToString("N"));
        string? failure = null;
        try
        {
            var aeros = await BrokerProcess.ResolveAsync(options.AerosPath, cancellationToken);
            await using var receiver = await NotificationReceiver.StartAsync(cancellationToken);
            // Slow subscribers are another server: a receiver's own slowness should cost only its own notifications.
            await using var slowReceiver = await NotificationReceiver.StartAsync(cancellationToken);
            await using var broker = BrokerProcess.Start(aeros, data, options.BrokerEnvironment);
            brokerCpu = Gateway.ProcessCpu.Of(broker.Id);
            using var client = CreateClient(broker.BaseAddress);
            await broker.WaitUntilReadyAsync(client, BrokerProcess.ReadyProbe, ReadyTimeout, cancellationToken);
            try
            {
                await RunPhasesAsync(client, receiver, slowReceiver, cancellationToken);
            }
            catch (DriverException e)
            {
                failure = e.Message + (e.Output is null ? "" : "\n" + broker.RecentOutput);
            }
            if (failure is null && broker.PeakRssKiB() is { } rss)
            {
                notes.Add(string.Create(inv, $"Broker peak RSS {rss / 1024.0:0} MiB."));
            }
        }
        catch (DriverException e)
        {
            failure = e.Message;
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        if (failure is not null)
        {
            Console.Error.WriteLine($"notify-load: {failure}");
            exitCode = 1;
        }

        var md = new StringBuilder();
        md.AppendLine("# Aeros notification load").AppendLine();
        md.AppendLine(inv, $"- Machine: {MachineInfo.Describe()}");
        md.AppendLine(inv, $"- Run: {options.Subscriptions:N0} subscriptions and entities, latency phase at {options.Rate:N0} writes/s, "
            + $"≤ {options.DurationSeconds} s per write phase, {options.Concurrency} connections, {options.SaturationWrites} saturation writes, "
            + $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC").AppendLine();
        md.AppendLine("| Phase | Figure | Baseline (same run) | Ratio | Target |");
        md.AppendLine("|---|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            md.AppendLine(row);
        }
        md.AppendLine();
        foreach (var note in notes)
        {
            md.AppendLine(inv, $"- {note}");
        }
        if (failure is not null)
        {
            md.AppendLine().AppendLine(inv, $"**Driver failure**: {failure}");
        }
        Console.WriteLine();
        Console.Write(md.ToString());
        if (options.OutputPath is not null)
        {
            await File.WriteAllTextAsync(options.OutputPath, md.ToString(), CancellationToken.None);
        }
        return exitCode;
    }

    private (double Broker, double Driver) CpuSeconds() =>
        (brokerCpu?.Seconds() ?? 0, driverCpu.Seconds());

    private static double PerWrite(double cpuSeconds, WriteRun run) =>
        run.Acks.Count == 0 ? 0 : cpuSeconds * 1e6 / run.Acks.Count;

    private async Task RunPhasesAsync(HttpClient client, NotificationReceiver receiver, NotificationReceiver slowReceiver, CancellationToken cancellationToken)
    {
        var inv = CultureInfo.InvariantCulture;
        var n = options.Subscriptions;
        Progress($"creating {n:N0} entities");
        await CreateEntitiesAsync(client, n, null, cancellationToken);
        // The same entities in a tenant no subscription ever watches: the slow/dead phase alternates writes there
        // (its baseline) with writes to the watched ones, so both are measured at the same moment of the run.
        await CreateEntitiesAsync(client, n, BaselineTenant, cancellationToken);

        // 1. Baseline: writes with no subscription at all.
        Progress("phase 1: writes, no subscriptions (baseline)");
        await WritesAsync(client, WarmUp, null, cancellationToken); // warm-up (JIT, tiering, SQLite cache)
        var baseline = await WritesAsync(client, options.Duration, null, cancellationToken);
        rows.Add(string.Create(inv, $"| Writes/s, no subscriptions | {baseline.PerSecond:N0} writes/s (p99 {baseline.P99Ms:0.0} ms) | – | – | baseline |"));

        // 2. Latency: one subscription per entity, paced writes, each notifying exactly one subscription.
        Progress($"creating {n:N0} subscriptions (one per entity)");
        var ids = await CreateSubscriptionsAsync(client, n, perEntity: true, new Uri(receiver.BaseAddress, "notify"), cancellationToken);
        var expected = (int)Math.Min(int.MaxValue - 1, (long)options.Rate * (options.DurationSeconds + WarmUp.TotalSeconds) + 1);
        receiver.Track((int)Math.Min(int.MaxValue - 1, Interlocked.Read(ref nextOp) + expected + 1_000));
        Progress($"phase 2: latency at {options.Rate:N0} writes/s");
        // Warm-up like the baseline's: the notification path (matching, rendering, the receiver's connections) is
        // JIT-compiled and tiered up here, not inside the measured seconds.
        var warm = await WritesAsync(client, WarmUp, options.Rate, cancellationToken);
        await WaitAsync(() => CountArrived(receiver, warm) >= warm.Acks.Count, DrainTimeout, cancellationToken);
        var paced = await WritesAsync(client, options.Duration, options.Rate, cancellationToken);
        await WaitAsync(() => CountArrived(receiver, paced) >= paced.Acks.Count, DrainTimeout, cancellationToken);
        var latencies = paced.Acks
            .Where(a => receiver.ArrivalOf(a.Op) != 0)
            .Select(a => Math.Max(0, Stopwatch.GetElapsedTime(a.AckTimestamp, receiver.ArrivalOf(a.Op)).TotalMilliseconds))
            .Order()
            .ToArray();
        var arrived = latencies.Length;
        rows.Add(string.Create(inv,
            $"| Write ack → notification, {options.Rate:N0} writes/s × 1 subscription each | p50 {Pct(latencies, 50):0.0} ms, p99 {Pct(latencies, 99):0.0} ms, max {Pct(latencies, 100):0.0} ms | – | – | p99 ≤ 50 ms — {(arrived > 0 && Pct(latencies, 99) <= 50 ? "met" : "**missed**")} |"));
        notes.Add(string.Create(inv,
            $"Latency phase: {paced.Acks.Count:N0} writes acknowledged at {paced.PerSecond:N0}/s (asked {options.Rate:N0}/s, {paced.Errors:N0} errors), {arrived:N0} notifications matched to their write ({paced.Acks.Count - arrived:N0} missing after {DrainTimeout.TotalSeconds:0} s)."));

        // 3. Writes with healthy subscribers, unpaced.
        Progress("phase 3: writes, healthy subscribers");
        await WritesAsync(client, WarmUp, null, cancellationToken);
        var healthy = await WritesAsync(client, options.Duration, null, cancellationToken);

        // 4. The same subscriptions, their receivers slow (half) or dead (half).
        Progress("phase 4: writes, slow and dead subscribers");
        var dead = new Uri($"http://127.0.0.1:{ClosedPort()}/dead");
        var slow = new Uri(slowReceiver.BaseAddress, "slow");
        for (var i = 0; i < ids.Count; i++)
        {
            var toDead = options.Broken == "dead" || (options.Broken == "both" && i % 2 == 0);
            await PatchEndpointAsync(client, ids[i], toDead ? dead : slow, cancellationToken);
        }
        await WritesAsync(client, WarmUp, null, cancellationToken); // the failure paths warm up too
        await WritesAsync(client, WarmUp, null, cancellationToken, tenant: BaselineTenant);
        // Rounds of a baseline segment and a slow/dead segment: this VM drifts by tens of percent over a minute, so each
        // round's ratio compares two neighbouring segments and the median of the rounds is reported. Every other round
        // runs the slow/dead segment first, so neither kind always follows the other (drift, leftovers of a segment).
        var rounds = new List<(double Baseline, double Broken, double BaselineCpu, double BrokenCpu)>();
        for (var round = 0; round < options.Rounds; round++)
        {
            var brokenFirst = round % 2 == 1;
            // [0] the baseline segment, [1] the slow/dead one.
            var segments = new (WriteRun Run, double Broker, double Driver)[2];
            for (var part = 0; part < 2; part++)
            {
                var isBaseline = (part == 0) != brokenFirst;
                Progress($"phase 4 round {round + 1}: {(isBaseline ? "baseline" : "slow/dead")} segment");
                var (startCpu, driverStartCpu) = CpuSeconds();
                var run = await WritesAsync(client, options.Segment, null, cancellationToken, tenant: isBaseline ? BaselineTenant : null);
                var (endCpu, driverEndCpu) = CpuSeconds();
                segments[isBaseline ? 0 : 1] = (run, PerWrite(endCpu - startCpu, run), PerWrite(driverEndCpu - driverStartCpu, run));
            }
            var (reference, measured) = (segments[0], segments[1]);
            rounds.Add((reference.Run.PerSecond, measured.Run.PerSecond, reference.Broker, measured.Broker));
            // CPU per write does not depend on what other work left of the cores: it tells cost from scheduling.
            notes.Add(string.Create(inv,
                $"Slow/dead round {round + 1}{(brokenFirst ? " (slow/dead first)" : "")}: baseline {reference.Run.PerSecond:N0} writes/s, broker {reference.Broker:0.0} µs CPU/write, driver {reference.Driver:0.0}; "
                + $"slow/dead {measured.Run.PerSecond:N0} writes/s, broker {measured.Broker:0.0} µs CPU/write, driver {measured.Driver:0.0}; ratio {measured.Run.PerSecond / reference.Run.PerSecond * 100:0}%."));
        }
        var roundRatios = rounds.Select(r => r.Broken / r.Baseline).Order().ToArray();
        var ratio = Median(roundRatios);
        var baselineCpu = rounds.Select(r => r.BaselineCpu).Order().ToArray();
        var brokenCpu = rounds.Select(r => r.BrokenCpu).Order().ToArray();
        notes.Add(string.Create(inv,
            $"Slow/dead phase, broker CPU per write (median of {rounds.Count} rounds, range): baseline segments {Median(baselineCpu):0.0} µs ({baselineCpu[0]:0.0}–{baselineCpu[^1]:0.0}), "
            + $"slow/dead segments {Median(brokenCpu):0.0} µs ({brokenCpu[0]:0.0}–{brokenCpu[^1]:0.0}); difference of the medians {Median(brokenCpu) - Median(baselineCpu):0.0} µs."));
        var (sent, failed, dropped) = await SubscriptionTotalsAsync(client, cancellationToken);
        notes.Add(string.Create(inv, $"Slow/dead phase: subscriptions report timesSent {sent:N0}, timesFailed {failed:N0}, timesDropped {dropped:N0}."));
        foreach (var id in ids)
        {
            await DeleteAsync(client, "subscriptions/" + Uri.EscapeDataString(id), cancellationToken);
        }

        // The baseline again, now that no subscription is left: the machine drifts, so the slow/dead phase is compared
        // with the mean of the baselines measured before and after it.
        Progress("phase 4b: writes, no subscriptions (baseline again)");
        var baselineAfter = await WritesAsync(client, options.Duration, null, cancellationToken);
        var meanBaseline = (baseline.PerSecond + baselineAfter.PerSecond) / 2;
        rows.Add(string.Create(inv, $"| Writes/s, no subscriptions (again, after the subscription phases) | {baselineAfter.PerSecond:N0} writes/s (p99 {baselineAfter.P99Ms:0.0} ms) | – | – | baseline |"));
        rows.Add(string.Create(inv, $"| Writes/s, {n:N0} subscriptions, healthy receiver | {healthy.PerSecond:N0} writes/s | {meanBaseline:N0} (mean) | {healthy.PerSecond / meanBaseline * 100:0}% | – |"));
        rows.Add(string.Create(inv,
            $"| Writes/s, {n:N0} subscriptions, receivers {BrokenDescription} ({options.Rounds} rounds of {options.SegmentSeconds} s + {options.SegmentSeconds} s) | {rounds.Average(r => r.Broken):N0} writes/s, broker {Median(brokenCpu):0.0} µs CPU/write | {rounds.Average(r => r.Baseline):N0} (interleaved), broker {Median(baselineCpu):0.0} µs CPU/write | {ratio * 100:0}% (median; {roundRatios[0] * 100:0}–{roundRatios[^1] * 100:0}%) | ≥ 90% of baseline — {(ratio >= 0.9 ? "met" : "**missed**")} |"));

        // 5. Saturation: every subscription matches every write.
        Progress($"phase 5: saturation, {options.SaturationWrites} writes × {n:N0} subscriptions");
        ids = await CreateSubscriptionsAsync(client, n, perEntity: false, new Uri(receiver.BaseAddress, "notify"), cancellationToken);
        var before = receiver.Received;
        var target = before + (long)options.SaturationWrites * n;
        var started = Stopwatch.GetTimestamp();
        var burst = await WritesAsync(client, TimeSpan.FromMinutes(5), null, cancellationToken, maxWrites: options.SaturationWrites, concurrency: 4);
        await WaitAsync(() => receiver.Received >= target, DrainTimeout, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var delivered = receiver.Received - before;
        var rate = delivered / elapsed;
        (sent, failed, dropped) = await SubscriptionTotalsAsync(client, cancellationToken);
        rows.Add(string.Create(inv,
            $"| Notifications/s at saturation ({burst.Acks.Count:N0} writes × {n:N0} subscriptions) | {rate:N0} notifications/s | – | – | ≥ 10,000/s — {(rate >= 10_000 ? "met" : "**missed**")} |"));
        notes.Add(string.Create(inv,
            $"Saturation phase: {delivered:N0} of {(long)burst.Acks.Count * n:N0} notifications received in {elapsed:0.0} s; subscriptions report timesSent {sent:N0}, timesFailed {failed:N0}, timesDropped {dropped:N0}; {receiver.Unparsable:N0} bodies without an op number."));
    }

    private string BrokenDescription => options.Broken switch
    {
        "slow" => "slow (2 s)",
        "dead" => "dead (refused)",
        _ => "slow (2 s) or dead",
    };

    private static double Pct(double[] sorted, double percentile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>The median of sorted values (mean of the middle two for an even count).</summary>
    private static double Median(double[] sorted) =>
        sorted.Length == 0 ? double.NaN
        : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
        : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;

    private static int CountArrived(NotificationReceiver receiver, WriteRun run)
    {
        var count = 0;
        foreach (var ack in run.Acks)
        {
            if (receiver.ArrivalOf(ack.Op) != 0)
            {
                count++;
            }
        }
        return count;
    }

    private static void Progress(string what) => Console.Error.WriteLine($"notify-load: {what}");

    private static HttpClient CreateClient(Uri baseAddress) => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        MaxConnectionsPerServer = 1024,
        UseProxy = false,
    })
    {
        BaseAddress = baseAddress,
        Timeout = RequestTimeout,
    };

    private static string EntityId(long i) => string.Create(CultureInfo.InvariantCulture, $"urn:ngsi-ld:{EntityType}:{i:D6}");

    private async Task CreateEntitiesAsync(HttpClient client, int count, string? tenant, CancellationToken cancellationToken)
    {
        for (var start = 0; start < count; start += 500)
        {
            var batch = new JsonArray();
            for (var i = start; i < Math.Min(count, start + 500); i++)
            {
                batch.Add(new JsonObject
                {
                    ["id"] = EntityId(i),
                    ["type"] = EntityType,
                    ["op"] = new JsonObject { ["type"] = "Property", ["value"] = -1 },
                });
            }
            await SendAsync(client, HttpMethod.Post, "entityOperations/upsert", batch, cancellationToken, tenant);
        }
    }

    private static async Task<List<string>> CreateSubscriptionsAsync(HttpClient client, int count, bool perEntity, Uri endpoint, CancellationToken cancellationToken)
    {
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"urn:ngsi-ld:Subscription:load-{Guid.NewGuid():N}");
            var entity = new JsonObject { ["type"] = EntityType };
            if (perEntity)
            {
                entity["id"] = EntityId(i);
            }
            var subscription = new JsonObject
            {
                ["id"] = id,
                ["type"] = "Subscription",
                ["entities"] = new JsonArray(entity),
                ["watchedAttributes"] = new JsonArray("op"),
                ["notification"] = Notification(endpoint),
            };
            await SendAsync(client, HttpMethod.Post, "subscriptions", subscription, cancellationToken);
            ids.Add(id);
        }
        return ids;
    }

    private static JsonObject Notification(Uri endpoint) => new()
    {
        ["attributes"] = new JsonArray("op"),
        ["format"] = "keyValues",
        ["endpoint"] = new JsonObject { ["uri"] = endpoint.ToString(), ["accept"] = "application/json" },
    };

    private static Task PatchEndpointAsync(HttpClient client, string id, Uri endpoint, CancellationToken cancellationToken) =>
        SendAsync(client, HttpMethod.Patch, "subscriptions/" + Uri.EscapeDataString(id), new JsonObject { ["notification"] = Notification(endpoint) }, cancellationToken);

    private static async Task<(long Sent, long Failed, long Dropped)> SubscriptionTotalsAsync(HttpClient client, CancellationToken cancellationToken)
    {
        long sent = 0, failed = 0, dropped = 0;
        for (var offset = 0; offset < 1_000_000; offset += 1000)
        {
            using var response = await client.GetAsync(Api + "subscriptions?limit=1000&offset=" + offset.ToString(CultureInfo.InvariantCulture), cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode || JsonNode.Parse(text) is not JsonArray page)
            {
                throw new DriverException($"GET subscriptions answered {(int)response.StatusCode}: {text}");
            }
            foreach (var subscription in page)
            {
                var notification = subscription?["notification"];
                sent += (long?)notification?["timesSent"] ?? 0;
                failed += (long?)notification?["timesFailed"] ?? 0;
                dropped += (long?)notification?["timesDropped"] ?? 0;
            }
            if (page.Count < 1000)
            {
                break;
            }
        }
        return (sent, failed, dropped);
    }

    private static async Task DeleteAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.DeleteAsync(Api + path, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new DriverException($"DELETE {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    private static async Task SendAsync(HttpClient client, HttpMethod method, string path, JsonNode body, CancellationToken cancellationToken,
        string? tenant = null)
    {
        using var request = new HttpRequestMessage(method, Api + path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (tenant is not null)
        {
            request.Headers.Add(TenantHeader, tenant);
        }
        using var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new DriverException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>One acknowledged write: its op number and when its 204 arrived.</summary>
    private readonly record struct Ack(long Op, long AckTimestamp);

    private sealed record WriteRun(List<Ack> Acks, double PerSecond, double P99Ms, long Errors);

    /// <summary>
    /// PATCHes <c>op</c> on the entities round-robin until <paramref name="duration"/> or <paramref name="maxWrites"/>;
    /// closed-loop on <c>--concurrency</c> connections, or paced at <paramref name="rate"/> writes/s (open loop).
    /// </summary>
    private async Task<WriteRun> WritesAsync(HttpClient client, TimeSpan duration, int? rate, CancellationToken cancellationToken,
        long maxWrites = long.MaxValue, int? concurrency = null, string? tenant = null)
    {
        var acks = new List<Ack>();
        var writeLatencies = new List<double>();
        long errors = 0, issued = 0;
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var gate = new Lock();
        async Task Worker()
        {
            var mine = new List<Ack>();
            var myLatencies = new List<double>();
            while (!cancellationToken.IsCancellationRequested)
            {
                var k = Interlocked.Increment(ref issued) - 1;
                if (k >= maxWrites)
                {
                    break;
                }
                if (rate is { } r)
                {
                    var due = started + (long)(k * (double)Stopwatch.Frequency / r);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(wait, cancellationToken);
                    }
                }
                if (Stopwatch.GetTimestamp() >= end)
                {
                    break;
                }
                var op = Interlocked.Increment(ref nextOp) - 1;
                var id = EntityId(op % options.Subscriptions);
                var body = "{\"op\":{\"type\":\"Property\",\"value\":" + op.ToString(CultureInfo.InvariantCulture) + "}}";
                using var request = new HttpRequestMessage(HttpMethod.Patch, Api + "entities/" + id + "/attrs")
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                if (tenant is not null)
                {
                    request.Headers.Add(TenantHeader, tenant);
                }
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.SendAsync(request, cancellationToken);
                    var t1 = Stopwatch.GetTimestamp();
                    if (response.StatusCode == HttpStatusCode.NoContent)
                    {
                        mine.Add(new Ack(op, t1));
                        myLatencies.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors); // the request's own timeout
                }
            }
            lock (gate)
            {
                acks.AddRange(mine);
                writeLatencies.AddRange(myLatencies);
            }
        }
        var workers = Enumerable.Range(0, concurrency ?? options.Concurrency).Select(_ => Task.Run(Worker, CancellationToken.None)).ToArray();
        await Task.WhenAll(workers);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var sorted = writeLatencies.Order().ToArray();
        return new WriteRun(acks, acks.Count / seconds, Pct(sorted, 99), errors);
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition() && Stopwatch.GetElapsedTime(started) < timeout)
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>A loopback port nobody listens on (bound, then released): connections to it are refused.</summary>
    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
