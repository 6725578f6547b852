using System.Globalization;
using Aeros.Abstractions.Continuum;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace Aeros.Orchestration.Placement;

/// <summary>
/// The static hard constraints (those that do not depend on what else is placed), each with a name and an
/// explanation of why no candidate satisfies it. Applied as a funnel in this order, so that an infeasible
/// component is explained by the first constraint that leaves no node.
/// </summary>
internal static class PlacementConstraints
{
    private static readonly GeometryFactory Geometry = new();

    /// <summary>One static constraint: whether it applies to a component, whether a node satisfies it, and why none does.</summary>
    internal sealed record StaticConstraint(
        string Name,
        Func<PlacementComponent, bool> Applies,
        Func<PlacementComponent, PlacementNode, PlacementOptions, AreaCache, bool> Satisfied,
        Func<PlacementComponent, IReadOnlyList<PlacementNode>, PlacementOptions, string> Explain)
    {
        /// <summary>Whether the constraint applies to every component (a property of the node alone).</summary>
        public bool Universal => Name is "status" or "reachable" or "health";

        /// <summary>
        /// The only part of the component that <see cref="Satisfied"/> reads (null: none), so that the nodes satisfying
        /// it can be computed once per value and shared by every component with that value. Keep it in step with
        /// <see cref="Satisfied"/> (PlacementStateTests compares the cached sets with a direct evaluation).
        /// </summary>
        public object? Parameter(PlacementComponent component) => Name switch
        {
            "pinned" => component.PinnedNodeId,
            "domain" => component.Domain,
            "cpuArchitecture" => component.CpuArchitecture,
            "gpuMemory" => component.GpuMemoryMinMb,
            "cpuUsage" => component.CpuUsageMaxPct,
            "memSize" => component.MemSizeMinMb,
            "energyEfficiency" => component.EnergyEfficiencyMin,
            "area" => component.Area, // the same list instance (areas are cached per instance too)
            _ => null,
        };
    }

    /// <summary>The static constraints in funnel order.</summary>
    internal static readonly StaticConstraint[] Static =
    [
        new("status", _ => true, (_, n, _, _) => n.Status == InfrastructureElementStatus.Ready,
            (_, nodes, _) => $"status: no node is Ready ({Histogram(nodes, n => n.Status?.ToString() ?? "unknown")})"),
        new("reachable", _ => true, (_, n, _, _) => n.Reachable,
            (_, nodes, _) => $"reachable: none of the {nodes.Count} Ready nodes is reachable"),
        new("health", _ => true, (_, n, o, _) => (n.HealthScore ?? 1) >= o.MinHealthScore,
            (_, nodes, o) => $"health: no node has a health score ≥ {F(o.MinHealthScore)} (best is {F(nodes.Max(n => n.HealthScore ?? 1))})"),
        new("pinned", c => c.PinnedNodeId is not null, (c, n, _, _) => string.Equals(c.PinnedNodeId, n.Id, StringComparison.Ordinal),
            (c, nodes, _) => $"pinned: node {c.PinnedNodeId} is not among the {nodes.Count} usable nodes"),
        new("domain", c => c.Domain is not null, (c, n, _, _) => string.Equals(c.Domain, n.Domain, StringComparison.Ordinal),
            (c, nodes, _) => $"domain: no node in domain {c.Domain} ({Histogram(nodes, n => n.Domain ?? "none")})"),
        new("cpuArchitecture", c => c.CpuArchitecture is not null, (c, n, _, _) => n.CpuArchitecture == c.CpuArchitecture,
            (c, nodes, _) => $"no node with cpuArchitecture {c.CpuArchitecture} ({Histogram(nodes, n => n.CpuArchitecture?.ToString() ?? "unknown")})"),
        new("realtime", c => c.Realtime == true, (_, n, _, _) => n.RealTime,
            (_, nodes, _) => $"realtime: none of the {nodes.Count} candidate nodes is real-time"),
        new("gpu", c => c.Gpu == true || c.GpuMemoryMinMb is not null, (_, n, _, _) => n.Gpu,
            (_, nodes, _) => $"gpu: none of the {nodes.Count} candidate nodes has a GPU"),
        new("gpuMemory", c => c.GpuMemoryMinMb is not null, (c, n, _, _) => n.GpuMemoryMb >= c.GpuMemoryMinMb,
            (c, nodes, _) => $"gpuMemory: needs {c.GpuMemoryMinMb} MB, most is {nodes.Max(n => n.GpuMemoryMb ?? 0)} MB on {nodes.MaxBy(n => n.GpuMemoryMb ?? 0)!.Id}"),
        new("cpuUsage", c => c.CpuUsageMaxPct is not null, (c, n, _, _) => n.CpuUsagePct <= c.CpuUsageMaxPct,
            (c, nodes, _) => $"cpuUsage: needs ≤ {F(c.CpuUsageMaxPct!.Value)} %, lowest is {F(nodes.Min(n => n.CpuUsagePct))} % on {nodes.MinBy(n => n.CpuUsagePct)!.Id}"),
        new("memSize", c => c.MemSizeMinMb is not null, (c, n, _, _) => n.AvailableRamMb >= c.MemSizeMinMb,
            (c, nodes, _) => $"memSize: needs {c.MemSizeMinMb} MB available, most is {nodes.Max(n => n.AvailableRamMb)} MB on {nodes.MaxBy(n => n.AvailableRamMb)!.Id}"),
        new("energyEfficiency", c => c.EnergyEfficiencyMin is not null, (c, n, _, _) => n.EnergyEfficiency >= c.EnergyEfficiencyMin,
            (c, nodes, _) => $"energyEfficiency: needs ≥ {F(c.EnergyEfficiencyMin!.Value)} %, best is {BestOrUnknown(nodes, n => n.EnergyEfficiency)}"),
        new("green", c => c.Green == true, (_, n, o, _) => n.GreenRatio >= o.GreenMinRatio,
            (_, nodes, o) => $"green: needs a green ratio ≥ {F(o.GreenMinRatio)}, best is {BestOrUnknown(nodes, n => n.GreenRatio)}"),
        new("area", c => c.Area is not null, (c, n, _, areas) => areas.Contains(c.Area!, n),
            (c, nodes, _) => c.Area!.Count < 3
                ? $"area: the polygon has {c.Area.Count} points (at least 3 needed)"
                : $"area: none of the {nodes.Count} candidate nodes lies in the area ({nodes.Count(n => n.Location is null)} without a location)"),
    ];

    /// <summary>Polygons of the components' areas, built once per list.</summary>
    internal sealed class AreaCache
    {
        private readonly Dictionary<IReadOnlyList<GeoPoint>, (IPreparedGeometry? Polygon, Dictionary<PlacementNode, bool> Inside)> areas = new(ReferenceEqualityComparer.Instance);

        /// <summary>Whether <paramref name="node"/>'s location lies in <paramref name="area"/> (boundary included); remembered per node.</summary>
        public bool Contains(IReadOnlyList<GeoPoint> area, PlacementNode node)
        {
            if (!areas.TryGetValue(area, out var entry))
            {
                var polygon = Build(area);
                entry = (polygon is null ? null : PreparedGeometryFactory.Prepare(polygon), new Dictionary<PlacementNode, bool>(ReferenceEqualityComparer.Instance));
                areas[area] = entry;
            }
            if (!entry.Inside.TryGetValue(node, out var inside))
            {
                inside = node.Location is { } p && entry.Polygon is { } prepared && prepared.Covers(Geometry.CreatePoint(new Coordinate(p.Lon, p.Lat)));
                entry.Inside[node] = inside;
            }
            return inside;
        }

        private static Polygon? Build(IReadOnlyList<GeoPoint> area)
        {
            if (area.Count < 3)
            {
                return null;
            }
            var coordinates = area.Select(p => new Coordinate(p.Lon, p.Lat)).ToList();
            if (!coordinates[0].Equals2D(coordinates[^1]))
            {
                coordinates.Add(coordinates[0]);
            }
            if (coordinates.Count < 4)
            {
                return null;
            }
            return Geometry.CreatePolygon(coordinates.ToArray());
        }
    }

    /// <summary>Whether a node takes workloads at all: Ready, reachable and healthy enough.</summary>
    internal static bool Usable(PlacementNode node, PlacementOptions options) =>
        node.Status == InfrastructureElementStatus.Ready && node.Reachable && (node.HealthScore ?? 1) >= options.MinHealthScore;

    /// <summary>Whether <paramref name="node"/> satisfies every static constraint of <paramref name="component"/>.</summary>
    internal static bool StaticallyFeasible(PlacementComponent component, PlacementNode node, PlacementOptions options, AreaCache areas)
    {
        foreach (var constraint in Static)
        {
            if (constraint.Applies(component) && !constraint.Satisfied(component, node, options, areas))
            {
                return false;
            }
        }
        return true;
    }

    internal static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string BestOrUnknown(IReadOnlyList<PlacementNode> nodes, Func<PlacementNode, double?> value)
    {
        var known = nodes.Where(n => value(n) is not null).ToList();
        return known.Count == 0
            ? $"unknown on all {nodes.Count} candidate nodes"
            : $"{F(known.Max(n => value(n)!.Value))} on {known.MaxBy(n => value(n)!.Value)!.Id}";
    }

    private static string Histogram(IReadOnlyList<PlacementNode> nodes, Func<PlacementNode, string> key) =>
        string.Join(", ", nodes.GroupBy(key).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(4).Select(g => $"{g.Count()} node{(g.Count() == 1 ? " is" : "s are")} {g.Key}"));
}
