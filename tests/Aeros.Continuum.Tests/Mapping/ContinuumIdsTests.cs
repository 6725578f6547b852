using Aeros.Abstractions.Continuum;

namespace Aeros.Continuum.Tests.Mapping;

public sealed class ContinuumIdsTests
{
    [Fact]
    public void InfrastructureElement_MacWithColons_IsLowerCaseWithoutColons()
    {
        Assert.Equal("urn:ngsi-ld:InfrastructureElement:Production:00155dc09474", ContinuumIds.InfrastructureElement("Production", "00:15:5D:C0:94:74"));
    }

    [Fact]
    public void LowLevelOrchestrator_Technology_UsesAerosName()
    {
        Assert.Equal("urn:ngsi-ld:LowLevelOrchestrator:Cloud:Kubernetes", ContinuumIds.LowLevelOrchestrator("Cloud", ContainerTechnology.Kubernetes));
        Assert.Equal("urn:ngsi-ld:LowLevelOrchestrator:d:containerd", ContinuumIds.LowLevelOrchestrator("d", ContainerTechnology.Containerd));
    }

    [Fact]
    public void ComponentAndRequirements_FollowTheServiceId()
    {
        var component = ContinuumIds.ServiceComponent("urn:ngsi-ld:Service:WebApp01", "Backend");
        Assert.Equal("urn:ngsi-ld:Service:WebApp01:Component:Backend", component);
        Assert.Equal("urn:ngsi-ld:Service:WebApp01:Component:Backend:InfrastructureElementRequirements", ContinuumIds.Requirements(component));
        Assert.Equal("urn:ngsi-ld:Domain:UPV", ContinuumIds.Domain("UPV"));
    }

    [Fact]
    public void InfrastructureElement_EmptyDomain_Throws()
    {
        Assert.Throws<ArgumentException>(() => ContinuumIds.InfrastructureElement(" ", "00:11:22:33:44:55"));
    }

    [Fact]
    public void GeoGeometryPoint_LongitudeLatitude_GeoJsonCoordinates()
    {
        var point = Aeros.Abstractions.Continuum.GeoGeometry.Point(-0.34, 39.48);

        Assert.Equal("Point", point.Type);
        Assert.Equal("[-0.34,39.48]", point.Coordinates.GetRawText());
    }
}
