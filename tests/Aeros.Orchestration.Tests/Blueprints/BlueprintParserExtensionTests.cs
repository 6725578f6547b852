using Aeros.Abstractions.Continuum;
using Aeros.Orchestration.Blueprints;

namespace Aeros.Orchestration.Tests.Blueprints;

public sealed class BlueprintParserExtensionTests
{
    private const string Extended = """
        tosca_definitions_version: tosca_simple_yaml_1_3
        description: extensions
        serviceOverlay: true
        node_templates:
          api:
            type: tosca.nodes.Container.Application
            replicas: 3
            isJob: false
            resources:
              cpu: 250m
              memory: 1 GiB
            requirements:
              - host:
                  node_filter:
                    properties:
                      - id: { equal: "urn:ngsi-ld:InfrastructureElement:domain1:0a1b2c3d4e5f" }
                    capabilities:
                      - host:
                          properties:
                            - gpu: { equal: true }
                            - gpu_memory: { greater_or_equal: 8 GB }
                            - disk_size: 2 GiB
                            - cpu_arch: aarch64
                            - cpu_usage: 40 %
                            - energy_efficiency: { greater_or_equal: 0.7 }
                            - green: { equal: true }
                            - domain_id: urn:ngsi-ld:Domain:domain2
                            - area:
                                type: Polygon
                                coordinates: [[[0, 0], [10, 0], [10, 10], [0, 0]]]
              - network:
                  properties:
                    exposePorts: true
                    ports:
                      metrics: { properties: { protocol: udp, source: 9100 } }
            artifacts:
              server:
                type: aeros.artifacts.Deployment.Process
                file: /bin/busybox
                args: [httpd, -f, -p, "8080"]
            interfaces:
              Standard:
                create:
                  implementation: { primary: server }
                  inputs:
                    envVars: { B: "2", A: "1" }
          web:
            type: tosca.nodes.Container.Application
            requirements:
              - dependency: { node: api, max_latency_ms: 20, min_bandwidth_mbps: 100 }
              - dependency: api-db
              - host:
                  node_filter:
                    capabilities:
                      - host:
                          properties:
                            cpu_arch: { equal: armv7 }
                            green: { greater_than: 0.25 }
                            area:
                              coordinates: [[1, 1], [2, 1], [2, 2]]
            artifacts:
              img:
                file: web:1
                type: tosca.artifacts.Deployment.Image.Container.Docker
                repository: registry.example.org
                isPrivate: true
                username: me
                password: secret
            interfaces:
              Standard:
                create: img
          api-db:
            type: tosca.nodes.Container.Application
            isJob: true
            artifacts:
              job: { type: aeros.artifacts.Deployment.Process, file: /bin/true }
        """;

    [Fact]
    public void Parse_EveryExtension_IsRead()
    {
        var result = BlueprintParser.Parse(Extended);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var blueprint = result.Blueprint!;
        Assert.True(blueprint.ServiceOverlay);
        var api = blueprint.Components[0];
        Assert.Equal(3, api.Replicas);
        Assert.Equal(new ComponentResources(0.25, 1073.741824), api.Resources with { MemoryRequestMb = Math.Round(api.Resources.MemoryRequestMb, 6) });
        Assert.True(api.ExposePorts);
        Assert.Equal([new ComponentPort("metrics", 9100, PortProtocol.UDP)], api.Ports);
        var process = Assert.IsType<ProcessArtifact>(api.Artifact);
        Assert.Equal("/bin/busybox", process.Command);
        Assert.Equal(["httpd", "-f", "-p", "8080"], process.Args);
        Assert.Equal([new KeyValueEntry("B", "2"), new KeyValueEntry("A", "1")], api.EnvVars);
        var host = api.Host;
        Assert.Equal("urn:ngsi-ld:InfrastructureElement:domain1:0a1b2c3d4e5f", host.PinnedId);
        Assert.True(host.Gpu);
        Assert.Equal(8000, host.GpuMemoryMinMb);
        Assert.Equal(2147.483648, host.DiskMinMb!.Value, 6);
        Assert.Equal(CpuArchitecture.ARM64, host.CpuArchitecture);
        Assert.Equal(40, host.CpuUsageMax);
        Assert.Equal(0.7, host.EnergyEfficiencyMin);
        Assert.Equal(0.5, host.Green);
        Assert.Equal("urn:ngsi-ld:Domain:domain2", host.DomainId);
        Assert.Equal([new(0, 0), new(10, 0), new(10, 10), new(0, 0)], host.Area!);

        var web = blueprint.Components[1];
        Assert.Equal([new ComponentLink("api", 20, 100), new ComponentLink("api-db", null, null)], web.Dependencies);
        Assert.Equal(CpuArchitecture.ARM32, web.Host.CpuArchitecture);
        Assert.Equal(0.25, web.Host.Green);
        // An open ring is closed.
        Assert.Equal([new(1, 1), new(2, 1), new(2, 2), new(1, 1)], web.Host.Area!);
        var image = Assert.IsType<ImageArtifact>(web.Artifact);
        Assert.Equal(("registry.example.org/web:1", true, "me", "secret"), (image.Image, image.IsPrivate, image.Username, image.Password));

        var job = blueprint.Components[2];
        Assert.True(job.IsJob);
        var jobProcess = Assert.IsType<ProcessArtifact>(job.Artifact);
        Assert.Equal(("job", "/bin/true"), (jobProcess.Name, jobProcess.Command));
        Assert.Empty(jobProcess.Args);
    }

    [Theory]
    [InlineData("x86_64", CpuArchitecture.AMD64)]
    [InlineData("amd64", CpuArchitecture.AMD64)]
    [InlineData("arm64", CpuArchitecture.ARM64)]
    [InlineData("aarch64", CpuArchitecture.ARM64)]
    [InlineData("arm32", CpuArchitecture.ARM32)]
    [InlineData("armv7", CpuArchitecture.ARM32)]
    [InlineData("riscv64", CpuArchitecture.RiscV)]
    public void Parse_CpuArchName_MapsToDataModelEnum(string name, CpuArchitecture expected)
    {
        var result = BlueprintParser.Parse(Single($"cpu_arch: {{ equal: {name} }}"));

        Assert.Equal(expected, result.Blueprint!.Components[0].Host.CpuArchitecture);
    }

    [Theory]
    [InlineData("4096 MB", 4096)]
    [InlineData("4096MB", 4096)]
    [InlineData("4 GB", 4000)]
    [InlineData("1 GiB", 1073.741824)]
    [InlineData("512 MiB", 536.870912)]
    [InlineData("2048 kB", 2.048)]
    [InlineData("1 TB", 1000000)]
    [InlineData("300", 300)]
    [InlineData("1.5 gb", 1500)]
    public void Parse_MemSizeUnits_ConvertedToMegabytes(string size, double expectedMb)
    {
        var result = BlueprintParser.Parse(Single($"mem_size: {{ greater_or_equal: {size} }}"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(expectedMb, result.Blueprint!.Components[0].Host.MemSizeMinMb!.Value, 6);
    }

    [Theory]
    [InlineData("{ less_or_equal: 0.5 }", 50)]
    [InlineData("{ less_than: 1 }", 100)]
    [InlineData("{ less_or_equal: 75 }", 75)]
    [InlineData("{ less_or_equal: 5 % }", 5)]
    [InlineData("{ greater_or_equal: 0.2 }", 80)]
    [InlineData("0.3", 30)]
    public void Parse_CpuUsage_BecomesHighestElementUsagePercent(string constraint, double expected)
    {
        var result = BlueprintParser.Parse(Single("cpu_usage: " + constraint));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(expected, result.Blueprint!.Components[0].Host.CpuUsageMax!.Value, 9);
    }

    [Fact]
    public void Parse_Json_ReadLikeYamlWithPositions()
    {
        const string json = """
            {
            	"tosca_definitions_version": "tosca_simple_yaml_1_3",
            	"node_templates": {
            		"web": {
            			"type": "tosca.nodes.Container.Application",
            			"requirements": [
            				{ "network": { "properties": { "ports": { "http": { "properties": { "protocol": ["tcp"], "source": 8080 } } } } } },
            				{ "host": { "node_filter": { "capabilities": [ { "host": { "properties": { "mem_size": { "greater_or_equal": "1 GB" } } } } ] } } }
            			],
            			"artifacts": { "img": { "file": "nginx", "type": "tosca.artifacts.Deployment.Image.Container.Docker" } },
            			"interfaces": { "Standard": { "create": { "implementation": "img", "inputs": { "envVars": [ { "A": 1 } ] } } } }
            		}
            	}
            }
            """;

        var result = BlueprintParser.Parse(json);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var web = result.Blueprint!.Components[0];
        Assert.Equal([new ComponentPort("http", 8080, PortProtocol.TCP)], web.Ports);
        Assert.Equal(1000, web.Host.MemSizeMinMb);
        Assert.Equal([new KeyValueEntry("A", "1")], web.EnvVars);

        var bad = BlueprintParser.Parse(json.Replace("8080", "0", StringComparison.Ordinal));
        var error = Assert.Single(bad.Errors);
        Assert.Equal(7, error.Line);
        Assert.Equal("node_templates.web.requirements[0].network.properties.ports.http.properties.source", error.Path);
    }

    [Fact]
    public void Parse_TopologyTemplateLayout_ReadLikeTheAerosLayout()
    {
        var result = BlueprintParser.Parse("""
            tosca_definitions_version: tosca_simple_yaml_1_3
            topology_template:
              node_templates:
                web:
                  type: tosca.nodes.Container.Application
                  artifacts:
                    img: { file: nginx, type: tosca.artifacts.Deployment.Image.Container.Docker }
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("web", Assert.Single(result.Blueprint!.Components).Name);
    }

    private static string Single(string hostProperty) => $$"""
        tosca_definitions_version: tosca_simple_yaml_1_3
        node_templates:
          web:
            type: tosca.nodes.Container.Application
            artifacts:
              img: { file: nginx, type: tosca.artifacts.Deployment.Image.Container.Docker }
            requirements:
              - host:
                  node_filter:
                    capabilities:
                      - host:
                          properties:
                            {{hostProperty}}
        """;
}
