using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>
/// Deterministic aerOS InfrastructureElement entities in NGSI-LD normalized form (no <c>@context</c>: they are sent
/// as <c>application/json</c> without a Link header, so terms expand with the core context's <c>@vocab</c>).
/// Entity <c>i</c> is the same for a given seed whatever the order it is generated in.
/// </summary>
internal sealed class EntityGenerator(int seed)
{
    public const string Type = "InfrastructureElement";

    private static readonly int[] RamCapacities = [4096, 8192, 16384, 32768];
    private static readonly int[] DiskCapacities = [32768, 65536, 131072, 262144];
    private static readonly int[] CpuCores = [2, 4, 8, 16, 32];
    private static readonly string[] Tiers = ["Edge", "Cloud", "IoT"];
    private static readonly string[] DiskTypes = ["SSD", "HDD", "NVMe"];
    private static readonly string[] ContainerTechnologies = ["Kubernetes", "Docker"];
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>The entity id: <c>urn:ngsi-ld:InfrastructureElement:bench:</c> and 12 hex digits, unique per index.</summary>
    public static string Id(long index) => $"urn:ngsi-ld:InfrastructureElement:bench:{Suffix(index):x12}";

    /// <summary>What every hostname starts with; the entity index follows.</summary>
    public const string HostnamePrefix = "ie-";

    private static readonly byte[] EscapedIdPrefix = Encoding.ASCII.GetBytes(Uri.EscapeDataString("urn:ngsi-ld:InfrastructureElement:bench:"));

    public static string Hostname(long index) => $"{HostnamePrefix}{index}";

    /// <summary>Writes <c>Uri.EscapeDataString(Id(index))</c> without allocating.</summary>
    public static void WriteEscapedId(long index, IBufferWriter<byte> writer)
    {
        var span = writer.GetSpan(EscapedIdPrefix.Length + 16);
        EscapedIdPrefix.CopyTo(span);
        Suffix(index).TryFormat(span[EscapedIdPrefix.Length..], out var digits, "x12", CultureInfo.InvariantCulture);
        writer.Advance(EscapedIdPrefix.Length + digits);
    }

    /// <summary>One entity as a JSON object.</summary>
    public byte[] Entity(long index)
    {
        var buffer = new ArrayBufferWriter<byte>(2560);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, index);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Entities <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1 as a JSON array.</summary>
    public byte[] Batch(long first, int count)
    {
        var buffer = new ArrayBufferWriter<byte>(count * 2560);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            for (var i = 0; i < count; i++)
            {
                Write(writer, first + i);
            }
            writer.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private void Write(Utf8JsonWriter w, long index)
    {
        // The index goes through a bijection on 48 bits: ids and MAC addresses look random yet never collide.
        var suffix = Suffix(index);
        var random = new Random(unchecked((int)(suffix ^ (suffix >> 32)) ^ seed));
        var ram = RamCapacities[random.Next(RamCapacities.Length)];
        var ramUsed = random.Next(ram / 8, ram);
        var disk = DiskCapacities[random.Next(DiskCapacities.Length)];
        var diskUsed = random.Next(disk / 10, disk);

        w.WriteStartObject();
        w.WriteString("id", Id(index));
        w.WriteString("type", Type);
        Relationship(w, "domain", "urn:ngsi-ld:Domain:Bench");
        Property(w, "hostname", Hostname(index));
        Property(w, "internalIpAddress", string.Create(CultureInfo.InvariantCulture,
            $"10.{(index >> 16) & 0xff}.{(index >> 8) & 0xff}.{index & 0xff}"));
        Property(w, "macAddress", MacAddress(suffix));
        Property(w, "trustScore", Math.Round(random.NextDouble(), 2));
        Property(w, "containerTechnology", ContainerTechnologies[random.Next(ContainerTechnologies.Length)]);
        Relationship(w, "lowLevelOrchestrator", "urn:ngsi-ld:LowLevelOrchestrator:Bench:Kubernetes");
        Property(w, "cpuCores", CpuCores[random.Next(CpuCores.Length)]);
        Property(w, "cpuFreqMax", Math.Round(1800 + random.NextDouble() * 1800, 1), "Megahertzs (MHz)");
        Property(w, "currentCpuUsage", random.Next(0, 101), "Percentage (%)");
        Property(w, "ramCapacity", ram, "Megabytes (MB)");
        Property(w, "availableRam", ram - ramUsed, "Megabytes (MB)");
        Property(w, "currentRamUsage", ramUsed, "Megabytes (MB)");
        Property(w, "currentRamUsagePct", Math.Round(100.0 * ramUsed / ram, 1), "Percentage (%)");
        Property(w, "gpu", random.Next(4) == 0);
        Property(w, "diskType", DiskTypes[random.Next(DiskTypes.Length)]);
        Property(w, "diskCapacity", disk, "Megabytes (MB)");
        Property(w, "availableDisk", disk - diskUsed, "Megabytes (MB)");
        Property(w, "currentDiskUsage", diskUsed, "Megabytes (MB)");
        Property(w, "currentDiskUsagePct", Math.Round(100.0 * diskUsed / disk, 1), "Percentage (%)");
        Property(w, "netSpeedUp", random.Next(100, 1001), "Megabits per second (Mbps)");
        Property(w, "netSpeedDown", random.Next(100, 1001), "Megabits per second (Mbps)");
        Property(w, "realTimeCapable", random.Next(2) == 0);
        Relationship(w, "cpuArchitecture", "urn:ngsi-ld:CpuArchitecture:AMD64");
        Property(w, "operatingSystem", "Linux");
        Property(w, "infrastructureElementTier", Tiers[random.Next(Tiers.Length)]);
        Relationship(w, "infrastructureElementStatus", "urn:ngsi-ld:InfrastructureElementStatus:Ready");
        w.WriteStartObject("location");
        w.WriteString("type", "GeoProperty");
        w.WriteStartObject("value");
        w.WriteString("type", "Point");
        w.WriteStartArray("coordinates");
        w.WriteNumberValue(Math.Round(-10 + random.NextDouble() * 40, 6));
        w.WriteNumberValue(Math.Round(35 + random.NextDouble() * 25, 6));
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static ulong Suffix(long index) => unchecked((ulong)index * 0x9E3779B97F4A7C15UL) & 0xFFFF_FFFF_FFFFUL;

    private static string MacAddress(ulong suffix) => string.Join(':',
        Enumerable.Range(0, 6).Select(b => ((suffix >> (40 - 8 * b)) & 0xff).ToString("x2", CultureInfo.InvariantCulture)));

    private static void Relationship(Utf8JsonWriter w, string name, string target)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "Relationship");
        w.WriteString("object", target);
        w.WriteEndObject();
    }

    private static void Property(Utf8JsonWriter w, string name, string value)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "Property");
        w.WriteString("value", value);
        w.WriteEndObject();
    }

    private static void Property(Utf8JsonWriter w, string name, bool value)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "Property");
        w.WriteBoolean("value", value);
        w.WriteEndObject();
    }

    private static void Property(Utf8JsonWriter w, string name, double value, string? unitCode = null)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "Property");
        w.WriteNumber("value", value);
        if (unitCode is not null)
        {
            w.WriteString("unitCode", unitCode);
        }
        w.WriteEndObject();
    }
}
