using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;

namespace Aeros.Continuum.Tests.Mapping;

public sealed class ContinuumMapperTests
{
    private static readonly HashSet<string> UrnEnumerations =
        ["infrastructureElementStatus", "cpuArchitecture", "infrastructureElementTier", "serviceComponentStatus", "domainStatus"];

    [Fact]
    public void Examples_EveryEntityType_HasARecordType()
    {
        var examples = Fixtures.Names();
        Assert.Equal(12, examples.Count);
        Assert.All(examples, name => Assert.True(Fixtures.RecordTypes.ContainsKey(name), $"no record type for {name}"));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void FromNgsiLd_ThenToNgsiLd_EveryAttributeOfTheExampleSurvives(string name)
    {
        var example = Fixtures.Example(name);
        var record = ContinuumMapper.FromNgsiLd(example, Fixtures.RecordTypes[name]);
        var written = ContinuumMapper.ToNgsiLd(record);

        var expected = Expected(example);
        foreach (var (attribute, value) in expected)
        {
            Assert.True(written.ContainsKey(attribute), $"{name}.{attribute} was lost");
            Assert.True(JsonNode.DeepEquals(value, written[attribute]),
                $"{name}.{attribute}: expected {value?.ToJsonString()}, written {written[attribute]?.ToJsonString()}");
        }
        Assert.Equal(expected.Select(p => p.Key).Order(), written.Select(p => p.Key).Order());
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void ToNgsiLd_ThenFromNgsiLd_RecordIsUnchanged(string name)
    {
        var record = ContinuumMapper.FromNgsiLd(Fixtures.Example(name), Fixtures.RecordTypes[name]);
        var again = ContinuumMapper.FromNgsiLd(ContinuumMapper.ToNgsiLd(record), Fixtures.RecordTypes[name]);
        Assert.True(JsonNode.DeepEquals(ContinuumMapper.ToNgsiLd(record), ContinuumMapper.ToNgsiLd(again)));
    }

    [Fact]
    public void FromNgsiLd_InfrastructureElementExample_ReadsTypedValues()
    {
        var ie = ContinuumMapper.FromNgsiLd<InfrastructureElement>(Fixtures.Example("InfrastructureElement"));

        Assert.Equal("urn:ngsi-ld:InfrastructureElement:Production:00155dc09474", ie.Id);
        Assert.Equal("urn:ngsi-ld:Domain:Production", ie.Domain);
        Assert.Equal(InfrastructureElementStatus.Ready, ie.InfrastructureElementStatus);
        Assert.Equal(CpuArchitecture.AMD64, ie.CpuArchitecture);
        Assert.Equal(InfrastructureElementTier.Edge, ie.InfrastructureElementTier);
        Assert.Equal(ContainerTechnology.Kubernetes, ie.ContainerTechnology);
        Assert.Equal(OperatingSystemFamily.Linux, ie.OperatingSystem);
        Assert.Equal(4, ie.CpuCores);
        Assert.Equal(2100.5, ie.CpuFreqMax);
        Assert.Equal(37.7, ie.CurrentRamUsagePct);
        Assert.Equal(200, ie.NetLostPackages);
        Assert.Equal("Point", ie.Location!.Type);
        Assert.Equal(-0.3411743020092746, ie.Location.Coordinates[0].GetDouble());
        Assert.Null(ie.HealthScore);
    }

    [Fact]
    public void ToNgsiLd_Enumerations_AreRelationshipsToUrns()
    {
        var ie = new InfrastructureElement
        {
            Id = ContinuumIds.InfrastructureElement("d1", "AA:BB:CC:00:11:22"),
            InfrastructureElementStatus = InfrastructureElementStatus.Overloaded,
            CpuArchitecture = CpuArchitecture.RiscV,
            InfrastructureElementTier = InfrastructureElementTier.FarEdge,
            ContainerTechnology = ContainerTechnology.Containerd,
        };
        var json = ContinuumMapper.ToNgsiLd(ie);

        Assert.Equal("""{"type":"Relationship","object":"urn:ngsi-ld:InfrastructureElementStatus:Overloaded"}""", json["infrastructureElementStatus"]!.ToJsonString());
        Assert.Equal("""{"type":"Relationship","object":"urn:ngsi-ld:CpuArchitecture:RISC-V"}""", json["cpuArchitecture"]!.ToJsonString());
        Assert.Equal("""{"type":"Relationship","object":"urn:ngsi-ld:InfrastructureElementTier:FarEdge"}""", json["infrastructureElementTier"]!.ToJsonString());
        Assert.Equal("""{"type":"Property","value":"containerd"}""", json["containerTechnology"]!.ToJsonString());
        var back = ContinuumMapper.FromNgsiLd<InfrastructureElement>(json);
        Assert.Equal(CpuArchitecture.RiscV, back.CpuArchitecture);
        Assert.Equal(ContainerTechnology.Containerd, back.ContainerTechnology);
    }

    [Fact]
    public void ToNgsiLd_UnknownNumbers_AreLeftOut()
    {
        var json = ContinuumMapper.ToNgsiLd(new InfrastructureElement { Id = "urn:ngsi-ld:InfrastructureElement:d:1", CpuCores = 2 });

        Assert.Equal(["cpuCores", "id", "type"], json.Select(p => p.Key).Order());
    }

    [Fact]
    public void ToNgsiLd_ServiceComponentStatus_IsAUrnRelationship()
    {
        var json = ContinuumMapper.ToNgsiLd(new ServiceComponent
        {
            Id = ContinuumIds.ServiceComponent("urn:ngsi-ld:Service:s1", "web"),
            ServiceComponentStatus = ServiceComponentStatus.Running,
        });

        Assert.Equal("urn:ngsi-ld:Service:s1:Component:web", json["id"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:ServiceComponentStatus:Running", json["serviceComponentStatus"]!["object"]!.GetValue<string>());
    }

    [Fact]
    public void ToNgsiLd_HeartbeatAndHealth_AreDateTimeAndObjectValues()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2));
        var json = ContinuumMapper.ToNgsiLd(new InfrastructureElement
        {
            Id = "urn:ngsi-ld:InfrastructureElement:d:1",
            Heartbeat = at,
            HealthScore = 0.75,
            HealthBreakdown = new Dictionary<string, double> { ["cpu"] = 0.5, ["memory"] = 1 },
        });

        Assert.Equal("""{"@type":"DateTime","@value":"2026-01-02T01:04:05.678Z"}""", json["heartbeat"]!["value"]!.ToJsonString());
        var back = ContinuumMapper.FromNgsiLd<InfrastructureElement>(json);
        Assert.Equal(at, back.Heartbeat);
        Assert.Equal(0.5, back.HealthBreakdown!["cpu"]);
    }

    [Theory]
    [InlineData("x86_64", CpuArchitecture.AMD64)]
    [InlineData("aarch64", CpuArchitecture.ARM64)]
    [InlineData("urn:ngsi-ld:CpuArchitecture:RISC-V", CpuArchitecture.RiscV)]
    [InlineData("riscv64", CpuArchitecture.RiscV)]
    [InlineData("armv7l", CpuArchitecture.ARM32)]
    [InlineData("s390x", CpuArchitecture.S390X)]
    public void TryParse_ArchitectureNamesAndAliases_AreRead(string text, CpuArchitecture expected)
    {
        Assert.True(ContinuumEnumNames.TryParse<CpuArchitecture>(text, out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void FromNgsiLd_TolerantInput_IsRead()
    {
        var json = JsonNode.Parse("""
            {"id": "urn:ngsi-ld:InfrastructureElement:d:1", "type": "InfrastructureElement",
             "cpuCores": 8,
             "currentCpuUsage": {"type": "Property", "value": "12.5"},
             "cpuArchitecture": {"type": "Property", "value": "x64"},
             "infrastructureElementStatus": [{"type": "Relationship", "object": "urn:ngsi-ld:InfrastructureElementStatus:Maintenance"}],
             "domain": {"type": "Relationship", "value": "urn:ngsi-ld:Domain:d"},
             "ramCapacity": {"type": "Property", "value": "unknown"}}
            """)!.AsObject();

        var ie = ContinuumMapper.FromNgsiLd<InfrastructureElement>(json);

        Assert.Equal(8, ie.CpuCores);
        Assert.Equal(12.5, ie.CurrentCpuUsage);
        Assert.Equal(CpuArchitecture.AMD64, ie.CpuArchitecture);
        Assert.Equal(InfrastructureElementStatus.Maintenance, ie.InfrastructureElementStatus);
        Assert.Equal("urn:ngsi-ld:Domain:d", ie.Domain);
        Assert.Null(ie.RamCapacity);
    }

    [Fact]
    public void FromNgsiLd_NoId_Throws()
    {
        Assert.Throws<ContinuumMappingException>(() => ContinuumMapper.FromNgsiLd<Domain>(new JsonObject { ["type"] = "Domain" }));
    }

    [Fact]
    public void ToFragment_LooseValues_AreEncoded()
    {
        var fragment = ContinuumMapper.ToFragment(new Dictionary<string, object?>
        {
            ["infrastructureElementStatus"] = InfrastructureElementStatus.Ready,
            ["healthScore"] = 0.9,
            ["cpuCores"] = 4,
            ["hostname"] = "h",
            ["gone"] = null,
        });

        Assert.Equal("urn:ngsi-ld:InfrastructureElementStatus:Ready", fragment["infrastructureElementStatus"]!["object"]!.GetValue<string>());
        Assert.Equal(0.9, fragment["healthScore"]!["value"]!.GetValue<double>());
        Assert.Equal(4, fragment["cpuCores"]!["value"]!.GetValue<long>());
        Assert.Equal("urn:ngsi-ld:null", fragment["gone"]!["value"]!.GetValue<string>());
        Assert.Throws<ArgumentException>(() => ContinuumMapper.ToFragment(new Dictionary<string, object?> { ["x"] = new object() }));
    }

    public static TheoryData<string> Examples() => Fixtures.Examples();

    /// <summary>
    /// The example as the mapper writes it back — the documented exceptions: the five aerOS URN enumerations become
    /// Relationships; a Relationship given with <c>value</c> is written with <c>object</c>; <c>Geoproperty</c> is
    /// written <c>GeoProperty</c>; the non-standard <c>unit</c> member is dropped; <c>@context</c> is not part of the entity.
    /// </summary>
    private static JsonObject Expected(JsonObject example)
    {
        var expected = (JsonObject)example.DeepClone();
        expected.Remove("@context");
        foreach (var (name, node) in expected.ToList())
        {
            if (node is not JsonObject attribute)
            {
                continue;
            }
            attribute.Remove("unit");
            var type = attribute["type"]?.GetValue<string>();
            if (UrnEnumerations.Contains(name) && type == "Property")
            {
                var value = attribute["value"]!.GetValue<string>();
                var enumType = char.ToUpperInvariant(name[0]) + name[1..];
                expected[name] = new JsonObject { ["type"] = "Relationship", ["object"] = $"urn:ngsi-ld:{enumType}:{value}" };
            }
            else if (type == "Relationship" && attribute["object"] is null && attribute["value"] is { } target)
            {
                expected[name] = new JsonObject { ["type"] = "Relationship", ["object"] = target.DeepClone() };
            }
            else if (type == "Geoproperty")
            {
                attribute["type"] = "GeoProperty";
            }
        }
        return expected;
    }
}
