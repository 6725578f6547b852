using System.Diagnostics;
using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Xunit.Abstractions;

namespace Aeros.Broker.Tests.Storage;

/// <summary>
/// Load figures of the store, printed to the test output (run with <c>--logger "console;verbosity=detailed"</c>).
/// They check correctness, not speed, so a slow machine does not fail them; the figures are for reading.
/// By default they run at a tenth of the size to keep the suite fast; set <c>AEROS_PERF_FULL=1</c> for the
/// full figures (use a Release build).
/// </summary>
[Trait("Category", "Performance")]
public sealed class SqliteEntityStorePerformanceTests(ITestOutputHelper output)
{
    private const int Callers = 64;

    private static readonly int Scale = Environment.GetEnvironmentVariable("AEROS_PERF_FULL") == "1" ? 10 : 1;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Throughput_SingleCreatesBatchesAndReads(bool durable)
    {
        await using var temp = await TempStore.CreateAsync(durable);
        var store = temp.Store;
        var sample = Realistic("urn:sample");
        output.WriteLine($"durable={durable}; entity body {StoredEntityCodec.Encode(sample).Length} bytes; " +
            $"load average {LoadAverage()}; baseline fsync of 4 KB appends: {FsyncMicros(temp.Directory):F0} µs/op");

        // Single creates, one write per call, from concurrent callers (group commit batches them).
        var singleCount = 2_000 * Scale;
        var singles = Enumerable.Range(0, singleCount).Select(i => Realistic($"urn:ngsi-ld:Single:{i:D7}")).ToArray();
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < singleCount)
            {
                var entity = singles[i];
                Assert.True(await store.WriteAsync(Tenants.Default, false, s => s.Insert(entity), CancellationToken.None));
            }
        }))).WaitAsync(TimeSpan.FromMinutes(2));
        Report("single creates, 64 callers", singleCount, watch.Elapsed);
        var (commits, items) = store.WriteGroups;
        output.WriteLine($"  group commit: {commits} transactions, {(double)items / commits:F1} writes each on average");

        // Batches of 1000 entities per write, one caller.
        var batchedCount = 10_000 * Scale;
        var batches = Enumerable.Range(0, batchedCount / 1000)
            .Select(b => Enumerable.Range(b * 1000, 1000).Select(i => Realistic($"urn:ngsi-ld:Batch:{i:D7}")).ToList())
            .ToList();
        watch.Restart();
        foreach (var batch in batches)
        {
            await store.WriteAsync(Tenants.Default, false, s => batch.Count(s.Insert), CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
        }
        Report("batched creates (1000 per write)", batchedCount, watch.Elapsed);

        // Read-modify-write updates from concurrent callers.
        var updateCount = 1_000 * Scale;
        next = -1;
        watch.Restart();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < updateCount)
            {
                var id = $"urn:ngsi-ld:Single:{i:D7}";
                await store.WriteAsync(Tenants.Default, false, s =>
                {
                    var entity = s.Get(id)!;
                    entity.Attributes["https://example.org/speed"][0].Value = i;
                    s.Update(entity);
                    return 0;
                }, CancellationToken.None);
            }
        }))).WaitAsync(TimeSpan.FromMinutes(2));
        Report("read-modify-write updates, 64 callers", updateCount, watch.Elapsed);

        // GET by id, one thread, against a codec-only baseline (decode of the same bytes).
        var getCount = 5_000 * Scale;
        for (var i = 0; i < 1000; i++)
        {
            await store.GetAsync(Tenants.Default, $"urn:ngsi-ld:Batch:{i:D7}", CancellationToken.None);
        }
        watch.Restart();
        for (var i = 0; i < getCount; i++)
        {
            Assert.NotNull(await store.GetAsync(Tenants.Default, $"urn:ngsi-ld:Batch:{i * 7 % batchedCount:D7}", CancellationToken.None));
        }
        var getMicros = watch.Elapsed.TotalMicroseconds / getCount;
        var bytes = StoredEntityCodec.Encode(sample);
        watch.Restart();
        for (var i = 0; i < getCount; i++)
        {
            StoredEntityCodec.Decode(bytes);
        }
        var decodeMicros = watch.Elapsed.TotalMicroseconds / getCount;
        output.WriteLine($"GET by id, 1 thread: {getMicros:F1} µs/op (baseline, decode alone: {decodeMicros:F1} µs/op)");

        // GET by id from all cores.
        next = -1;
        watch.Restart();
        await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < getCount)
            {
                await store.GetAsync(Tenants.Default, $"urn:ngsi-ld:Batch:{i * 7 % batchedCount:D7}", CancellationToken.None);
            }
        }))).WaitAsync(TimeSpan.FromMinutes(1));
        Report($"GET by id, {Environment.ProcessorCount} threads", getCount, watch.Elapsed);

        // Query pages.
        var queryCount = 50 * Scale;
        watch.Restart();
        for (var i = 0; i < queryCount; i++)
        {
            var page = await store.QueryAsync(Tenants.Default, new EntityQuery { Limit = 20, Offset = i * 20 % batchedCount, Count = true }, CancellationToken.None);
            Assert.Equal(singleCount + batchedCount, page.TotalCount);
        }
        Report($"query limit=20 count=true over {singleCount + batchedCount} entities", queryCount, watch.Elapsed);
        watch.Restart();
        var filtered = await store.QueryAsync(Tenants.Default,
            new EntityQuery { IdPattern = $"urn:ngsi-ld:Batch:{(batchedCount / 100) - 1:D5}.*", RequireAnyAttribute = ["https://example.org/speed"], Count = true },
            CancellationToken.None);
        output.WriteLine($"query idPattern+attrs with count over {singleCount + batchedCount} entities: {watch.Elapsed.TotalMilliseconds:F1} ms");
        Assert.Equal(100, filtered.TotalCount);
    }

    /// <summary>Baseline: what one synced 4 KB append costs on this disk (group commit pays it once per batch).</summary>
    private static double FsyncMicros(string directory)
    {
        const int Rounds = 100;
        var path = Path.Combine(directory, "fsync-baseline");
        var block = new byte[4096];
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Rounds; i++)
        {
            file.Write(block);
            file.Flush(flushToDisk: true);
        }
        return watch.Elapsed.TotalMicroseconds / Rounds;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0] + $" on {Environment.ProcessorCount} cores";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private void Report(string what, int operations, TimeSpan elapsed) =>
        output.WriteLine($"{what}: {operations / elapsed.TotalSeconds:N0}/s ({operations} in {elapsed.TotalMilliseconds:N0} ms)");

    private static Entity Realistic(string id)
    {
        var time = TestEntities.Time;
        var entity = new Entity { Id = id, Types = ["https://example.org/Vehicle"], CreatedAt = time, ModifiedAt = time };
        entity.Attributes["https://example.org/speed"] =
        [
            new NgsiAttribute
            {
                Kind = AttributeKind.Property, Value = 80, UnitCode = "KMH", ObservedAt = "2026-01-02T03:04:05Z", CreatedAt = time, ModifiedAt = time,
                SubAttributes = new AttributeMap { ["https://example.org/accuracy"] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = 0.5, CreatedAt = time, ModifiedAt = time }] },
            },
        ];
        entity.Attributes["https://uri.etsi.org/ngsi-ld/location"] =
        [
            new NgsiAttribute { Kind = AttributeKind.GeoProperty, Value = JsonNode.Parse("""{"type":"Point","coordinates":[13.3986,52.5547]}"""), CreatedAt = time, ModifiedAt = time },
        ];
        entity.Attributes["https://example.org/brandName"] =
        [
            new NgsiAttribute { Kind = AttributeKind.Property, Value = "Mercedes", CreatedAt = time, ModifiedAt = time },
        ];
        entity.Attributes["https://example.org/isParked"] =
        [
            new NgsiAttribute { Kind = AttributeKind.Relationship, Value = "urn:ngsi-ld:OffStreetParking:Downtown1", ObjectType = "https://example.org/OffStreetParking", CreatedAt = time, ModifiedAt = time },
        ];
        return entity;
    }
}
