using Aeros.Abstractions.Continuum;
using NetTopologySuite.Geometries;

namespace Aeros.Orchestration.Placement;

/// <summary>
/// An independent check of decisions against every hard constraint, written plainly over the records (it shares no
/// code with the solvers' filters): used by the benchmark on every decision and available to the HLO as a guard.
/// </summary>
public static class PlacementVerifier
{
    /// <summary>Every violated hard constraint of <paramref name="decisions"/>, one message each (empty = all hold).</summary>
    public static IReadOnlyList<string> Violations(PlacementProblem problem, PlacementOptions options, IReadOnlyList<PlacementDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(decisions);
        var violations = new List<string>();
        var nodes = new Dictionary<string, PlacementNode>(StringComparer.Ordinal);
        foreach (var node in problem.Nodes)
        {
            nodes.TryAdd(node.Id, node);
        }
        var components = problem.Components.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var where = new Dictionary<string, PlacementNode>(StringComparer.Ordinal);
        var cpu = new Dictionary<string, double>(StringComparer.Ordinal);
        var mem = new Dictionary<string, double>(StringComparer.Ordinal);
        var disk = new Dictionary<string, double>(StringComparer.Ordinal);
        var ports = new Dictionary<string, HashSet<PlacementPort>>(StringComparer.Ordinal);
        var factory = new GeometryFactory();
        foreach (var decision in decisions)
        {
            if (decision.NodeId is null)
            {
                continue;
            }
            if (!components.TryGetValue(decision.ComponentId, out var c))
            {
                violations.Add($"{decision.ComponentId}: not a component of the problem");
                continue;
            }
            if (!nodes.TryGetValue(decision.NodeId, out var n))
            {
                violations.Add($"{c.Id}: node {decision.NodeId} is not in the problem");
                continue;
            }
            where[c.Id] = n;
            void Fail(string what) => violations.Add($"{c.Id} on {n.Id}: {what}");
            if (n.Status != InfrastructureElementStatus.Ready) Fail("status not Ready");
            if (!n.Reachable) Fail("not reachable");
            if ((n.HealthScore ?? 1) < options.MinHealthScore) Fail("health below threshold");
            if (c.PinnedNodeId is not null && c.PinnedNodeId != n.Id) Fail("not the pinned node");
            if (c.Domain is not null && c.Domain != n.Domain) Fail("wrong domain");
            if (c.CpuArchitecture is not null && c.CpuArchitecture != n.CpuArchitecture) Fail("wrong architecture");
            if (c.Realtime == true && !n.RealTime) Fail("not real-time");
            if ((c.Gpu == true || c.GpuMemoryMinMb is not null) && !n.Gpu) Fail("no GPU");
            if (c.GpuMemoryMinMb is { } gm && !(n.GpuMemoryMb >= gm)) Fail("GPU memory too small");
            if (c.CpuUsageMaxPct is { } cu && n.CpuUsagePct > cu) Fail("CPU usage too high");
            if (c.MemSizeMinMb is { } ms && n.AvailableRamMb < ms) Fail("available RAM too small");
            if (c.EnergyEfficiencyMin is { } ee && !(n.EnergyEfficiency >= ee)) Fail("energy efficiency too low");
            if (c.Green == true && !(n.GreenRatio >= options.GreenMinRatio)) Fail("not green");
            if (c.Area is { } area)
            {
                var ring = area.Select(p => new Coordinate(p.Lon, p.Lat)).ToList();
                if (ring.Count > 0 && !ring[0].Equals2D(ring[^1]))
                {
                    ring.Add(ring[0]);
                }
                var inside = ring.Count >= 4 && n.Location is { } loc && factory.CreatePolygon([.. ring]).Covers(factory.CreatePoint(new Coordinate(loc.Lon, loc.Lat)));
                if (!inside) Fail("outside the area");
            }
            cpu[n.Id] = cpu.GetValueOrDefault(n.Id) + c.CpuRequest;
            mem[n.Id] = mem.GetValueOrDefault(n.Id) + c.MemoryRequestMb;
            disk[n.Id] = disk.GetValueOrDefault(n.Id) + (c.DiskRequestMb ?? 0);
            if (c.DiskRequestMb > 0 && n.AvailableDiskMb is null) Fail("disk requested but the node's free disk is unknown");
            var taken = ports.TryGetValue(n.Id, out var set) ? set : ports[n.Id] = [.. n.UsedPorts];
            foreach (var port in c.Ports)
            {
                if (!taken.Add(port)) Fail($"port {port.Port}/{port.Protocol} already in use");
            }
        }
        foreach (var (id, used) in cpu)
        {
            var n = nodes[id];
            if (n.CpuRequested + used > n.CpuCores + 1e-6) violations.Add($"{id}: CPU over capacity ({n.CpuRequested + used} of {n.CpuCores} cores)");
            if (n.MemoryRequestedMb + mem[id] > n.RamCapacityMb + 1e-6) violations.Add($"{id}: memory over capacity ({n.MemoryRequestedMb + mem[id]} of {n.RamCapacityMb} MB)");
            if (n.AvailableDiskMb is { } free && disk[id] > free + 1e-6) violations.Add($"{id}: disk over capacity ({disk[id]} of {free} MB)");
        }
        if (problem.Latency is not null)
        {
            foreach (var c in problem.Components)
            {
                foreach (var link in c.Links)
                {
                    if (link.MaxLatencyMs is { } max && where.TryGetValue(c.Id, out var a) && where.TryGetValue(link.TargetComponentId, out var b)
                        && a.Id != b.Id && problem.Latency(a, b) is { } ms && ms > max)
                    {
                        violations.Add($"{c.Id} → {link.TargetComponentId}: latency {ms} ms above {max} ms");
                    }
                }
            }
        }
        return violations;
    }
}
