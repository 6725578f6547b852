using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Aeros.Abstractions.Continuum;

namespace Aeros.Orchestration.Blueprints;

/// <summary>The broker entities of one blueprint, as the HLO writes them before placing (see docs/blueprints.md).</summary>
/// <param name="Service">The <c>Service</c>.</param>
/// <param name="Components">One <c>ServiceComponent</c> per component copy (replicas included), status Locating, generation 0.</param>
/// <param name="Requirements">One <c>InfrastructureElementRequirements</c> per component copy, in the order of <paramref name="Components"/>.</param>
/// <param name="Ports">The <c>NetworkPort</c>s of every component copy.</param>
/// <param name="Connections">One <c>NetworkConnection</c> per dependency between component copies.</param>
public sealed record BlueprintEntities(
    Service Service,
    IReadOnlyList<ServiceComponent> Components,
    IReadOnlyList<InfrastructureElementRequirements> Requirements,
    IReadOnlyList<NetworkPort> Ports,
    IReadOnlyList<NetworkConnection> Connections)
{
    /// <summary>Every entity: the service, then components, requirements, ports and connections (for one batch upsert).</summary>
    public IReadOnlyList<ContinuumEntity> All =>
        [Service, .. Components, .. Requirements, .. Ports, .. Connections];
}

/// <summary>Maps a parsed blueprint to the continuum entities of the aerOS data model.</summary>
public static class BlueprintMapper
{
    /// <summary>The prefix of service ids.</summary>
    public const string ServiceIdPrefix = "urn:ngsi-ld:Service:";

    /// <summary>The longest service id accepted.</summary>
    public const int MaxServiceIdLength = 200;

    /// <summary>
    /// Checks a service id: <c>urn:ngsi-ld:Service:&lt;name&gt;</c> (name: letters, digits, '-', '_', '.', ':'), or a
    /// bare name (letters, digits, '-', '_', '.'), which becomes <c>urn:ngsi-ld:Service:&lt;name&gt;</c>.
    /// </summary>
    /// <param name="serviceId">The id as the user gave it.</param>
    /// <param name="normalized">The full id when valid.</param>
    /// <param name="error">Why it is not valid.</param>
    public static bool TryNormalizeServiceId(string? serviceId, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error)
    {
        normalized = null;
        if (string.IsNullOrWhiteSpace(serviceId))
        {
            error = "The service id is empty.";
            return false;
        }
        if (serviceId.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) && !serviceId.StartsWith(ServiceIdPrefix, StringComparison.Ordinal))
        {
            error = $"The service id '{serviceId}' must start with {ServiceIdPrefix} (or be a bare name).";
            return false;
        }
        var full = serviceId.StartsWith(ServiceIdPrefix, StringComparison.Ordinal) ? serviceId : ServiceIdPrefix + serviceId;
        var name = full[ServiceIdPrefix.Length..];
        if (full.Length > MaxServiceIdLength || name.Length == 0 || !char.IsAsciiLetterOrDigit(name[0])
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':') || name.EndsWith(':'))
        {
            error = $"The service id '{serviceId}' is not valid: after {ServiceIdPrefix} write a name of letters, digits, '-', '_', '.' and ':', starting with a letter or digit, at most {MaxServiceIdLength} characters in all.";
            return false;
        }
        normalized = full;
        error = null;
        return true;
    }

    /// <summary>
    /// The names of a component's copies: its own name when it has one replica, else <c>&lt;name&gt;-1</c> …
    /// <c>&lt;name&gt;-n</c>.
    /// </summary>
    public static IReadOnlyList<string> ReplicaNames(ComponentBlueprint component)
    {
        ArgumentNullException.ThrowIfNull(component);
        return component.Replicas <= 1
            ? [component.Name]
            : Enumerable.Range(1, component.Replicas).Select(i => $"{component.Name}-{i}").ToList();
    }

    /// <summary>The entities of <paramref name="blueprint"/> deployed as <paramref name="serviceId"/> (a bare name or a service URN).</summary>
    /// <exception cref="ArgumentException">The service id is not valid (check it first with <see cref="TryNormalizeServiceId"/>).</exception>
    public static BlueprintEntities ToEntities(string serviceId, ServiceBlueprint blueprint)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        if (!TryNormalizeServiceId(serviceId, out var id, out var error))
        {
            throw new ArgumentException(error, nameof(serviceId));
        }
        var components = new List<ServiceComponent>();
        var requirements = new List<InfrastructureElementRequirements>();
        var ports = new List<NetworkPort>();
        var connections = new List<NetworkConnection>();
        var copies = blueprint.Components.ToDictionary(c => c.Name, c => ReplicaNames(c).Select(n => ContinuumIds.ServiceComponent(id, n)).ToList(), StringComparer.Ordinal);
        foreach (var component in blueprint.Components)
        {
            var replicaNames = ReplicaNames(component);
            for (var i = 0; i < replicaNames.Count; i++)
            {
                var componentId = copies[component.Name][i];
                var requirementsId = ContinuumIds.Requirements(componentId);
                var componentPorts = component.Ports.Select(p => new NetworkPort
                {
                    Id = ContinuumIds.NetworkPort(componentId, p.Name),
                    Name = p.Name,
                    PortNumber = p.Port,
                    PortProtocol = p.Protocol,
                }).ToList();
                ports.AddRange(componentPorts);
                components.Add(Component(id, component, replicaNames[i], componentId, requirementsId, componentPorts));
                requirements.Add(Requirements(requirementsId, component));
                foreach (var link in component.Dependencies)
                {
                    foreach (var targetId in copies[link.Target])
                    {
                        connections.Add(new NetworkConnection
                        {
                            Id = $"{componentId}:NetworkConnection:{targetId[(id.Length + ":Component:".Length)..]}",
                            LinkFrom = componentId,
                            LinkTo = targetId,
                            MaxLatency = link.MaxLatencyMs,
                            MinBandwidth = link.MinBandwidthMbps,
                        });
                    }
                }
            }
        }
        var service = new Service
        {
            Id = id,
            Name = id[ServiceIdPrefix.Length..],
            Description = blueprint.Description,
            ActionType = ServiceActionType.Deploying,
            HasOverlay = blueprint.ServiceOverlay,
        };
        return new BlueprintEntities(service, components, requirements, ports, connections);
    }

    /// <summary>The GeoJSON Polygon of an area ring (as written to the requirements' <c>location</c>).</summary>
    public static GeoGeometry AreaGeometry(IReadOnlyList<GeoPosition> ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        var buffer = new ArrayBufferWriter<byte>(64 + ring.Count * 48);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStartArray();
            foreach (var position in ring)
            {
                writer.WriteStartArray();
                writer.WriteNumberValue(position.Longitude);
                writer.WriteNumberValue(position.Latitude);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
            writer.WriteEndArray();
        }
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return new GeoGeometry("Polygon", document.RootElement.Clone());
    }

    /// <summary>The outer ring of a GeoJSON Polygon (the inverse of <see cref="AreaGeometry"/>); null when it is not one.</summary>
    public static IReadOnlyList<GeoPosition>? AreaRing(GeoGeometry? geometry)
    {
        if (geometry is null || !string.Equals(geometry.Type, "Polygon", StringComparison.OrdinalIgnoreCase)
            || geometry.Coordinates.ValueKind != JsonValueKind.Array || geometry.Coordinates.GetArrayLength() == 0)
        {
            return null;
        }
        var ring = geometry.Coordinates[0];
        if (ring.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var positions = new List<GeoPosition>();
        foreach (var point in ring.EnumerateArray())
        {
            if (point.ValueKind != JsonValueKind.Array || point.GetArrayLength() < 2
                || !point[0].TryGetDouble(out var longitude) || !point[1].TryGetDouble(out var latitude))
            {
                return null;
            }
            positions.Add(new GeoPosition(longitude, latitude));
        }
        return positions;
    }

    private static ServiceComponent Component(string serviceId, ComponentBlueprint component, string name, string componentId,
        string requirementsId, List<NetworkPort> ports)
    {
        var image = component.Artifact as ImageArtifact;
        var process = component.Artifact as ProcessArtifact;
        return new ServiceComponent
        {
            Id = componentId,
            Name = name,
            Service = serviceId,
            ServiceComponentStatus = ServiceComponentStatus.Locating,
            Generation = 0,
            InfrastructureElementRequirements = requirementsId,
            ContainerImage = image?.Image,
            IsPrivate = image is null ? null : image.IsPrivate,
            RepoUsername = image?.Username,
            RepoPassword = image?.Password,
            ProcessCommand = process?.Command,
            ProcessArgs = process?.Args,
            CliArgs = component.CliArgs,
            EnvVars = component.EnvVars,
            NetworkPorts = ports.Count == 0 ? null : ports.Select(p => p.Id).ToList(),
            IsJob = component.IsJob,
            ExposePorts = component.ExposePorts,
        };
    }

    private static InfrastructureElementRequirements Requirements(string requirementsId, ComponentBlueprint component)
    {
        var host = component.Host;
        return new InfrastructureElementRequirements
        {
            Id = requirementsId,
            InfrastructureElement = host.PinnedId,
            RequiredCpuUsage = host.CpuUsageMax,
            RequiredRam = host.MemSizeMinMb,
            CpuArchitecture = host.CpuArchitecture,
            RealTimeCapable = host.Realtime,
            EnergyEfficiencyRatio = host.EnergyEfficiencyMin,
            GreenEnergyRatio = host.Green,
            DomainId = host.DomainId,
            Location = host.Area is null ? null : AreaGeometry(host.Area),
            // Asking for GPU memory implies asking for a GPU.
            Gpu = host.Gpu ?? (host.GpuMemoryMinMb is not null ? true : null),
            CpuRequest = component.Resources.CpuRequest,
            MemoryRequest = component.Resources.MemoryRequestMb,
            RequiredGpuMemory = host.GpuMemoryMinMb,
            RequiredDisk = host.DiskMinMb,
        };
    }
}
