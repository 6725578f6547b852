namespace Aeros.Abstractions.Continuum;

/// <summary>A port a component listens on (<c>NetworkPort</c>), written <c>portNumber</c>/<c>portProtocol</c> as aerOS does.</summary>
public sealed record NetworkPort : ContinuumEntity
{
    /// <summary>Port number.</summary>
    public int? PortNumber { get; init; }

    /// <summary>Protocol.</summary>
    public PortProtocol? PortProtocol { get; init; }
}

/// <summary>A link between two components (<c>NetworkConnection</c>).</summary>
public sealed record NetworkConnection : ContinuumEntity
{
    /// <summary>Source component (Relationship).</summary>
    public string? LinkFrom { get; init; }

    /// <summary>Target component (Relationship).</summary>
    public string? LinkTo { get; init; }

    /// <summary>Ports used (Relationship to NetworkPort entities).</summary>
    public IReadOnlyList<string>? NetworkPorts { get; init; }

    /// <summary>State of the link.</summary>
    public NetworkConnectionStatus? Status { get; init; }

    /// <summary>Aeros extension: the highest latency the link may have between its two elements, ms.</summary>
    public double? MaxLatency { get; init; }

    /// <summary>Aeros extension: the least bandwidth the link needs between its two elements, Mbps.</summary>
    public double? MinBandwidth { get; init; }
}

/// <summary>A power source of elements (<c>PowerSource</c>).</summary>
public sealed record PowerSource : ContinuumEntity
{
    /// <summary>Share of green energy in [0, 1].</summary>
    public double? GreenEnergyRatio { get; init; }

    /// <summary>Power it can currently generate, kW.</summary>
    public double? CurrentPowerGeneratorPotential { get; init; }
}

/// <summary>Storage a component mounts (<c>PersistentStorage</c>).</summary>
public sealed record PersistentStorage : ContinuumEntity
{
    /// <summary>Mount path in the container.</summary>
    public string? MountPath { get; init; }

    /// <summary>Kind of storage.</summary>
    public StorageType? StorageType { get; init; }

    /// <summary>Host path (local storage).</summary>
    public string? HostPath { get; init; }

    /// <summary>Access mode.</summary>
    public StorageAccessMode? AccessMode { get; init; }

    /// <summary>Size, MB.</summary>
    public double? Size { get; init; }
}

/// <summary>A cloud region (<c>CloudRegion</c>).</summary>
public sealed record CloudRegion : ContinuumEntity
{
    /// <summary>Name of the cloud.</summary>
    public string? CloudName { get; init; }

    /// <summary>Contacts.</summary>
    public IReadOnlyList<ContactPoint>? ContactPoint { get; init; }

    /// <summary>Version of the cloud software.</summary>
    public string? Version { get; init; }

    /// <summary>Test run of the region (Relationship <c>test</c>).</summary>
    public string? Test { get; init; }
}
