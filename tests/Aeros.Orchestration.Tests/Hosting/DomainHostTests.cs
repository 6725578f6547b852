using System.Net;
using System.Text.Json.Nodes;
using Aeros.Orchestration.Federation;
using Aeros.Orchestration.Tests.TestSupport;

namespace Aeros.Orchestration.Tests.Hosting;

/// <summary>One real domain host: its broker and federation API.</summary>
[Trait("Category", "Slow")]
public sealed class DomainHostTests
{
    [Fact]
    public async Task Start_LoneDomain_KeepsItsDomainEntityInItsBroker()
    {
        await using var node = await DomainNode.StartAsync("solo");

        await TestDeadline.Until(async () =>
        {
            using var response = await node.Client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Domain:solo");
            return response.StatusCode == HttpStatusCode.OK;
        }, "the Domain entity exists");

        using var domain = await node.Client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Domain:solo").Within("reading the Domain entity");
        var entity = JsonNode.Parse(await domain.Content.ReadAsStringAsync())!;
        Assert.Equal(ContinuumTerms.Domain, entity["type"]!.GetValue<string>());
        Assert.Equal(node.Url.AbsoluteUri.TrimEnd('/'), entity[ContinuumTerms.PublicUrl]!["value"]!.GetValue<string>());
        Assert.Equal(ContinuumTerms.DomainStatusFunctional, entity[ContinuumTerms.DomainStatus]!["object"]!.GetValue<string>());
        var state = await node.FederationStateAsync();
        Assert.Equal("joined", state["status"]!.GetValue<string>());
        Assert.Equal("solo", state["domain"]!.GetValue<string>());
        Assert.Empty(state["domains"]!.AsArray());
    }

    [Fact]
    public async Task Resync_UnchangedDomain_DoesNotRewriteItsDomainEntity()
    {
        await using var node = await DomainNode.StartAsync("steady");
        await TestDeadline.Until(async () => (await node.FederationStateAsync())["lastPass"] is not null, "the first pass ran");
        var first = await ModifiedAtAsync(node);
        var firstPass = DateTimeOffset.Parse((await node.FederationStateAsync())["lastPass"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

        await TestDeadline.Until(async () => DateTimeOffset.Parse((await node.FederationStateAsync())["lastPass"]!.GetValue<string>(),
            System.Globalization.CultureInfo.InvariantCulture) > firstPass.AddSeconds(1.5), "two more passes ran");

        Assert.Equal(first, await ModifiedAtAsync(node));
    }

    private static async Task<string> ModifiedAtAsync(DomainNode node)
    {
        using var response = await node.Client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Domain:steady?options=sysAttrs").Within("reading the Domain entity");
        var entity = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return entity["modifiedAt"]!.GetValue<string>();
    }

    [Fact]
    public async Task Leave_Twice_IsIdempotentAndJoinRestoresTheStatus()
    {
        await using var node = await DomainNode.StartAsync("twice");
        await TestDeadline.Until(async () => (await node.FederationStateAsync())["lastPass"] is not null, "the first pass ran");

        for (var i = 0; i < 2; i++)
        {
            using var leave = await node.Client.PostAsync("/federation/v1/leave", null).Within($"leave #{i + 1}");
            Assert.Equal(HttpStatusCode.OK, leave.StatusCode);
        }
        Assert.Equal("left", (await node.FederationStateAsync())["status"]!.GetValue<string>());

        using var join = await node.Client.PostAsync("/federation/v1/join", null).Within("joining again");
        Assert.Equal(HttpStatusCode.Accepted, join.StatusCode);
        await TestDeadline.Until(async () =>
        {
            using var response = await node.Client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Domain:twice");
            var entity = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return entity[ContinuumTerms.DomainStatus]?["object"]?.GetValue<string>() == ContinuumTerms.DomainStatusFunctional;
        }, "the Domain entity is Functional again");
    }

    [Fact]
    public async Task FederationApi_WrongMethod_IsNot500()
    {
        await using var node = await DomainNode.StartAsync("methods");

        using var response = await node.Client.DeleteAsync("/federation/v1/domains").Within("DELETE domains");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
