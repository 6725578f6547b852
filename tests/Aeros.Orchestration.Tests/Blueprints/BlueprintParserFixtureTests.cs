using Aeros.Abstractions.Continuum;
using Aeros.Orchestration.Blueprints;

namespace Aeros.Orchestration.Tests.Blueprints;

public sealed class BlueprintParserFixtureTests
{
    [Theory]
    [InlineData("TOSCA-portal-backend.yml")]
    [InlineData("tosca_5g-vehicle.yml")]
    [InlineData("tosca_dev_aeriOS_service.yaml")]
    public void Parse_AerosFixture_HasNoErrors(string file)
    {
        var result = BlueprintParser.Parse(BlueprintFiles.Fixture(file));

        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Errors));
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Parse_DevServiceFixture_ReadsPinnedHostPortsImagesAndConstraints()
    {
        var blueprint = BlueprintParser.Parse(BlueprintFiles.Fixture("tosca_dev_aeriOS_service.yaml")).Blueprint!;

        Assert.Equal("TOSCA simple container application with with two service components ports and hosts requirements", blueprint.Description);
        Assert.False(blueprint.ServiceOverlay);
        Assert.Equal(["nginx_component", "nmosquitto_component"], blueprint.Components.Select(c => c.Name));

        var nginx = blueprint.Components[0];
        Assert.Equal("urn:ngsi-ld:InfrastructureElement:ncsrd-w2", nginx.Host.PinnedId);
        Assert.Null(nginx.Host.CpuUsageMax);
        Assert.Equal([new ComponentPort("nginx_port1", 80, PortProtocol.TCP), new ComponentPort("nginx_port2", 443, PortProtocol.TCP)], nginx.Ports);
        var image = Assert.IsType<ImageArtifact>(nginx.Artifact);
        Assert.Equal(("nginx_component_image", "nginx:latest", "docker_hub", false), (image.Name, image.File, image.Repository, image.IsPrivate));
        Assert.Equal("nginx:latest", image.Image);
        Assert.Equal(
            [new KeyValueEntry("SOME_NGINX_ENV_VARIABLE", "SOME_NGINX_ENV_VARIABLE_VALUE"), new KeyValueEntry("SOME_MORE_NGINX_ENV_VARIABLE", "SOME_MORE_NGINX_ENV_VARIABLE_VALUE")],
            nginx.EnvVars);
        Assert.Empty(nginx.CliArgs);
        Assert.Equal((1, false, false), (nginx.Replicas, nginx.IsJob, nginx.ExposePorts));
        Assert.Equal(ComponentResources.Default, nginx.Resources);

        var mqtt = blueprint.Components[1];
        Assert.Null(mqtt.Host.PinnedId);
        Assert.Equal(50, mqtt.Host.CpuUsageMax);
        Assert.Equal(CpuArchitecture.AMD64, mqtt.Host.CpuArchitecture);
        Assert.Equal(4096, mqtt.Host.MemSizeMinMb);
        Assert.False(mqtt.Host.Realtime);
        Assert.Equal(
            [new GeoPosition(-0.3411743020092746, 39.48103451588121), new GeoPosition(-0.3411743020092746, 39.4103451588121),
             new GeoPosition(-0.3411743020092746, 39.48103451588121), new GeoPosition(-0.3411743020092746, 39.48103451588121)],
            mqtt.Host.Area);
        Assert.Equal([1883, 9883], mqtt.Ports.Select(p => p.Port));
        Assert.Equal("eclipse-mosquitto:latest", ((ImageArtifact)mqtt.Artifact).Image);
    }

    [Fact]
    public void Parse_PortalBackendFixture_ReadsBothPortLayoutsCliArgsAndGreaterOrEqualCpuUsage()
    {
        var blueprint = BlueprintParser.Parse(BlueprintFiles.Fixture("TOSCA-portal-backend.yml")).Blueprint!;

        Assert.Equal("This is a testing TOSCA composed of X nodes", blueprint.Description);
        var nginx = blueprint.Components[0];
        // port1 writes protocol/source directly, port2 under properties: both are ports.
        Assert.Equal([new ComponentPort("port1", 1026, PortProtocol.TCP), new ComponentPort("port2", 443, PortProtocol.TCP)], nginx.Ports);
        Assert.Equal([new KeyValueEntry("-forwarding", ""), new KeyValueEntry("-brokerId", "CFDomain")], nginx.CliArgs);
        Assert.Equal([new KeyValueEntry("BROKER_ID", "CFDomain"), new KeyValueEntry("OTHER_ENV_VAR", "another value")], nginx.EnvVars);
        Assert.Equal(CpuArchitecture.AMD64, nginx.Host.CpuArchitecture);
        Assert.True(nginx.Host.Realtime);
        // cpu_usage greater_or_equal 0.3: the component needs 30 % of the CPU free, so the element may be at most 70 % busy.
        Assert.Equal(70, nginx.Host.CpuUsageMax!.Value, 9);
        Assert.Equal(500, nginx.Host.MemSizeMinMb);
        Assert.Null(nginx.Host.PinnedId);
        Assert.Equal("registry.gitlab.aeriOS-project.eu/nginx", ((ImageArtifact)nginx.Artifact).Image);

        var nginx2 = blueprint.Components[1];
        Assert.Equal("urn:ngsi-ld:InfrastructureElement:ncsrd-wl", nginx2.Host.PinnedId);
        Assert.Null(nginx2.Host.CpuArchitecture);
    }

    [Fact]
    public void Parse_VehicleFixture_ReadsFullImageReferenceAndNonStringEnvValue()
    {
        var blueprint = BlueprintParser.Parse(BlueprintFiles.Fixture("tosca_5g-vehicle.yml")).Blueprint!;

        var vehicle = Assert.Single(blueprint.Components);
        Assert.Equal("5g-vehicle", vehicle.Name);
        Assert.Equal("urn:ngsi-ld:InfrastructureElement:pi", vehicle.Host.PinnedId);
        Assert.Equal([new ComponentPort("uvicorn_port", 8000, PortProtocol.TCP)], vehicle.Ports);
        var image = Assert.IsType<ImageArtifact>(vehicle.Artifact);
        Assert.Null(image.Repository);
        Assert.Equal("registry.gitlab.aeriOS-project.eu/aeriOS-public/midterm-demo/5g_vehicle:latest", image.Image);
        Assert.Equal(
            [new KeyValueEntry("CB_URL", "http://orion-orion-ld-broker.default.svc.cluster.local:1026"), new KeyValueEntry("KRAKEND", "false")],
            vehicle.EnvVars);
    }
}
