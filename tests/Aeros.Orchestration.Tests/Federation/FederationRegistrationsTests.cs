using System.Text.Json.Nodes;
using Aeros.Orchestration.Federation;

namespace Aeros.Orchestration.Tests.Federation;

public sealed class FederationRegistrationsTests
{
    [Fact]
    public void Build_Domain_GivesTheFourAerosRegistrations()
    {
        var list = FederationRegistrations.Build("upv", new Uri("http://127.0.0.1:9091/"), "upv-broker", TimeSpan.FromMilliseconds(2500));

        Assert.Equal(
            ["urn:aerios:federation:upv:infrastructure", "urn:aerios:federation:upv:services", "urn:aerios:federation:upv:organizations", "urn:aerios:federation:upv:benchmark"],
            list.Select(r => r["id"]!.GetValue<string>()));
        Assert.All(list, r =>
        {
            Assert.Equal("ContextSourceRegistration", r["type"]!.GetValue<string>());
            Assert.Equal("http://127.0.0.1:9091", r["endpoint"]!.GetValue<string>());
            Assert.Equal("inclusive", r["mode"]!.GetValue<string>());
            Assert.Equal("upv-broker", r["contextSourceAlias"]!.GetValue<string>());
            Assert.True(r["management"]!["localOnly"]!.GetValue<bool>());
            Assert.Equal(2500, r["management"]!["timeout"]!.GetValue<long>());
        });
        Assert.Equal([ContinuumTerms.Domain, ContinuumTerms.LowLevelOrchestrator, ContinuumTerms.InfrastructureElement], Types(list[0]));
        Assert.Equal([ContinuumTerms.Service, ContinuumTerms.ServiceComponent, ContinuumTerms.NetworkPort, ContinuumTerms.InfrastructureElementRequirements], Types(list[1]));
        Assert.Equal([ContinuumTerms.Organization], Types(list[2]));
        Assert.Equal([ContinuumTerms.Benchmark], Types(list[3]));
        Assert.Equal(["retrieveOps"], Operations(list[0]));
        Assert.Equal(["retrieveOps", "updateOps", "mergeEntity", "deleteAttrs", "deleteEntity"], Operations(list[1]));
        Assert.Equal("https://smartdatamodels.org/dataModel.IT/InfrastructureElement", ContinuumTerms.InfrastructureElement);
    }

    [Fact]
    public void Build_NoAlias_OmitsContextSourceAlias()
    {
        var list = FederationRegistrations.Build("a", new Uri("https://a.example.org/base/"), null, TimeSpan.FromSeconds(1));

        Assert.All(list, r => Assert.False(r.ContainsKey("contextSourceAlias")));
        Assert.Equal("https://a.example.org/base", list[0]["endpoint"]!.GetValue<string>());
    }

    [Fact]
    public void Build_InvalidDomainName_Throws()
    {
        Assert.Throws<ArgumentException>(() => FederationRegistrations.Build("a b", new Uri("http://127.0.0.1/"), null, TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("urn:aerios:federation:upv:infrastructure", true, "upv", "infrastructure")]
    [InlineData("urn:aerios:federation:my.domain-1:benchmark", true, "my.domain-1", "benchmark")]
    [InlineData("urn:aerios:federation:upv:other", false, "", "")]
    [InlineData("urn:aerios:federation::services", false, "", "")]
    [InlineData("urn:ngsi-ld:ContextSourceRegistration:1", false, "", "")]
    public void TryParseId_Ids_ReadDomainAndKind(string id, bool ok, string domain, string kind)
    {
        Assert.Equal(ok, FederationRegistrations.TryParseId(id, out var d, out var k));
        Assert.Equal((domain, kind), (d, k));
    }

    [Fact]
    public void UpdateFragment_Registration_DropsIdAndType()
    {
        var registration = FederationRegistrations.Build("a", new Uri("http://127.0.0.1:1/"), "x", TimeSpan.FromSeconds(1))[0];

        var fragment = FederationRegistrations.UpdateFragment(registration);

        Assert.False(fragment.ContainsKey("id"));
        Assert.False(fragment.ContainsKey("type"));
        Assert.Equal(registration["endpoint"]!.GetValue<string>(), fragment["endpoint"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(registration["information"], fragment["information"]));
    }

    private static string[] Types(JsonObject registration) =>
        registration["information"]![0]!["entities"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()).ToArray();

    private static string[] Operations(JsonObject registration) =>
        registration["operations"]!.AsArray().Select(o => o!.GetValue<string>()).ToArray();
}
