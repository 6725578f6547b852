using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Orchestration.Blueprints;
using Aeros.Orchestration.Placement;

namespace Aeros.Orchestration.Hlo;

/// <summary>
/// What the HLO reads from the broker to build a placement problem: the candidate elements, the components already
/// placed on them (their requests and ports count against the elements), and the requirements and ports by id.
/// </summary>
internal sealed record PlacementInputs(
    IReadOnlyList<InfrastructureElement> Elements,
    IReadOnlyList<ServiceComponent> Components,
    IReadOnlyDictionary<string, InfrastructureElementRequirements> Requirements,
    IReadOnlyDictionary<string, NetworkPort> Ports)
{
    /// <summary>Components in these states hold their element's resources (Removing ones until the LLO has stopped them).</summary>
    private static bool Holds(ServiceComponent c) => c.InfrastructureElement is not null && c.ServiceComponentStatus is ServiceComponentStatus.Starting
        or ServiceComponentStatus.Running or ServiceComponentStatus.Overload or ServiceComponentStatus.Migrating or ServiceComponentStatus.Removing;

    /// <summary>
    /// Reads the inputs: with <paramref name="local"/> only this broker's own entities (the domain's elements), else the
    /// federated view (other domains' elements and components through the federation's registrations).
    /// </summary>
    public static async Task<PlacementInputs> ReadAsync(ContinuumClient client, bool local, CancellationToken cancellationToken)
    {
        var elements = await client.QueryAsync<InfrastructureElement>(null, local, cancellationToken: cancellationToken);
        var components = await client.QueryAsync<ServiceComponent>(null, local, cancellationToken: cancellationToken);
        var requirements = await client.QueryAsync<InfrastructureElementRequirements>(null, local, cancellationToken: cancellationToken);
        var ports = await client.QueryAsync<NetworkPort>(null, local, cancellationToken: cancellationToken);
        // A federated query may return an entity twice (the same id from two brokers): keep the first.
        return new PlacementInputs(
            elements.DistinctBy(e => e.Id).ToList(),
            components.DistinctBy(c => c.Id).ToList(),
            requirements.DistinctBy(r => r.Id).ToDictionary(r => r.Id, StringComparer.Ordinal),
            ports.DistinctBy(p => p.Id).ToDictionary(p => p.Id, StringComparer.Ordinal));
    }

    /// <summary>
    /// The problem of placing <paramref name="batch"/> on the elements (minus <paramref name="excluded"/>), with every
    /// other component that holds resources counted against its element.
    /// </summary>
    public PlacementProblem Problem(IReadOnlyList<ServiceComponent> batch, IReadOnlySet<string> excluded)
    {
        var inBatch = batch.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var held = Components.Where(c => !inBatch.Contains(c.Id) && Holds(c)).GroupBy(c => c.InfrastructureElement!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var nodes = Elements.Where(e => !excluded.Contains(e.Id))
            .Select(e => Node(e, held.TryGetValue(e.Id, out var on) ? on : []))
            .ToList();
        var components = batch.Select(Component).ToList();
        return new PlacementProblem(nodes, components);
    }

    private PlacementNode Node(InfrastructureElement e, List<ServiceComponent> placed)
    {
        double cpu = 0;
        long memory = 0;
        var used = new HashSet<PlacementPort>();
        foreach (var c in placed)
        {
            var r = c.InfrastructureElementRequirements is { } rid && Requirements.TryGetValue(rid, out var req) ? req : null;
            cpu += r?.CpuRequest ?? ComponentResources.DefaultCpuRequest;
            memory += (long)Math.Ceiling(r?.MemoryRequest ?? ComponentResources.DefaultMemoryRequestMb);
            foreach (var port in PortsOf(c))
            {
                used.Add(port);
            }
        }
        var ram = (long)(e.RamCapacity ?? 0);
        var location = e.Location is { Type: "Point" } point && point.Coordinates.GetArrayLength() >= 2
            && point.Coordinates[0].TryGetDouble(out var lon) && point.Coordinates[1].TryGetDouble(out var lat)
            ? new GeoPoint(lon, lat) : (GeoPoint?)null;
        return new PlacementNode
        {
            Id = e.Id,
            Domain = e.Domain,
            CpuArchitecture = e.CpuArchitecture,
            CpuCores = e.CpuCores ?? 0,
            CpuUsagePct = e.CurrentCpuUsage ?? 0,
            RamCapacityMb = ram,
            AvailableRamMb = (long)(e.AvailableRam ?? ram),
            AvailableDiskMb = e.AvailableDisk is { } disk ? (long)disk : null,
            CpuRequested = cpu,
            MemoryRequestedMb = memory,
            RealTime = e.RealTimeCapable ?? false,
            Gpu = e.Gpu ?? false,
            GpuMemoryMb = e.GpuMemory is { } gpu ? (long)gpu : null,
            EnergyEfficiency = e.EnergyEfficiencyRatio is { } ratio ? ratio * 100 : null,
            Location = location,
            Status = e.InfrastructureElementStatus,
            // Written by the LLO's element monitor: false once the heartbeat is older than its grace.
            Reachable = e.Reachable != false,
            HealthScore = e.HealthScore,
            UsedPorts = used,
        }.WithDefaultPowerModel();
    }

    private PlacementComponent Component(ServiceComponent c)
    {
        var r = c.InfrastructureElementRequirements is { } rid && Requirements.TryGetValue(rid, out var req) ? req : null;
        var area = BlueprintMapper.AreaRing(r?.Location);
        return new PlacementComponent
        {
            Id = c.Id,
            ServiceId = c.Service ?? "",
            CpuRequest = r?.CpuRequest ?? ComponentResources.DefaultCpuRequest,
            MemoryRequestMb = (long)Math.Ceiling(r?.MemoryRequest ?? ComponentResources.DefaultMemoryRequestMb),
            DiskRequestMb = r?.RequiredDisk is { } disk ? (long)Math.Ceiling(disk) : null,
            Ports = PortsOf(c),
            CpuUsageMaxPct = r?.RequiredCpuUsage,
            CpuArchitecture = r?.CpuArchitecture,
            MemSizeMinMb = r?.RequiredRam is { } ram ? (long)Math.Ceiling(ram) : null,
            // The engine's flags only require a capability; "must not be real-time" is not a placement constraint.
            Realtime = r?.RealTimeCapable == true ? true : null,
            Gpu = r?.Gpu == true ? true : null,
            GpuMemoryMinMb = r?.RequiredGpuMemory is { } gpu ? (long)Math.Ceiling(gpu) : null,
            PinnedNodeId = r?.InfrastructureElement,
            Domain = r?.DomainId,
            Area = area?.Select(p => new GeoPoint(p.Longitude, p.Latitude)).ToList(),
            EnergyEfficiencyMin = r?.EnergyEfficiencyRatio is { } eff ? eff * 100 : null,
            Green = r?.GreenEnergyRatio is not null ? true : null,
        };
    }

    private List<PlacementPort> PortsOf(ServiceComponent c) => (c.NetworkPorts ?? [])
        .Select(id => Ports.TryGetValue(id, out var p) && p.PortNumber is { } n ? new PlacementPort(n, p.PortProtocol ?? PortProtocol.TCP) : (PlacementPort?)null)
        .OfType<PlacementPort>()
        .ToList();
}
