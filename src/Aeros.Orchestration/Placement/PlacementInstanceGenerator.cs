using Aeros.Abstractions.Continuum;

namespace Aeros.Orchestration.Placement;

/// <summary>
/// Seeded synthetic placement instances for the benchmark and tests: heterogeneous nodes (architecture, cores, RAM,
/// power model, efficiency, green ratio, locations across Europe, some real-time or GPU, some not Ready or
/// unreachable, some load already placed) and components with mixed constraints, ports and links. The same seed
/// gives the same instance.
/// </summary>
public static class PlacementInstanceGenerator
{
    private static readonly int[] Cores = [2, 4, 8, 16, 32, 64];
    private static readonly double[] CpuRequests = [0.1, 0.25, 0.5, 1, 2];
    private static readonly long[] MemoryRequests = [128, 256, 512, 1024, 2048];
    private static readonly IReadOnlyList<GeoPoint> WestArea = [new(-10, 35), new(10, 35), new(10, 60), new(-10, 60)];

    /// <summary>Nodes only.</summary>
    public static IReadOnlyList<PlacementNode> Nodes(int count, int seed)
    {
        var random = new Random(seed);
        var nodes = new PlacementNode[count];
        for (var i = 0; i < count; i++)
        {
            var cores = Cores[random.Next(Cores.Length)];
            var ram = cores * (random.Next(2) == 0 ? 2048L : 4096L);
            var idle = 5 + (cores * 2.0);
            var arch = random.NextDouble() switch { < 0.7 => CpuArchitecture.AMD64, < 0.95 => CpuArchitecture.ARM64, _ => CpuArchitecture.ARM32 };
            var gpu = random.NextDouble() < 0.1;
            nodes[i] = new PlacementNode
            {
                Id = $"urn:ngsi-ld:InfrastructureElement:d{i % 4}:ie{i}",
                Domain = $"d{i % 4}",
                CpuArchitecture = arch,
                CpuCores = cores,
                CpuUsagePct = Math.Round(random.NextDouble() * 90, 1),
                RamCapacityMb = ram,
                AvailableRamMb = (long)(ram * (0.2 + (0.8 * random.NextDouble()))),
                AvailableDiskMb = random.NextDouble() < 0.9 ? random.Next(10_000, 500_000) : null,
                CpuRequested = Math.Round(cores * 0.4 * random.NextDouble(), 2),
                MemoryRequestedMb = (long)(ram * 0.4 * random.NextDouble()),
                RealTime = random.NextDouble() < 0.1,
                Gpu = gpu,
                GpuMemoryMb = gpu ? random.Next(8, 49) * 1024L : null,
                EnergyEfficiency = random.NextDouble() < 0.8 ? Math.Round(40 + (55 * random.NextDouble()), 1) : null,
                GreenRatio = random.NextDouble() < 0.7 ? Math.Round(random.NextDouble(), 2) : null,
                Location = new GeoPoint(Math.Round(-10 + (40 * random.NextDouble()), 4), Math.Round(35 + (25 * random.NextDouble()), 4)),
                Status = random.NextDouble() < 0.95 ? InfrastructureElementStatus.Ready : InfrastructureElementStatus.Overloaded,
                Reachable = random.NextDouble() < 0.98,
                HealthScore = Math.Round(0.2 + (0.8 * random.NextDouble()), 2),
                UsedPorts = random.NextDouble() < 0.3 ? new HashSet<PlacementPort> { new(80), new(8000 + random.Next(10)) } : new HashSet<PlacementPort>(),
                IdlePowerW = idle,
                MaxPowerW = idle + (cores * (6 + (8 * random.NextDouble()))),
            };
        }
        return nodes;
    }

    /// <summary>
    /// Components in services of 1–5 (or all single-component services when <paramref name="singleComponentServices"/>),
    /// with mixed constraints; within a service, some components link to an earlier one, some with a latency limit.
    /// </summary>
    public static IReadOnlyList<PlacementComponent> Components(int count, IReadOnlyList<PlacementNode> nodes, int seed, bool singleComponentServices = false)
    {
        var random = new Random(seed ^ 0x5eed);
        var components = new PlacementComponent[count];
        var serviceStart = 0;
        var service = 0;
        var serviceSize = singleComponentServices ? 1 : random.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            if (i - serviceStart >= serviceSize)
            {
                serviceStart = i;
                service++;
                serviceSize = singleComponentServices ? 1 : random.Next(1, 6);
            }
            var links = new List<PlacementLink>();
            if (i > serviceStart && random.NextDouble() < 0.5)
            {
                links.Add(new PlacementLink($"c{random.Next(serviceStart, i)}", random.NextDouble() < 0.5 ? 10 + (random.Next(5) * 10) : null));
            }
            components[i] = new PlacementComponent
            {
                Id = $"c{i}",
                ServiceId = $"s{service}",
                CpuRequest = CpuRequests[random.Next(CpuRequests.Length)],
                MemoryRequestMb = MemoryRequests[random.Next(MemoryRequests.Length)],
                DiskRequestMb = random.NextDouble() < 0.3 ? random.Next(100, 5_000) : null,
                Ports = random.NextDouble() < 0.3 ? [new PlacementPort(random.NextDouble() < 0.2 ? 80 : 8000 + random.Next(100))] : [],
                CpuArchitecture = random.NextDouble() < 0.2 ? (random.Next(3) == 0 ? CpuArchitecture.ARM64 : CpuArchitecture.AMD64) : null,
                Realtime = random.NextDouble() < 0.05 ? true : null,
                Gpu = random.NextDouble() < 0.05 ? true : null,
                CpuUsageMaxPct = random.NextDouble() < 0.2 ? 50 + random.Next(5) * 10 : null,
                MemSizeMinMb = random.NextDouble() < 0.1 ? 2048 : null,
                EnergyEfficiencyMin = random.NextDouble() < 0.1 ? 60 : null,
                Green = random.NextDouble() < 0.1 ? true : null,
                Domain = random.NextDouble() < 0.1 ? $"d{random.Next(4)}" : null,
                Area = random.NextDouble() < 0.1 ? WestArea : null,
                PinnedNodeId = random.NextDouble() < 0.02 ? nodes[random.Next(nodes.Count)].Id : null,
                Links = links,
            };
        }
        return components;
    }

    /// <summary>A problem of <paramref name="components"/> components on <paramref name="nodes"/> nodes with location-based latency.</summary>
    public static PlacementProblem Generate(int components, int nodes, int seed, bool singleComponentServices = false)
    {
        var nodeList = Nodes(nodes, seed);
        return new PlacementProblem(nodeList, Components(components, nodeList, seed, singleComponentServices), Latency);
    }

    /// <summary>Latency between two nodes from their locations: 1 ms plus 1 ms per 100 km (great-circle); null when a location is unknown.</summary>
    public static double? Latency(PlacementNode a, PlacementNode b)
    {
        if (a.Location is not { } p || b.Location is not { } q)
        {
            return null;
        }
        const double EarthRadiusKm = 6371;
        var dLat = (q.Lat - p.Lat) * Math.PI / 180;
        var dLon = (q.Lon - p.Lon) * Math.PI / 180;
        var h = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(p.Lat * Math.PI / 180) * Math.Cos(q.Lat * Math.PI / 180) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        var km = 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(h)));
        return 1 + (km / 100);
    }
}
