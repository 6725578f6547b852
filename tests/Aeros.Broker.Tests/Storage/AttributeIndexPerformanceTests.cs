using System.Diagnostics;
using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Xunit.Abstractions;

namespace Aeros.Broker.Tests.Storage;

/// <summary>
/// Load figures for q queries over many InfrastructureElement-like entities (~28 attributes, ~2 KB): a selective
/// equality, a broad numeric query, and what writing costs. Printed to the test output; like
/// <see cref="SqliteEntityStorePerformanceTests"/> they check results, not speed. A tenth of the size by
/// default; <c>AEROS_PERF_FULL=1</c> (in a Release build) for 100,000 entities.
/// </summary>
[Trait("Category", "Performance")]
public sealed class AttributeIndexPerformanceTests(ITestOutputHelper output)
{
    private const string Ns = "https://example.org/";
    private const string InfrastructureElement = Ns + "InfrastructureElement";
    private const int Callers = 64;

    private static readonly int Scale = Environment.GetEnvironmentVariable("AEROS_PERF_FULL") == "1" ? 10 : 1;

    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Queries_SelectiveAndBroad_OverInfrastructureElements()
    {
        await using var temp = await TempStore.CreateAsync(durable: true);
        var store = temp.Store;
        var count = 10_000 * Scale;
        output.WriteLine($"{count} entities; body {StoredEntityCodec.Encode(Element(0)).Length} bytes, " +
            $"{Element(0).Attributes.Count} attributes; load average {LoadAverage()}");

        // Batch inserts of 1,000 entities per write.
        var watch = Stopwatch.StartNew();
        for (var start = 0; start < count; start += 1000)
        {
            var batch = Enumerable.Range(start, 1000).Select(Element).ToList();
            await store.WriteAsync(Tenants.Default, false, s => batch.Count(s.Insert), CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        }
        Report("batched creates (1000 per write, durable)", count, watch.Elapsed);

        // Durable single creates from 64 callers (group commit).
        var singleCount = 500 * Scale;
        var singles = Enumerable.Range(count, singleCount).Select(Element).ToArray();
        var next = -1;
        watch.Restart();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < singleCount)
            {
                var entity = singles[i];
                Assert.True(await store.WriteAsync(Tenants.Default, false, s => s.Insert(entity), CancellationToken.None));
            }
        }))).WaitAsync(TimeSpan.FromMinutes(2));
        Report("single creates, 64 callers (durable)", singleCount, watch.Elapsed);
        var total = count + singleCount;

        var types = TypeExpression.Parse("InfrastructureElement", t => Ns + t);

        // Selective: one entity matches.
        var random = new Random(42);
        await Measure("selective hostname==\"ie-<i>\" limit 100, 1 thread", 1, async () =>
        {
            var i = random.Next(total);
            var page = await store.QueryAsync(Tenants.Default,
                new EntityQuery { Types = types, Q = Q($"hostname==\"ie-{i}\""), Limit = 100 }, CancellationToken.None);
            Assert.Equal($"urn:ngsi-ld:InfrastructureElement:{i:D7}", Assert.Single(page.Entities).Id);
        });
        await Measure($"selective hostname==\"ie-<i>\" limit 100, {Environment.ProcessorCount} threads", Environment.ProcessorCount, async () =>
        {
            var i = Random.Shared.Next(total);
            var page = await store.QueryAsync(Tenants.Default,
                new EntityQuery { Types = types, Q = Q($"hostname==\"ie-{i}\""), Limit = 100 }, CancellationToken.None);
            Assert.Single(page.Entities);
        });

        // Broad: about a quarter of the entities match.
        var broad = Q("currentCpuUsage<50;ramCapacity>=8192");
        var expected = Enumerable.Range(0, total).Where(i => Cpu(i) < 50 && Ram(i) >= 8192).Take(100)
            .Select(i => $"urn:ngsi-ld:InfrastructureElement:{i:D7}").ToList();
        await Measure("broad currentCpuUsage<50;ramCapacity>=8192 limit 100, 1 thread", 1, async () =>
        {
            var page = await store.QueryAsync(Tenants.Default,
                new EntityQuery { Types = types, Q = broad, Limit = 100 }, CancellationToken.None);
            Assert.Equal(expected, page.Entities.Select(e => e.Id));
        });
        watch.Restart();
        var counted = await store.QueryAsync(Tenants.Default,
            new EntityQuery { Types = types, Q = broad, Limit = 100, Count = true }, CancellationToken.None);
        output.WriteLine($"broad with count=true: {watch.Elapsed.TotalMilliseconds:F1} ms (count {counted.TotalCount})");
        Assert.Equal(Enumerable.Range(0, total).Count(i => Cpu(i) < 50 && Ram(i) >= 8192), counted.TotalCount);

        // Read-modify-write updates of one attribute, 64 callers.
        var updateCount = 500 * Scale;
        next = -1;
        watch.Restart();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < updateCount)
            {
                var id = $"urn:ngsi-ld:InfrastructureElement:{i * 13 % count:D7}";
                await store.WriteAsync(Tenants.Default, false, s =>
                {
                    var entity = s.Get(id)!;
                    entity.Attributes[Ns + "currentCpuUsage"][0].Value = 99.5;
                    s.Update(entity);
                    return 0;
                }, CancellationToken.None);
            }
        }))).WaitAsync(TimeSpan.FromMinutes(2));
        Report("read-modify-write updates, 64 callers (durable)", updateCount, watch.Elapsed);
        output.WriteLine($"database file: {new FileInfo(store.DatabasePath).Length / 1024.0 / 1024.0:F0} MB " +
            $"(+ WAL {new FileInfo(store.DatabasePath + "-wal").Length / 1024.0 / 1024.0:F0} MB)");
    }

    private static QExpression Q(string text) => QExpression.Parse(text, name => Ns + name);

    /// <summary>Runs <paramref name="query"/> on <paramref name="threads"/> threads until the time budget is spent.</summary>
    private async Task Measure(string what, int threads, Func<Task> query)
    {
        await query(); // warm up: prepared statements, JIT
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Run(async () =>
        {
            while (watch.Elapsed < Budget && Volatile.Read(ref done) < 100_000)
            {
                await query();
                Interlocked.Increment(ref done);
            }
        })));
        var elapsed = watch.Elapsed;
        output.WriteLine($"{what}: {done / elapsed.TotalSeconds:N0} queries/s ({elapsed.TotalMicroseconds / done * threads:N0} µs each, {done} queries)");
    }

    private static double Cpu(int i) => i * 37 % 100;

    private static int Ram(int i) => 4096 << (i % 4);

    /// <summary>An InfrastructureElement-like entity with 28 attributes of every kind.</summary>
    internal static Entity Element(int i)
    {
        var time = TestEntities.Time;
        var entity = new Entity { Id = $"urn:ngsi-ld:InfrastructureElement:{i:D7}", Types = [InfrastructureElement], CreatedAt = time, ModifiedAt = time };
        void Add(string name, JsonNode? value, AttributeKind kind = AttributeKind.Property, string? unitCode = null) =>
            entity.Attributes[Ns + name] =
            [
                new NgsiAttribute
                {
                    Kind = kind, Value = value, UnitCode = unitCode, CreatedAt = time, ModifiedAt = time,
                    ObservedAt = name == "temperature" ? "2026-01-02T03:04:05Z" : null,
                },
            ];
        Add("hostname", $"ie-{i}");
        Add("ipAddress", $"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}");
        Add("macAddress", $"02:00:00:{i >> 16 & 255:X2}:{i >> 8 & 255:X2}:{i & 255:X2}");
        Add("osName", (i % 3) switch { 0 => "Ubuntu", 1 => "Debian", _ => "RHEL" });
        Add("osVersion", $"{20 + i % 5}.04");
        Add("vendor", i % 2 == 0 ? "Dell" : "HPE");
        Add("model", $"PowerEdge R{640 + i % 10}");
        Add("serialNumber", $"SN{i * 7919 % 1_000_000:D8}");
        Add("firmware", $"2.{i % 17}.{i % 5}");
        Add("status", i % 10 == 0 ? "degraded" : "operational");
        Add("currentCpuUsage", Cpu(i), unitCode: "P1");
        Add("currentRamUsage", i * 53 % 100, unitCode: "P1");
        Add("ramCapacity", Ram(i), unitCode: "M4");
        Add("cpuCores", 4 << (i % 3));
        Add("storageCapacity", 512 * (1 + i % 8), unitCode: "E34");
        Add("currentStorageUsage", i * 17 % 100 + 0.25, unitCode: "P1");
        Add("uptime", i * 3600L);
        Add("temperature", 30 + i % 40 + 0.5, unitCode: "CEL");
        Add("powerConsumption", 150 + i % 300, unitCode: "WTT");
        Add("isVirtual", i % 4 == 0);
        Add("lastSeen", "2026-01-02T03:04:05Z");
        Add("tags", new JsonArray("edge", i % 2 == 0 ? "gpu" : "cpu", $"zone-{i % 12}"));
        Add("location", JsonNode.Parse($$"""{"type":"Point","coordinates":[{{13 + i % 100 / 100.0}},{{52 + i % 50 / 100.0}}]}"""), AttributeKind.GeoProperty);
        Add("description", new JsonObject { ["en"] = $"Edge node {i} in rack {i % 40}", ["de"] = $"Randknoten {i} in Rack {i % 40}" }, AttributeKind.LanguageProperty);
        Add("category", Ns + (i % 2 == 0 ? "compute" : "storage"), AttributeKind.VocabProperty);
        Add("rack", $"urn:ngsi-ld:Rack:{i % 40}", AttributeKind.Relationship);
        Add("site", $"urn:ngsi-ld:Site:{i % 5}", AttributeKind.Relationship);
        Add("networkInterfaces", new JsonArray("eth0", "eth1", $"bond{i % 2}"), AttributeKind.ListProperty);
        return entity;
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
}
