using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Orchestration.Federation;
using Aeros.Orchestration.Tests.TestSupport;

namespace Aeros.Orchestration.Tests.Federation;

/// <summary>
/// Two domains registered in each other without <c>localOnly</c>: a query would bounce between them for ever
/// unless the brokers' Via loop detection stops it.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RegistrationLoopTests
{
    [Fact]
    public async Task Query_RegistrationLoopWithoutLocalOnly_IsDetectedAndAnswers()
    {
        // Two domains with no peers: their federators never register them in each other; the test does, badly.
        await using var a = await DomainNode.StartAsync("loop-a");
        await using var b = await DomainNode.StartAsync("loop-b");
        await a.CreateInfrastructureElementAsync("urn:ngsi-ld:InfrastructureElement:loop-a:1", "a1");
        await b.CreateInfrastructureElementAsync("urn:ngsi-ld:InfrastructureElement:loop-b:1", "b1");
        var aliasA = await AliasAsync(a);
        var aliasB = await AliasAsync(b);
        await RegisterWithoutLocalOnlyAsync(a, b, aliasB);
        await RegisterWithoutLocalOnlyAsync(b, a, aliasA);

        // Each answers with both entities, promptly: the bounce back is refused (508) or skipped via Via.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(["urn:ngsi-ld:InfrastructureElement:loop-a:1", "urn:ngsi-ld:InfrastructureElement:loop-b:1"], await a.QueryInfrastructureElementIdsAsync());
        Assert.Equal(["urn:ngsi-ld:InfrastructureElement:loop-a:1", "urn:ngsi-ld:InfrastructureElement:loop-b:1"], await b.QueryInfrastructureElementIdsAsync());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the loop cost {clock.Elapsed}");

        // A request that already passed a is refused by a as a loop.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities?type={Uri.EscapeDataString(ContinuumTerms.InfrastructureElement)}");
        request.Headers.TryAddWithoutValidation("Via", $"1.1 {aliasB}, 1.1 {aliasA}");
        using var looped = await a.Client.SendAsync(request).Within("sending a looped request");
        Assert.Equal((HttpStatusCode)508, looped.StatusCode);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/LoopDetected", JsonNode.Parse(await looped.Content.ReadAsStringAsync())!["type"]!.GetValue<string>());
    }

    private static async Task<string> AliasAsync(DomainNode node)
    {
        using var response = await node.Client.GetAsync("/ngsi-ld/v1/info/sourceIdentity").Within($"reading {node.Name}'s alias");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["contextSourceAlias"]!.GetValue<string>();
    }

    private static async Task RegisterWithoutLocalOnlyAsync(DomainNode into, DomainNode source, string sourceAlias)
    {
        var registration = FederationRegistrations.Build(source.Name, source.Url, sourceAlias, DomainNode.ForwardTimeout)[0];
        registration["id"] = $"urn:test:loop:{source.Name}";
        registration["management"] = new JsonObject { ["timeout"] = 3000 };
        // Only IEs: with Domain registered too, the federators would see each other and add proper registrations.
        registration["information"] = new JsonArray(new JsonObject { ["entities"] = new JsonArray(new JsonObject { ["type"] = ContinuumTerms.InfrastructureElement }) });
        using var response = await into.Client.PostAsync("/ngsi-ld/v1/csourceRegistrations", new StringContent(registration.ToJsonString(), Encoding.UTF8, "application/json"))
            .Within($"registering {source.Name} in {into.Name}");
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }
}
