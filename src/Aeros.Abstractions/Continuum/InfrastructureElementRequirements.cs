namespace Aeros.Abstractions.Continuum;

/// <summary>What a component needs from an element (<c>InfrastructureElementRequirements</c>); id <see cref="ContinuumIds.Requirements"/>.</summary>
public sealed record InfrastructureElementRequirements : ContinuumEntity
{
    /// <summary>A pinned element (Relationship).</summary>
    public string? InfrastructureElement { get; init; }

    /// <summary>Required CPU usage, % (100 × TOSCA <c>cpu_usage</c>).</summary>
    public double? RequiredCpuUsage { get; init; }

    /// <summary>Required memory, MB (<c>requiredMemoryUsage</c>).</summary>
    public double? RequiredMemoryUsage { get; init; }

    /// <summary>Required RAM, MB (<c>requiredRam</c>, as the original orchestrator writes it).</summary>
    public double? RequiredRam { get; init; }

    /// <summary>Required CPU architecture (Relationship to <c>urn:ngsi-ld:CpuArchitecture:*</c>).</summary>
    public CpuArchitecture? CpuArchitecture { get; init; }

    /// <summary>Whether a GPU is required.</summary>
    public bool? Gpu { get; init; }

    /// <summary>Required disk kind.</summary>
    public DiskType? DiskType { get; init; }

    /// <summary>Whether real-time capability is required.</summary>
    public bool? RealTimeCapable { get; init; }

    /// <summary>Lowest green energy ratio in [0, 1].</summary>
    public double? GreenEnergyRatio { get; init; }

    /// <summary>Lowest energy efficiency in [0, 1].</summary>
    public double? EnergyEfficiencyRatio { get; init; }

    /// <summary>Required domain (<c>domainId</c>).</summary>
    public string? DomainId { get; init; }

    /// <summary>Required area (<c>area</c>).</summary>
    public string? Area { get; init; }

    /// <summary>Aeros extension: CPU the component needs on its element, cores (the placement's capacity demand).</summary>
    public double? CpuRequest { get; init; }

    /// <summary>Aeros extension: memory the component needs on its element, MB (the placement's capacity demand).</summary>
    public double? MemoryRequest { get; init; }

    /// <summary>Aeros extension: the least GPU memory the element must have, MB.</summary>
    public double? RequiredGpuMemory { get; init; }

    /// <summary>Aeros extension: the least free disk the element must have, MB.</summary>
    public double? RequiredDisk { get; init; }
}
