namespace Aeros.Abstractions.Continuum;

/// <summary>State of an infrastructure element (<c>urn:ngsi-ld:InfrastructureElementStatus:*</c>).</summary>
public enum InfrastructureElementStatus
{
    /// <summary>Healthy and accepting workloads.</summary>
    Ready,

    /// <summary>Saturated (CPU, memory, disk or network); should not receive new workloads.</summary>
    Overloaded,

    /// <summary>Switched off for the continuum.</summary>
    Disabled,

    /// <summary>Under maintenance.</summary>
    Maintenance,

    /// <summary>A security problem was detected.</summary>
    Insecure,

    /// <summary>Its trust score is too low.</summary>
    Untrusted,
}

/// <summary>CPU architecture (<c>urn:ngsi-ld:CpuArchitecture:*</c>); <see cref="RiscV"/> is written <c>RISC-V</c>.</summary>
public enum CpuArchitecture
{
    /// <summary>x86-64.</summary>
    AMD64,

    /// <summary>64-bit ARM (aarch64).</summary>
    ARM64,

    /// <summary>32-bit ARM.</summary>
    ARM32,

    /// <summary>64-bit little-endian MIPS.</summary>
    MIPS64LE,

    /// <summary>64-bit little-endian POWER.</summary>
    PPC64LE,

    /// <summary>RISC-V (written <c>RISC-V</c>).</summary>
    RiscV,

    /// <summary>IBM Z.</summary>
    S390X,
}

/// <summary>Where in the continuum an element sits (<c>urn:ngsi-ld:InfrastructureElementTier:*</c>).</summary>
public enum InfrastructureElementTier
{
    /// <summary>Public or private cloud.</summary>
    Cloud,

    /// <summary>Edge server.</summary>
    Edge,

    /// <summary>Far edge (gateways, small boxes).</summary>
    FarEdge,

    /// <summary>IoT device.</summary>
    IoT,

    /// <summary>Cloud on the premises of the owner.</summary>
    CloudOnPremises,
}

/// <summary>Lifecycle state of a service component (<c>urn:ngsi-ld:ServiceComponentStatus:*</c>).</summary>
public enum ServiceComponentStatus
{
    /// <summary>The HLO is looking for an infrastructure element.</summary>
    Locating,

    /// <summary>Placed; the LLO is starting it.</summary>
    Starting,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Being moved to another element.</summary>
    Migrating,

    /// <summary>Being removed.</summary>
    Removing,

    /// <summary>Done (jobs) or removed.</summary>
    Finished,

    /// <summary>Could not be started or kept running.</summary>
    Failed,

    /// <summary>Running but overloaded.</summary>
    Overload,
}

/// <summary>State of a domain (<c>urn:ngsi-ld:DomainStatus:*</c>).</summary>
public enum DomainStatus
{
    /// <summary>Registered, not yet functional.</summary>
    Preliminary,

    /// <summary>Working member of the continuum.</summary>
    Functional,

    /// <summary>Left the continuum.</summary>
    Removed,

    /// <summary>Not trusted.</summary>
    Untrusted,

    /// <summary>Switched off.</summary>
    Disabled,
}

/// <summary>Workload runtime of an element or kind of a low-level orchestrator.</summary>
public enum ContainerTechnology
{
    /// <summary>Kubernetes.</summary>
    Kubernetes,

    /// <summary>Docker.</summary>
    Docker,

    /// <summary>containerd (written <c>containerd</c>).</summary>
    Containerd,

    /// <summary>Podman.</summary>
    Podman,

    /// <summary>iSulad (written <c>iSulad</c>).</summary>
    ISulad,
}

/// <summary>What the HLO is doing with a service.</summary>
public enum ServiceActionType
{
    /// <summary>Being deployed.</summary>
    Deploying,

    /// <summary>Deployed.</summary>
    Deployed,

    /// <summary>Being destroyed.</summary>
    Destroying,

    /// <summary>Finished.</summary>
    Finished,

    /// <summary>Handed to another domain.</summary>
    Handled,
}

/// <summary>Operating system family of an element.</summary>
public enum OperatingSystemFamily
{
    /// <summary>Linux.</summary>
    Linux,

    /// <summary>macOS.</summary>
    MacOS,

    /// <summary>Windows.</summary>
    Windows,
}

/// <summary>Kind of disk.</summary>
public enum DiskType
{
    /// <summary>Spinning disk.</summary>
    HDD,

    /// <summary>Solid-state disk.</summary>
    SSD,
}

/// <summary>Transport protocol of a network port.</summary>
public enum PortProtocol
{
    /// <summary>TCP.</summary>
    TCP,

    /// <summary>UDP.</summary>
    UDP,

    /// <summary>SCTP.</summary>
    SCTP,
}

/// <summary>State of a network connection.</summary>
public enum NetworkConnectionStatus
{
    /// <summary>Up.</summary>
    Up,

    /// <summary>Down.</summary>
    Down,
}

/// <summary>Where persistent storage lives.</summary>
public enum StorageType
{
    /// <summary>External volume.</summary>
    External,

    /// <summary>Local host path.</summary>
    Local,
}

/// <summary>Access mode of persistent storage (Kubernetes names).</summary>
public enum StorageAccessMode
{
    /// <summary>Read-write by one node.</summary>
    ReadWriteOnce,

    /// <summary>Read-only by many nodes.</summary>
    ReadOnlyMany,

    /// <summary>Read-write by many nodes.</summary>
    ReadWriteMany,
}
