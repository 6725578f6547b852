namespace Aeros.Abstractions.Continuum;

/// <summary>The ids of continuum entities, as the original aerOS builds them.</summary>
public static class ContinuumIds
{
    /// <summary><c>urn:ngsi-ld:Domain:&lt;name&gt;</c>.</summary>
    public static string Domain(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return "urn:ngsi-ld:Domain:" + name;
    }

    /// <summary><c>urn:ngsi-ld:InfrastructureElement:&lt;domain&gt;:&lt;mac without colons, lower case&gt;</c>.</summary>
    public static string InfrastructureElement(string domain, string macAddress)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        ArgumentException.ThrowIfNullOrWhiteSpace(macAddress);
        var mac = macAddress.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        return $"urn:ngsi-ld:InfrastructureElement:{domain}:{mac}";
    }

    /// <summary><c>urn:ngsi-ld:LowLevelOrchestrator:&lt;domain&gt;:&lt;technology&gt;</c>.</summary>
    public static string LowLevelOrchestrator(string domain, ContainerTechnology technology)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        return $"urn:ngsi-ld:LowLevelOrchestrator:{domain}:{TechnologyName(technology)}";
    }

    /// <summary><c>&lt;serviceId&gt;:Component:&lt;nodeName&gt;</c> (nodeName: the TOSCA node name).</summary>
    public static string ServiceComponent(string serviceId, string nodeName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeName);
        return $"{serviceId}:Component:{nodeName}";
    }

    /// <summary><c>&lt;componentId&gt;:InfrastructureElementRequirements</c>.</summary>
    public static string Requirements(string componentId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(componentId);
        return componentId + ":InfrastructureElementRequirements";
    }

    /// <summary><c>&lt;componentId&gt;:NetworkPort:&lt;name&gt;</c>.</summary>
    public static string NetworkPort(string componentId, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(componentId);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return $"{componentId}:NetworkPort:{name}";
    }

    /// <summary>The name aerOS writes for <paramref name="technology"/> (<c>containerd</c>, <c>iSulad</c>, ...).</summary>
    public static string TechnologyName(ContainerTechnology technology) => technology switch
    {
        ContainerTechnology.Containerd => "containerd",
        ContainerTechnology.ISulad => "iSulad",
        _ => technology.ToString(),
    };
}
