using System.Net;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Orchestration.Hlo;

namespace Aeros.Orchestration.Tests.Hlo;

/// <summary>The HLO's API and placement against a real broker, with elements written as entities (no agents, no LLO).</summary>
[Trait("Category", "Slow")]
public sealed class HloApiTests
{
    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task Post_InvalidBlueprint_Returns400WithEveryErrorAndWritesNothing()
    {
        await using var bed = await HloTestbed.StartAsync();
        await bed.StartHloAsync();
        var yaml = HloTestbed.Blueprint(hostProperties: ["cpu_arch: { equal: sparc }", "energy_efficiency: { greater_or_equal: 7 }"]).Replace("cpu: 0.5", "cpu: lots");

        using var response = await bed.PostAsync("bad", yaml);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsArray();
        Assert.True(errors.Count >= 3, problem.ToJsonString());
        Assert.Contains(errors, e => e!["message"]!.GetValue<string>().Contains("sparc", StringComparison.Ordinal));
        Assert.All(errors, e => Assert.True(e!["line"]!.GetValue<int>() > 0));
        Assert.Null(await bed.Client.GetRawAsync("urn:ngsi-ld:Service:bad").Within("reading the service"));
        Assert.Empty(await bed.Client.QueryAsync<ServiceComponent>().Within("reading components"));
    }

    [Fact]
    public async Task Post_BadIdTypeOrSize_AnswersProblems()
    {
        await using var bed = await HloTestbed.StartAsync();
        await bed.StartHloAsync();

        using var badId = await bed.PostAsync("no spaces!", HloTestbed.Blueprint());
        await ProblemAsync(badId, HttpStatusCode.BadRequest);
        using var badType = await bed.PostAsync("web", HloTestbed.Blueprint(), "application/xml");
        await ProblemAsync(badType, HttpStatusCode.UnsupportedMediaType);
        using var tooLarge = await bed.PostAsync("web", HloTestbed.Blueprint() + "#" + new string('x', HloApi.MaxBodyBytes));
        await ProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge);
        using var unknown = await bed.Api.GetAsync("/hlo/v1/services/nothing").Within("GET unknown");
        await ProblemAsync(unknown, HttpStatusCode.NotFound);
        using var deleteUnknown = await bed.SendAsync(HttpMethod.Delete, "nothing", null);
        await ProblemAsync(deleteUnknown, HttpStatusCode.NotFound);
        using var badAlert = await bed.Api.PostAsync("/hlo/v1/alerts", new StringContent("{\"components\": [1]}")).Within("bad alert");
        var alertProblem = await ProblemAsync(badAlert, HttpStatusCode.BadRequest);
        Assert.Equal(3, alertProblem["errors"]!.AsArray().Count);
        using var openApi = await bed.Api.GetAsync("/hlo/v1/openapi.json").Within("GET openapi");
        var document = JsonNode.Parse(await openApi.Content.ReadAsStringAsync())!;
        Assert.Equal("3.1.0", document["openapi"]!.GetValue<string>());
        Assert.NotNull(document["paths"]!["/services/{id}"]!["post"]);
    }

    [Fact]
    public async Task Post_FeasibleBlueprint_PlacesOnAnElementWithADecisionAndDuplicateIs409()
    {
        await using var bed = await HloTestbed.StartAsync();
        await bed.WriteElementAsync("small", cores: 1);
        await bed.WriteElementAsync("big", cores: 8);
        await bed.StartHloAsync();

        using var response = await bed.PostAsync("shop", HloTestbed.Blueprint());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("urn:ngsi-ld:Service:shop", body["id"]!.GetValue<string>());
        Assert.Equal("/hlo/v1/services/urn%3Angsi-ld%3AService%3Ashop", response.Headers.Location!.OriginalString);
        var componentId = HloTestbed.ComponentId("shop", "web");
        await bed.WaitForComponentAsync(componentId, c => c.ServiceComponentStatus == ServiceComponentStatus.Starting, "the component is placed");
        var component = (await bed.ComponentAsync(componentId))!;
        Assert.Contains(component.InfrastructureElement, new[] { HloTestbed.ElementId("small"), HloTestbed.ElementId("big") });
        Assert.Equal(1, component.Generation);
        Assert.NotNull(component.PlacementDecision);
        Assert.Contains("feasible", component.PlacementDecision!.Reason, StringComparison.Ordinal);

        var view = await bed.GetServiceAsync("shop");
        Assert.Equal("urn:ngsi-ld:Domain:d1", view["domainHandler"]!.GetValue<string>());
        var c0 = view["components"]!.AsArray().Single()!;
        Assert.Equal("Starting", c0["status"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Domain:d1", c0["domain"]!.GetValue<string>());
        Assert.Equal(component.PlacementDecision.Reason, c0["decision"]!["reason"]!.GetValue<string>());
        using var list = await bed.Api.GetAsync("/hlo/v1/services").Within("listing");
        var summary = JsonNode.Parse(await list.Content.ReadAsStringAsync())!.AsArray().Single()!;
        Assert.Equal(1, summary["components"]!.GetValue<int>());
        Assert.Equal("Starting", summary["status"]!.GetValue<string>());

        using var duplicate = await bed.PostAsync("urn:ngsi-ld:Service:shop", HloTestbed.Blueprint());
        await ProblemAsync(duplicate, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Post_JsonBlueprint_IsPlaced()
    {
        await using var bed = await HloTestbed.StartAsync();
        await bed.WriteElementAsync("a");
        await bed.StartHloAsync();
        const string json = """
            {"tosca_definitions_version": "tosca_simple_yaml_1_3",
             "node_templates": {"api": {"type": "tosca.nodes.Container.Application",
               "artifacts": {"proc": {"type": "aeros.artifacts.Deployment.Process", "file": "/bin/busybox", "args": ["sleep", "3600"]}},
               "interfaces": {"Standard": {"create": {"implementation": "proc"}}}}}}
            """;

        using var response = await bed.PostAsync("json", json, "application/json; charset=utf-8");

        Assert.True(HttpStatusCode.Accepted == response.StatusCode, await response.Content.ReadAsStringAsync());
        await bed.WaitForComponentAsync(HloTestbed.ComponentId("json", "api"), c => c.InfrastructureElement == HloTestbed.ElementId("a"), "placed on a");
    }

    [Fact]
    public async Task Post_Unsatisfiable_FailsWithTheConstraintInTheReason()
    {
        await using var bed = await HloTestbed.StartAsync();
        await bed.WriteElementAsync("x86");
        await bed.StartHloAsync();

        using var response = await bed.PostAsync("arm", HloTestbed.Blueprint(hostProperties: ["cpu_arch: { equal: arm64 }"]));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var componentId = HloTestbed.ComponentId("arm", "web");
        await bed.WaitForComponentAsync(componentId, c => c.ServiceComponentStatus == ServiceComponentStatus.Failed, "the component is Failed");
        var component = (await bed.ComponentAsync(componentId))!;
        Assert.Contains("cpuArchitecture", component.StatusReason, StringComparison.Ordinal);
        Assert.Null(component.InfrastructureElement);
    }

    [Fact]
    public async Task Alert_OnTheElement_RePlacesItsComponentsElsewhere()
    {
        await using var bed = await HloTestbed.StartAsync();
        await bed.WriteElementAsync("a");
        await bed.StartHloAsync();
        using var response = await bed.PostAsync("s", HloTestbed.Blueprint());
        var componentId = HloTestbed.ComponentId("s", "web");
        await bed.WaitForComponentAsync(componentId, c => c.InfrastructureElement == HloTestbed.ElementId("a"), "placed on a");
        await bed.WriteElementAsync("b");

        using var alert = await bed.Api.PostAsync("/hlo/v1/alerts", new StringContent(
            $$"""{"infrastructureElement": "{{HloTestbed.ElementId("a")}}", "reason": "disk failing"}""")).Within("posting the alert");

        Assert.Equal(HttpStatusCode.Accepted, alert.StatusCode);
        await bed.WaitForComponentAsync(componentId, c => c.InfrastructureElement == HloTestbed.ElementId("b") && c.ServiceComponentStatus == ServiceComponentStatus.Starting,
            "re-placed on b");
        Assert.Equal(2, (await bed.ComponentAsync(componentId))!.Generation);
    }

    [Fact]
    public async Task ReplaceAsync_LostElement_MigratesToAnotherWithTheNextGeneration()
    {
        await using var bed = await HloTestbed.StartAsync();
        await bed.WriteElementAsync("a");
        await bed.StartHloAsync();
        using var response = await bed.PostAsync("s", HloTestbed.Blueprint());
        var componentId = HloTestbed.ComponentId("s", "web");
        await bed.WaitForComponentAsync(componentId, c => c.InfrastructureElement == HloTestbed.ElementId("a"), "placed on a");
        await bed.WriteElementAsync("b");
        await bed.Client.MergeAsync(HloTestbed.ElementId("a"), new Dictionary<string, object?> { ["reachable"] = false }).Within("marking a lost");

        await bed.Service<Aeros.Orchestration.Llo.IComponentReplacer>().ReplaceAsync(componentId, HloTestbed.ElementId("a"), CancellationToken.None).Within("replacing");

        var component = (await bed.ComponentAsync(componentId))!;
        Assert.Equal(HloTestbed.ElementId("b"), component.InfrastructureElement);
        Assert.Equal(ServiceComponentStatus.Starting, component.ServiceComponentStatus);
        Assert.Equal(2, component.Generation);
        // Idempotent: a second call for the same loss changes nothing.
        await bed.Service<Aeros.Orchestration.Llo.IComponentReplacer>().ReplaceAsync(componentId, HloTestbed.ElementId("a"), CancellationToken.None).Within("replacing again");
        Assert.Equal(2, (await bed.ComponentAsync(componentId))!.Generation);
    }

    [Fact]
    public async Task Restart_ComponentsLocating_ArePlacedByTheNewHlo()
    {
        await using var bed = await HloTestbed.StartAsync();
        await bed.WriteElementAsync("a");
        // What a crash right after the writes leaves: the entities, Locating, and no queue.
        var entities = Aeros.Orchestration.Blueprints.BlueprintMapper.ToEntities("crash", Aeros.Orchestration.Blueprints.BlueprintParser.Parse(HloTestbed.Blueprint()).Blueprint!);
        await bed.Client.UpsertManyAsync(entities.All).Within("writing the entities");

        await bed.StartHloAsync();

        await bed.WaitForComponentAsync(HloTestbed.ComponentId("crash", "web"), c => c.ServiceComponentStatus == ServiceComponentStatus.Starting, "placed after restart");
    }

    [Fact]
    public async Task Delete_Service_SetsComponentsRemovingAndDeletesTheService()
    {
        await using var bed = await HloTestbed.StartAsync();
        await bed.WriteElementAsync("a");
        await bed.StartHloAsync();
        using var response = await bed.PostAsync("gone", HloTestbed.Blueprint());
        var componentId = HloTestbed.ComponentId("gone", "web");
        await bed.WaitForComponentAsync(componentId, c => c.ServiceComponentStatus == ServiceComponentStatus.Starting, "placed");

        using var delete = await bed.SendAsync(HttpMethod.Delete, "gone", null);

        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Null(await bed.Client.GetRawAsync("urn:ngsi-ld:Service:gone").Within("reading the service"));
        Assert.Equal(ServiceComponentStatus.Removing, (await bed.ComponentAsync(componentId))!.ServiceComponentStatus);
        // The HLO re-asserts Removing while the component exists (the LLO may overwrite a status once).
        await bed.Client.MergeAsync(componentId, new Dictionary<string, object?> { ["serviceComponentStatus"] = ServiceComponentStatus.Running }).Within("overwriting");
        await bed.WaitForComponentAsync(componentId, c => c.ServiceComponentStatus == ServiceComponentStatus.Removing, "Removing re-asserted");
        using var again = await bed.PostAsync("gone", HloTestbed.Blueprint());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }
}
