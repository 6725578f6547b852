using System.Text.Json.Nodes;
using Aeros.Orchestration.Federation;

namespace Aeros.Orchestration.Tests.Federation;

public sealed class DomainRecordTests
{
    [Fact]
    public void FromEntity_Normalized_ReadsNameUrlAndStatus()
    {
        var entity = DomainRecord.BuildEntity("upv", new Uri("http://127.0.0.1:9091/"), ContinuumTerms.DomainStatusFunctional, true, ["UPV", "urn:ngsi-ld:Organization:University"]);

        var record = DomainRecord.FromEntity(entity);

        Assert.Equal(new DomainRecord("upv", new Uri("http://127.0.0.1:9091"), "urn:ngsi-ld:DomainStatus:Functional"), record);
        Assert.False(record!.IsRemoved);
        Assert.Equal(["urn:ngsi-ld:Organization:UPV", "urn:ngsi-ld:Organization:University"],
            entity[ContinuumTerms.Owner]!["object"]!.AsArray().Select(o => o!.GetValue<string>()));
        Assert.True(entity[ContinuumTerms.IsEntrypoint]!["value"]!.GetValue<bool>());
    }

    [Fact]
    public void FromEntity_SimplifiedWithRemovedStatus_IsRemoved()
    {
        var entity = new JsonObject
        {
            ["id"] = "urn:ngsi-ld:Domain:x",
            ["type"] = ContinuumTerms.Domain,
            [ContinuumTerms.PublicUrl] = "https://x.example.org",
            [ContinuumTerms.DomainStatus] = "urn:ngsi-ld:DomainStatus:Removed",
        };

        var record = DomainRecord.FromEntity(entity);

        Assert.True(record!.IsRemoved);
        Assert.Equal(new Uri("https://x.example.org"), record.PublicUrl);
    }

    [Theory]
    [InlineData("{\"id\":\"urn:ngsi-ld:InfrastructureElement:x\"}")]
    [InlineData("{\"id\":\"urn:ngsi-ld:Domain:bad name\"}")]
    [InlineData("{\"id\":5}")]
    [InlineData("[]")]
    public void FromEntity_NotADomain_IsNull(string json)
    {
        Assert.Null(DomainRecord.FromEntity(JsonNode.Parse(json)));
    }

    [Fact]
    public void FromEntity_InvalidPublicUrl_HasNoUrl()
    {
        var entity = new JsonObject { ["id"] = "urn:ngsi-ld:Domain:x", [ContinuumTerms.PublicUrl] = new JsonObject { ["type"] = "Property", ["value"] = "not a url" } };

        Assert.Null(DomainRecord.FromEntity(entity)!.PublicUrl);
    }
}
