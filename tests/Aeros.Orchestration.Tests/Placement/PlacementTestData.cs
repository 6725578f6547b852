using Aeros.Abstractions.Continuum;
using Aeros.Orchestration.Placement;

namespace Aeros.Orchestration.Tests.Placement;

/// <summary>Small hand-built nodes and components.</summary>
internal static class PlacementTestData
{
    /// <summary>A Ready 4-core 8 GB AMD64 node; <paramref name="watts"/> is its marginal power at full load.</summary>
    public static PlacementNode Node(string id, double watts = 40, double cores = 4, long ramMb = 8192) => new()
    {
        Id = id,
        Domain = "d1",
        CpuArchitecture = CpuArchitecture.AMD64,
        CpuCores = cores,
        RamCapacityMb = ramMb,
        AvailableRamMb = ramMb,
        AvailableDiskMb = 100_000,
        Status = InfrastructureElementStatus.Ready,
        HealthScore = 1,
        Location = new GeoPoint(2, 41),
        IdlePowerW = 10,
        MaxPowerW = 10 + watts,
    };

    public static PlacementComponent Component(string id, double cpu = 1, long memoryMb = 512) => new()
    {
        Id = id,
        ServiceId = "s",
        CpuRequest = cpu,
        MemoryRequestMb = memoryMb,
    };

    public static PlacementOptions Options(int workers = 1) => new() { CpSatWorkers = workers, CpSatTimeBudget = TimeSpan.FromSeconds(20) };

    public static IPlacementSolver[] Solvers(PlacementOptions options) =>
        [new HeuristicSolver(options), new CpSatSolver(options)];
}
