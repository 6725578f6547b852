using System.Text.Json;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Orchestration.Blueprints;

namespace Aeros.Orchestration.Tests.Blueprints;

public sealed class BlueprintMapperTests
{
    private const string TwoComponents = """
        tosca_definitions_version: tosca_simple_yaml_1_3
        description: mapped
        serviceOverlay: true
        node_templates:
          api:
            type: tosca.nodes.Container.Application
            replicas: 2
            resources: { cpu: 0.5, memory: 256 MB }
            requirements:
              - network: { properties: { ports: { http: { properties: { protocol: [tcp], source: 8080 } } } } }
              - host:
                  node_filter:
                    capabilities:
                      - host:
                          properties:
                            gpu_memory: { greater_or_equal: 2 GB }
                            green: { greater_or_equal: 0.6 }
                            area: { coordinates: [[0, 0], [1, 0], [1, 1]] }
            artifacts:
              p: { type: aeros.artifacts.Deployment.Process, file: /bin/busybox, args: [httpd, -f] }
          web:
            type: tosca.nodes.Container.Application
            isJob: true
            requirements:
              - dependency: { node: api, max_latency_ms: 5 }
            artifacts:
              img: { file: web:1, type: tosca.artifacts.Deployment.Image.Container.Docker, repository: reg.example, isPrivate: true, username: u, password: p }
            interfaces:
              Standard:
                create:
                  implementation: img
                  inputs:
                    cliArgs: [{ --verbose: '' }, { --port: '80' }]
        """;

    [Theory]
    [InlineData("shop", "urn:ngsi-ld:Service:shop")]
    [InlineData("urn:ngsi-ld:Service:shop", "urn:ngsi-ld:Service:shop")]
    [InlineData("urn:ngsi-ld:Service:01:v2", "urn:ngsi-ld:Service:01:v2")]
    [InlineData("my_service-1.0", "urn:ngsi-ld:Service:my_service-1.0")]
    public void TryNormalizeServiceId_ValidId_ReturnsTheServiceUrn(string given, string expected)
    {
        Assert.True(BlueprintMapper.TryNormalizeServiceId(given, out var id, out var error), error);
        Assert.Equal(expected, id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("urn:ngsi-ld:Domain:shop")]
    [InlineData("urn:ngsi-ld:Service:")]
    [InlineData("urn:ngsi-ld:Service:a b")]
    [InlineData("shop/1")]
    [InlineData("-shop")]
    [InlineData("shop:")]
    public void TryNormalizeServiceId_InvalidId_ExplainsWhy(string given)
    {
        Assert.False(BlueprintMapper.TryNormalizeServiceId(given, out var id, out var error));
        Assert.Null(id);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void ToEntities_InvalidServiceId_Throws()
    {
        var blueprint = BlueprintParser.Parse(TwoComponents).Blueprint!;

        Assert.Throws<ArgumentException>(() => BlueprintMapper.ToEntities("bad id", blueprint));
    }

    [Fact]
    public void ToEntities_ReplicasPortsRequirementsAndDependencies_MappedWithAerosIds()
    {
        var entities = BlueprintMapper.ToEntities("shop", BlueprintParser.Parse(TwoComponents).Blueprint!);

        const string service = "urn:ngsi-ld:Service:shop";
        Assert.Equal(service, entities.Service.Id);
        Assert.Equal(("shop", "mapped", true, ServiceActionType.Deploying), (entities.Service.Name, entities.Service.Description, entities.Service.HasOverlay, entities.Service.ActionType));
        Assert.Equal([service + ":Component:api-1", service + ":Component:api-2", service + ":Component:web"], entities.Components.Select(c => c.Id));

        var api1 = entities.Components[0];
        Assert.Equal("api-1", api1.Name);
        Assert.Equal(service, api1.Service);
        Assert.Equal(ServiceComponentStatus.Locating, api1.ServiceComponentStatus);
        Assert.Equal(0, api1.Generation);
        Assert.Equal(service + ":Component:api-1:InfrastructureElementRequirements", api1.InfrastructureElementRequirements);
        Assert.Equal([service + ":Component:api-1:NetworkPort:http"], api1.NetworkPorts);
        Assert.Equal("/bin/busybox", api1.ProcessCommand);
        Assert.Equal(["httpd", "-f"], api1.ProcessArgs);
        Assert.Null(api1.ContainerImage);
        Assert.Null(api1.IsPrivate);

        var web = entities.Components[2];
        Assert.Equal("reg.example/web:1", web.ContainerImage);
        Assert.Equal((true, "u", "p", true, false), (web.IsPrivate, web.RepoUsername, web.RepoPassword, web.IsJob, web.ExposePorts));
        Assert.Equal([new KeyValueEntry("--verbose", ""), new KeyValueEntry("--port", "80")], web.CliArgs);
        Assert.Null(web.NetworkPorts);
        Assert.Null(web.ProcessCommand);

        Assert.Equal(entities.Components.Select(c => c.InfrastructureElementRequirements), entities.Requirements.Select(r => r.Id));
        var requirements = entities.Requirements[1];
        Assert.Equal((0.5, 256d, true, 0.6), (requirements.CpuRequest!.Value, requirements.MemoryRequest!.Value, requirements.Gpu!.Value, requirements.GreenEnergyRatio!.Value));
        Assert.Equal("Polygon", requirements.Location!.Type);
        Assert.Equal("[[[0,0],[1,0],[1,1],[0,0]]]", requirements.Location.Coordinates.GetRawText());
        Assert.Equal([new(0, 0), new(1, 0), new(1, 1), new(0, 0)], BlueprintMapper.AreaRing(requirements.Location)!);
        Assert.Equal((ComponentResources.DefaultCpuRequest, ComponentResources.DefaultMemoryRequestMb), (entities.Requirements[2].CpuRequest!.Value, entities.Requirements[2].MemoryRequest!.Value));

        Assert.Equal([8080, 8080], entities.Ports.Select(p => p.PortNumber!.Value));
        Assert.Equal(service + ":Component:api-2:NetworkPort:http", entities.Ports[1].Id);

        Assert.Equal(
            [(service + ":Component:web", service + ":Component:api-1"), (service + ":Component:web", service + ":Component:api-2")],
            entities.Connections.Select(c => (c.LinkFrom!, c.LinkTo!)));
        Assert.Equal(service + ":Component:web:NetworkConnection:api-1", entities.Connections[0].Id);
        Assert.All(entities.Connections, c => Assert.Equal((5d, (double?)null), (c.MaxLatency!.Value, c.MinBandwidth)));
        Assert.Equal(2000, requirements.RequiredGpuMemory);
        Assert.Null(requirements.RequiredDisk);
        Assert.Equal(1 + 3 + 3 + 2 + 2, entities.All.Count);
        Assert.Equal(entities.All.Count, entities.All.Select(e => e.Id).Distinct().Count());
    }

    [Fact]
    public async Task ToEntities_FixtureWrittenToARealBroker_ReadsBackEqual()
    {
        var blueprint = BlueprintParser.Parse(BlueprintFiles.Fixture("tosca_dev_aeriOS_service.yaml")).Blueprint!;
        var entities = BlueprintMapper.ToEntities("urn:ngsi-ld:Service:dev", blueprint);
        await using var broker = await TestBroker.StartAsync().Within("starting the broker");
        using var http = broker.CreateHttpClient();
        var client = new ContinuumClient(http, new ContinuumClientOptions(), TimeProvider.System);

        await client.UpsertManyAsync(entities.All).Within("writing the entities");

        var service = await client.GetAsync<Service>(entities.Service.Id).Within("reading the service");
        Assert.Equal(entities.Service, service);
        foreach (var component in entities.Components)
        {
            var read = await client.GetAsync<ServiceComponent>(component.Id).Within("reading " + component.Id);
            Assert.NotNull(read);
            Assert.Equal(component.EnvVars, read.EnvVars);
            Assert.Equal(component.NetworkPorts, read.NetworkPorts);
            Assert.Equal(component with { EnvVars = null, NetworkPorts = null, CliArgs = null }, read with { EnvVars = null, NetworkPorts = null, CliArgs = null });
        }
        foreach (var requirements in entities.Requirements)
        {
            var read = await client.GetAsync<InfrastructureElementRequirements>(requirements.Id).Within("reading " + requirements.Id);
            Assert.NotNull(read);
            Assert.Equal(requirements with { Location = null }, read with { Location = null });
            Assert.Equal(requirements.Location?.Coordinates.GetRawText(), read.Location?.Coordinates.GetRawText());
        }
        var mqtt = await client.GetAsync<InfrastructureElementRequirements>(entities.Requirements[1].Id).Within("reading the mqtt requirements");
        Assert.Equal((50d, 4096d, CpuArchitecture.AMD64, false), (mqtt!.RequiredCpuUsage!.Value, mqtt.RequiredRam!.Value, mqtt.CpuArchitecture!.Value, mqtt.RealTimeCapable!.Value));
        Assert.Equal("urn:ngsi-ld:InfrastructureElement:ncsrd-w2", (await client.GetAsync<InfrastructureElementRequirements>(entities.Requirements[0].Id).Within("reading the pinned requirements"))!.InfrastructureElement);
        foreach (var port in entities.Ports)
        {
            Assert.Equal(port, await client.GetAsync<NetworkPort>(port.Id).Within("reading " + port.Id));
        }
        // The broker can find the service's components by their relationship, as the HLO and LLO will.
        var components = await client.QueryAsync<ServiceComponent>($"service==\"{entities.Service.Id}\"").Within("querying the components");
        Assert.Equal(entities.Components.Select(c => c.Id).Order(StringComparer.Ordinal), components.Select(c => c.Id).Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.Array, mqtt.Location!.Coordinates.ValueKind);
    }
}
