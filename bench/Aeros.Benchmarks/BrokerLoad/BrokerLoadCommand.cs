using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>
/// <c>broker-load</c>: measures a bare Kestrel baseline (a child process), then starts <c>aeros broker</c> on a fresh on-disk data
/// directory and measures single creates, batch upserts (which load the store to <c>--entities</c>), GET by id and
/// two queries, each phase bounded by count and by <c>--duration</c>, each after a short unmeasured warm-up.
/// </summary>
internal sealed class BrokerLoadCommand
{
    private const string BroadQuery = "currentCpuUsage<50;ramCapacity>=8192";
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly BrokerLoadOptions options;
    private readonly EntityGenerator entities;
    private readonly bool[] stored;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private long nextEntity; // entity indices [0, nextEntity) have been sent to the broker
    private string? bareGc; // the GC the bare server was seen to use, if known
    private string storeLabel = ""; // appended to phase names when more than one store runs

    private BrokerLoadCommand(BrokerLoadOptions options)
    {
        this.options = options;
        entities = new EntityGenerator(options.Seed);
        stored = new bool[options.Entities];
    }

    /// <summary>Upper bound of requests of a read phase (sizes its latency array: 8 bytes each).</summary>
    private long ReadCap => Math.Max(100_000L, options.DurationSeconds * 100_000L);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = BrokerLoadOptions.Parse(args, out var error);
        if (options is null)
        {
            if (!string.IsNullOrEmpty(error))
            {
                Console.Error.WriteLine($"broker-load: {error}");
            }
            Console.Error.WriteLine(BrokerLoadOptions.Usage);
            return string.IsNullOrEmpty(error) ? 0 : 2;
        }
        return await Cancellable.RunAsync("broker-load", token => new BrokerLoadCommand(options).ExecuteAsync(token));
    }

    private async Task<int> ExecuteAsync(CancellationToken cancellationToken)
    {
        var report = new Report(MachineInfo.Describe(), string.Create(CultureInfo.InvariantCulture,
            $"{options.Entities:N0} entities, concurrency {options.Concurrency}, ≤ {options.DurationSeconds} s per phase "
            + $"after {WarmUp.TotalSeconds:0} s warm-up, batch size {options.BatchSize}, seed {options.Seed}, client {ClientName}, "
            + $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        AddLoadNote(report, "before the run", flagBusy: true);
        var exitCode = 0;
        using (var client = CreateClient())
        {
            try
            {
                var aeros = await BrokerProcess.ResolveAsync(options.AerosPath, cancellationToken); // fail (or build) first
                await RunBaselineAsync(client, report, cancellationToken);
                foreach (var store in options.Stores)
                {
                    nextEntity = 0;
                    Array.Clear(stored);
                    storeLabel = options.Stores.Count > 1 || store != "sqlite" ? $" [{store}]" : "";
                    await RunBrokerAsync(aeros, client, report, store, cancellationToken);
                }
            }
            catch (DriverException e)
            {
                Console.Error.WriteLine($"broker-load: {e.Message}");
                if (e.Output is not null)
                {
                    Console.Error.WriteLine($"Server output (last lines):\n{e.Output}");
                }
                report.Failure = e;
                exitCode = 1;
            }
        }
        AddLoadNote(report, "at the end (includes this run)", flagBusy: false);
        var markdown = report.ToMarkdown();
        Console.WriteLine();
        Console.Write(markdown);
        if (options.OutputPath is not null)
        {
            try
            {
                await File.WriteAllTextAsync(options.OutputPath, markdown, CancellationToken.None);
                Console.Error.WriteLine($"Report written to {Path.GetFullPath(options.OutputPath)}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"broker-load: cannot write {options.OutputPath}: {e.Message}");
                exitCode = 1;
            }
        }
        return exitCode;
    }

    /// <summary>The load client, as the report names it.</summary>
    private string ClientName => options.Client == LoadClientKind.Raw
        ? "raw (HTTP/1.1 over sockets, one keep-alive connection per worker)"
        : "httpclient (HttpClient, SocketsHttpHandler)";

    /// <summary>The client of the measured phases against <paramref name="baseAddress"/>, as chosen with <c>--client</c>.</summary>
    private ILoadClient CreateLoadClient(HttpClient client, Uri baseAddress) => options.Client == LoadClientKind.Raw
        ? new RawHttpLoadGenerator(baseAddress, options.Concurrency, LoadGenerator.Grace)
        : new HttpClientLoadClient(client, baseAddress, options.Concurrency);

    /// <summary>The HttpClient of the readiness probes and the body-size probe, and of the phases with <c>--client httpclient</c>.</summary>
    private HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        var client = new HttpClient(handler) { Timeout = LoadGenerator.Grace };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    private async Task RunBaselineAsync(HttpClient client, Report report, CancellationToken cancellationToken)
    {
        var body = entities.Entity(0);
        var bodyFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(bodyFile, body, cancellationToken);
            await using var bare = BareServer.Start(bodyFile);
            Progress($"bare server pid {bare.Id} at {bare.BaseAddress}, waiting until it answers");
            await bare.WaitUntilReadyAsync(client, BareServer.ReadyProbe, ReadyTimeout, cancellationToken);
            bareGc = bare.ObservedGc();
            var reported = bare.FirstLineStartingWith(BareServer.GcLinePrefix);
            Progress($"bare server ready; GC: {reported ?? "not reported"}, observed {bareGc ?? "unknown"}");
            using var load = CreateLoadClient(client, bare.BaseAddress);
            var get = NgsiLdRequests.GetOk(NgsiLdRequests.BareEntityPrefix, () => Random.Shared.Next(options.Entities));
            var result = await MeasureAsync(load, "bare Kestrel GET", get, ReadCap, cancellationToken);
            bare.EnsureRunning("the baseline");
            report.Baseline = new PhaseResult("Bare Kestrel GET (baseline)", "req/s", result,
                Note: $"separate process, pre-serialized {body.Length:N0}-byte entity body");
            report.Add(report.Baseline);
            var rss = bare.PeakRssKiB();
            report.AddNote($"Bare server GC: {reported ?? "not reported"} (observed: {bareGc ?? "unknown"})"
                + (rss is null ? "" : $", peak RSS {rss.Value / 1024.0:N0} MiB"));
        }
        finally
        {
            File.Delete(bodyFile);
        }
    }

    private async Task RunBrokerAsync(string aeros, HttpClient client, Report report, string store, CancellationToken cancellationToken)
    {
        if (store == "postgres")
        {
            Progress("starting a PostgreSQL 15 cluster (durable defaults)");
            await using var cluster = await Aeros.Testing.PostgresCluster.StartAsync(durable: true, cancellationToken);
            var connection = cluster.EnsureDatabase("aeros_bench");
            report.AddNote($"PostgreSQL store{storeLabel}: throwaway PostgreSQL 15 cluster on 127.0.0.1:{cluster.Port} (fsync on, synchronous_commit on), same machine and cores as the broker");
            var environment = BrokerProcess.IndexEnvironment(options.IndexedAttributes);
            environment["Broker__Store"] = "postgres";
            environment["Broker__PostgresConnectionString"] = connection;
            await RunBrokerAsync(aeros, client, report, environment, cancellationToken);
            return;
        }
        await RunBrokerAsync(aeros, client, report, BrokerProcess.IndexEnvironment(options.IndexedAttributes), cancellationToken);
    }

    private async Task RunBrokerAsync(string aeros, HttpClient client, Report report, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("aeros-bench-");
        report.AddNote($"Broker: `{aeros}`, data in {data.FullName} ({MachineInfo.FileSystemType(data.FullName) ?? "unknown file system"}), deleted after the run");
        report.AddNote(options.IndexedAttributes.Count == 0
            ? "Broker indexed attributes: none"
            : $"Broker indexed attributes (Broker__IndexedAttributes): {string.Join(", ", options.IndexedAttributes)}");
        try
        {
            await using var broker = BrokerProcess.Start(aeros, data.FullName, environment);
            Progress($"broker pid {broker.Id} at {broker.BaseAddress}, waiting until it answers");
            try
            {
                await broker.WaitUntilReadyAsync(client, BrokerProcess.ReadyProbe, ReadyTimeout, cancellationToken);
                var brokerGc = broker.ObservedGc();
                Progress($"broker ready; GC observed {brokerGc ?? "unknown"}");
                report.AddNote($"Broker GC (observed): {brokerGc ?? "unknown"}");
                if (brokerGc is not null && bareGc is not null && GcKind(brokerGc) != GcKind(bareGc))
                {
                    report.AddNote("**The broker and the bare server use different GCs: the ratio to bare is not a fair comparison**");
                }
                using var load = CreateLoadClient(client, broker.BaseAddress);
                await RunBrokerPhasesAsync(broker, load, client, report, cancellationToken);
            }
            finally
            {
                var rss = broker.PeakRssKiB();
                report.AddNote(rss is null ? $"Broker{storeLabel} peak RSS: unknown" : $"Broker{storeLabel} peak RSS (VmHWM): {rss.Value / 1024.0:N0} MiB");
            }
        }
        finally
        {
            DeleteDirectory(data);
        }
    }

    private async Task RunBrokerPhasesAsync(ChildProcess broker, ILoadClient load, HttpClient client, Report report, CancellationToken cancellationToken)
    {
        var n = options.Entities;

        // 1. Single creates: up to N/10 distinct entities (after up to N/100 in the warm-up).
        nextEntity += (await load.RunAsync(Create(nextEntity), Math.Max(1, n / 100), WarmUp, cancellationToken)).Operations;
        var createCount = Math.Min(Math.Max(1, n / 10), n - nextEntity);
        var createBodies = await PregenerateAsync("single-create", createCount, i => entities.Entity(nextEntity + i), cancellationToken);
        var creates = await load.RunAsync(Create(nextEntity, createBodies), createCount, options.Duration, cancellationToken);
        createBodies = null; // async locals outlive their use: let the bodies go
        nextEntity += creates.Operations;
        Progress($"creates: {creates.Throughput:N0}/s, {creates.ErrorCount:N0} errors");
        report.Add(new PhaseResult("Single create" + storeLabel, "req/s", creates, new Target(5_000)));
        broker.EnsureRunning("single creates");

        // 2. Batch upserts until the store holds N entities (a warm-up of up to a tenth of the rest first).
        var warmLimit = nextEntity + (n - nextEntity) / 10;
        if (warmLimit > nextEntity)
        {
            nextEntity = await UpsertUntilAsync(load, warmLimit, WarmUp, cancellationToken);
        }
        var batchStart = nextEntity;
        var batchBodies = await PregenerateAsync("batch", Batches(batchStart, n),
            i => entities.Batch(batchStart + i * options.BatchSize, BatchCount(batchStart, n, i)), cancellationToken);
        var batches = await load.RunAsync(Upsert(batchStart, n, batchBodies), batchBodies.LongLength, options.Duration, cancellationToken);
        batchBodies = null; // likewise
        nextEntity = Math.Min(n, batchStart + batches.Operations * options.BatchSize);
        Progress($"batch upsert: {batches.Throughput:N0} entities/s, {batches.ErrorCount:N0} errors");
        report.Add(new PhaseResult($"Batch upsert ({options.BatchSize}/request){storeLabel}", "entities/s", batches, new Target(30_000),
            $"{batches.Units:N0} entities acknowledged in {batches.Succeeded:N0} of {batches.Operations:N0} requests"));
        broker.EnsureRunning("batch upserts");
        if (nextEntity < n)
        {
            var fillTimeout = TimeSpan.FromSeconds(Math.Max(60, 10 * options.DurationSeconds));
            Progress($"loading the remaining {n - nextEntity:N0} entities (unmeasured, ≤ {fillTimeout.TotalSeconds:0} s)");
            nextEntity = await UpsertUntilAsync(load, n, fillTimeout, cancellationToken);
        }
        broker.EnsureRunning("loading the store");
        var storedIndices = Enumerable.Range(0, n).Where(i => stored[i]).ToArray();
        report.AddNote($"Store holds {storedIndices.Length:N0} of {n:N0} entities acknowledged by the broker ({nextEntity:N0} sent)");
        if (storedIndices.Length == 0)
        {
            report.AddNote("No entity was acknowledged: the read phases ask for ids that were sent but may not exist");
            storedIndices = Enumerable.Range(0, (int)Math.Max(1, nextEntity)).ToArray();
        }
        int Pick() => storedIndices[Random.Shared.Next(storedIndices.Length)];

        // 3. GET by id.
        var probe = await NgsiLdRequests.GetBodyLengthAsync(client, broker.BaseAddress, EntityGenerator.Id(Pick()), cancellationToken);
        var gets = await MeasureAsync(load, "GET by id", NgsiLdRequests.GetById(() => Pick()), ReadCap, cancellationToken);
        report.Add(new PhaseResult("GET entity by id" + storeLabel, "req/s", gets, new Target(15_000, 0.33),
            probe is null ? null : $"broker body {probe.Value:N0} bytes"));
        broker.EnsureRunning("GET by id");

        // 4. Queries by type + q, limit 100.
        var broadCounts = new ResultCounter();
        var broad = await MeasureAsync(load, "broad query", NgsiLdRequests.Query(BroadQuery, 1, 100, broadCounts), ReadCap, cancellationToken);
        report.Add(new PhaseResult($"Query `q={BroadQuery}`{storeLabel}", "req/s", broad, new Target(3_000), broadCounts.ToString()));
        broker.EnsureRunning("the broad query");

        var selectiveCounts = new ResultCounter();
        var selective = await MeasureAsync(load, "selective query", NgsiLdRequests.HostnameQuery(() => Pick(), selectiveCounts),
            ReadCap, cancellationToken);
        report.Add(new PhaseResult("Query `q=hostname==\"ie-<i>\"`" + storeLabel, "req/s", selective, new Target(3_000), selectiveCounts.ToString()));
        broker.EnsureRunning("the selective query");
    }

    /// <summary>Warms up with <paramref name="phase"/> for about a second, then measures it.</summary>
    private async Task<LoadResult> MeasureAsync(ILoadClient load, string name, HttpPhase phase, long maxOperations, CancellationToken cancellationToken)
    {
        Progress($"{name}: warm-up");
        await load.RunAsync(phase, maxOperations, WarmUp, cancellationToken);
        var result = await load.RunAsync(phase, maxOperations, options.Duration, cancellationToken);
        Progress($"{name}: {result.Throughput:N0}/s, p99 {Report.Ms(result.PercentileMs(99))} ms, {result.ErrorCount:N0} errors");
        return result;
    }

    /// <summary>
    /// Generates request bodies before a measured write phase, on all cores, so that the driver does not spend the
    /// cores it shares with the broker on JSON while measuring.
    /// </summary>
    private async Task<byte[][]> PregenerateAsync(string what, long count, Func<long, byte[]> generate, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var bodies = new byte[count][];
        var parallel = new ParallelOptions { CancellationToken = cancellationToken };
        await Task.Run(() => Parallel.For(0L, count, parallel, i => bodies[i] = generate(i)), cancellationToken);
        var megabytes = bodies.Sum(b => (long)b.Length) / 1048576.0;
        Progress(string.Create(CultureInfo.InvariantCulture,
            $"generated {count:N0} {what} bodies ({megabytes:N0} MiB) in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s"));
        return bodies;
    }

    /// <summary>Single creates of entities from <paramref name="firstIndex"/> on, with pre-generated bodies if given.</summary>
    private HttpPhase Create(long firstIndex, byte[][]? bodies = null) => NgsiLdRequests.Create(
        i => bodies?[i] ?? entities.Entity(firstIndex + i),
        i => stored[firstIndex + i] = true);

    /// <summary>Batch upserts of entities [<paramref name="firstIndex"/>, <paramref name="endIndex"/>), with pre-generated bodies if given.</summary>
    private HttpPhase Upsert(long firstIndex, long endIndex, byte[][]? bodies = null) => NgsiLdRequests.Upsert(
        i => bodies?[i] ?? entities.Batch(firstIndex + i * options.BatchSize, BatchCount(firstIndex, endIndex, i)),
        i => BatchCount(firstIndex, endIndex, i),
        i => Array.Fill(stored, true, (int)(firstIndex + i * options.BatchSize), BatchCount(firstIndex, endIndex, i)));

    private int BatchCount(long firstIndex, long endIndex, long batch) =>
        (int)Math.Min(options.BatchSize, endIndex - (firstIndex + batch * options.BatchSize));

    private long Batches(long firstIndex, long endIndex) => (endIndex - firstIndex + options.BatchSize - 1) / options.BatchSize;

    /// <summary>Unmeasured upserts of entities [nextEntity, endIndex) for at most <paramref name="timeout"/>; returns the new nextEntity.</summary>
    private async Task<long> UpsertUntilAsync(ILoadClient load, long endIndex, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = nextEntity;
        var result = await load.RunAsync(Upsert(start, endIndex), Batches(start, endIndex), timeout, cancellationToken);
        return Math.Min(endIndex, start + result.Operations * options.BatchSize);
    }

    private static string GcKind(string observed) => observed.Split(' ')[0];

    /// <summary>Notes the load average: other work on the machine takes cores from both the driver and the broker.</summary>
    private static void AddLoadNote(Report report, string when, bool flagBusy)
    {
        if (MachineInfo.LoadAverage() is not [var one, var five, var fifteen])
        {
            return;
        }
        var busy = flagBusy && one > 0.5 * Environment.ProcessorCount
            ? " — **the machine was busy with other work; the figures are not representative**"
            : "";
        report.AddNote(string.Create(CultureInfo.InvariantCulture, $"Load average {when}: {one:0.00} {five:0.00} {fifteen:0.00}{busy}"));
    }

    private void Progress(string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,6:0.0} s] {message}"));

    private static void DeleteDirectory(DirectoryInfo directory)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                directory.Refresh();
                if (directory.Exists)
                {
                    directory.Delete(recursive: true);
                }
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (attempt == 5)
                {
                    Console.Error.WriteLine($"warning: could not delete {directory.FullName}: {e.Message}");
                    return;
                }
                Thread.Sleep(200);
            }
        }
    }
}
