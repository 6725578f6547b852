using Aeros.Abstractions.Continuum;

namespace Aeros.Orchestration.Blueprints;

/// <summary>A parsed, valid intention blueprint: the service's components and their requirements (see docs/blueprints.md).</summary>
/// <param name="Description">The blueprint's <c>description</c>.</param>
/// <param name="Components">Its components (TOSCA node templates), in the order they were written.</param>
/// <param name="ServiceOverlay">aerOS <c>serviceOverlay</c>: whether the components share an overlay network (default false).</param>
public sealed record ServiceBlueprint(string? Description, IReadOnlyList<ComponentBlueprint> Components, bool ServiceOverlay);

/// <summary>One component of a blueprint (a <c>tosca.nodes.Container.Application</c> node template).</summary>
/// <param name="Name">The TOSCA node name (the last part of the component id).</param>
/// <param name="Artifact">What runs: a container image or a host process.</param>
/// <param name="Ports">The ports it listens on, in the order they were written.</param>
/// <param name="ExposePorts">aerOS <c>exposePorts</c>: whether its ports are reachable from outside its element.</param>
/// <param name="EnvVars">Environment variables (<c>inputs.envVars</c>), order kept.</param>
/// <param name="CliArgs">Command-line arguments (<c>inputs.cliArgs</c>), order kept.</param>
/// <param name="IsJob">aerOS <c>isJob</c>: runs to completion instead of being kept running.</param>
/// <param name="Replicas">Aeros extension: how many copies run (default 1).</param>
/// <param name="Resources">Aeros extension: the CPU and memory one copy needs on its element.</param>
/// <param name="Host">Constraints on the element it runs on (the <c>host</c> node filter).</param>
/// <param name="Dependencies">Aeros extension: components it talks to, with network limits.</param>
public sealed record ComponentBlueprint(
    string Name,
    ComponentArtifact Artifact,
    IReadOnlyList<ComponentPort> Ports,
    bool ExposePorts,
    IReadOnlyList<KeyValueEntry> EnvVars,
    IReadOnlyList<KeyValueEntry> CliArgs,
    bool IsJob,
    int Replicas,
    ComponentResources Resources,
    HostRequirements Host,
    IReadOnlyList<ComponentLink> Dependencies);

/// <summary>What a component runs: <see cref="ImageArtifact"/> or <see cref="ProcessArtifact"/>.</summary>
/// <param name="Name">The artifact's name in the blueprint.</param>
public abstract record ComponentArtifact(string Name);

/// <summary>A container image (<c>tosca.artifacts.Deployment.Image.Container.Docker</c>).</summary>
/// <param name="Name">The artifact's name in the blueprint.</param>
/// <param name="File">The image as written (<c>file</c>).</param>
/// <param name="Repository">The registry (<c>repository</c>); null when absent or empty.</param>
/// <param name="IsPrivate">Whether the registry needs credentials.</param>
/// <param name="Username">Registry user name.</param>
/// <param name="Password">Registry password.</param>
public sealed record ImageArtifact(string Name, string File, string? Repository, bool IsPrivate, string? Username, string? Password)
    : ComponentArtifact(Name)
{
    /// <summary>The docker_hub repository name aerOS blueprints use for "no registry prefix".</summary>
    public const string DockerHub = "docker_hub";

    /// <summary>
    /// The image reference to pull: <see cref="File"/> alone when the repository is absent, <c>docker_hub</c>, or
    /// already the prefix of the file; otherwise <c>repository/file</c>.
    /// </summary>
    public string Image => Repository is null
        || string.Equals(Repository, DockerHub, StringComparison.OrdinalIgnoreCase)
        || File.StartsWith(Repository.TrimEnd('/') + "/", StringComparison.OrdinalIgnoreCase)
        ? File
        : Repository.TrimEnd('/') + "/" + File;
}

/// <summary>Aeros extension: a host process (<c>aeros.artifacts.Deployment.Process</c>), so a service runs without images.</summary>
/// <param name="Name">The artifact's name in the blueprint.</param>
/// <param name="Command">The executable (<c>file</c>).</param>
/// <param name="Args">Its arguments (<c>args</c>), in order.</param>
public sealed record ProcessArtifact(string Name, string Command, IReadOnlyList<string> Args) : ComponentArtifact(Name);

/// <summary>A port a component listens on.</summary>
/// <param name="Name">The port's name in the blueprint (the last part of the NetworkPort id).</param>
/// <param name="Port">The port number (TOSCA <c>source</c>), 1–65535.</param>
/// <param name="Protocol">Its protocol (default TCP).</param>
public sealed record ComponentPort(string Name, int Port, PortProtocol Protocol);

/// <summary>Aeros extension: what one copy of a component needs on its element (the placement's capacity demand).</summary>
/// <param name="CpuRequest">CPU, cores (default <see cref="DefaultCpuRequest"/>).</param>
/// <param name="MemoryRequestMb">Memory, MB (default <see cref="DefaultMemoryRequestMb"/>).</param>
public sealed record ComponentResources(double CpuRequest, double MemoryRequestMb)
{
    /// <summary>CPU a component needs when the blueprint does not say: 0.1 core.</summary>
    public const double DefaultCpuRequest = 0.1;

    /// <summary>Memory a component needs when the blueprint does not say: 64 MB.</summary>
    public const double DefaultMemoryRequestMb = 64;

    /// <summary>The defaults.</summary>
    public static ComponentResources Default { get; } = new(DefaultCpuRequest, DefaultMemoryRequestMb);
}

/// <summary>Constraints on the element a component runs on; every null property means "no constraint".</summary>
public sealed record HostRequirements
{
    /// <summary>No constraint at all.</summary>
    public static HostRequirements None { get; } = new();

    /// <summary>Highest current CPU usage of the element, % (from <c>cpu_usage</c>).</summary>
    public double? CpuUsageMax { get; init; }

    /// <summary>Required CPU architecture (<c>cpu_arch</c>).</summary>
    public CpuArchitecture? CpuArchitecture { get; init; }

    /// <summary>Lowest available memory of the element, MB (<c>mem_size</c>).</summary>
    public double? MemSizeMinMb { get; init; }

    /// <summary>Whether the element must (true) or must not (false) be real-time capable (<c>realtime</c>).</summary>
    public bool? Realtime { get; init; }

    /// <summary>Lowest energy efficiency ratio of the element, in [0, 1] (<c>energy_efficiency</c>).</summary>
    public double? EnergyEfficiencyMin { get; init; }

    /// <summary>Lowest green energy ratio of the element, in [0, 1] (<c>green</c>).</summary>
    public double? Green { get; init; }

    /// <summary>Required domain as its URN, <c>urn:ngsi-ld:Domain:&lt;name&gt;</c> (<c>domain_id</c>).</summary>
    public string? DomainId { get; init; }

    /// <summary>The polygon the element's location must lie in (<c>area</c>): a closed ring of (longitude, latitude).</summary>
    public IReadOnlyList<GeoPosition>? Area { get; init; }

    /// <summary>The one element the component must run on (<c>node_filter.properties.id</c>).</summary>
    public string? PinnedId { get; init; }

    /// <summary>Aeros extension: whether a GPU is required (<c>gpu</c>).</summary>
    public bool? Gpu { get; init; }

    /// <summary>Aeros extension: lowest GPU memory, MB (<c>gpu_memory</c>).</summary>
    public double? GpuMemoryMinMb { get; init; }

    /// <summary>Aeros extension: lowest available disk, MB (<c>disk_size</c>).</summary>
    public double? DiskMinMb { get; init; }
}

/// <summary>A point of an area polygon.</summary>
/// <param name="Longitude">Longitude, degrees in [−180, 180].</param>
/// <param name="Latitude">Latitude, degrees in [−90, 90].</param>
public readonly record struct GeoPosition(double Longitude, double Latitude);

/// <summary>Aeros extension: a component this one talks to, with the network it needs towards it.</summary>
/// <param name="Target">The other component's TOSCA node name.</param>
/// <param name="MaxLatencyMs">Highest latency between the two elements, ms; null = no limit.</param>
/// <param name="MinBandwidthMbps">Lowest bandwidth between the two elements, Mbps; null = no limit.</param>
public sealed record ComponentLink(string Target, double? MaxLatencyMs, double? MinBandwidthMbps);
