using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;

namespace Aeros.Continuum;

/// <summary>
/// Continuum records ↔ normalized NGSI-LD entities, encoded the way the original aerOS writes them: enumerations
/// of status, CPU architecture, tier and domain status as Relationships to URNs, references as Relationships,
/// <c>unitCode</c> as in the data-model examples, <c>location</c> as GeoProperty. Attribute names are the short
/// terms of the aerOS @context (the client sends that context). Reading is tolerant (see <see cref="FromNgsiLd{T}"/>).
/// </summary>
public static class ContinuumMapper
{
    private static readonly FrozenDictionary<Type, string> TypeNames = new Dictionary<Type, string>
    {
        [typeof(Domain)] = nameof(Domain),
        [typeof(InfrastructureElement)] = nameof(InfrastructureElement),
        [typeof(LowLevelOrchestrator)] = nameof(LowLevelOrchestrator),
        [typeof(Service)] = nameof(Service),
        [typeof(ServiceType)] = nameof(ServiceType),
        [typeof(ServiceComponent)] = nameof(ServiceComponent),
        [typeof(InfrastructureElementRequirements)] = nameof(InfrastructureElementRequirements),
        [typeof(NetworkPort)] = nameof(NetworkPort),
        [typeof(NetworkConnection)] = nameof(NetworkConnection),
        [typeof(PowerSource)] = nameof(PowerSource),
        [typeof(PersistentStorage)] = nameof(PersistentStorage),
        [typeof(CloudRegion)] = nameof(CloudRegion),
    }.ToFrozenDictionary();

    /// <summary>The NGSI-LD entity type (short term of the aerOS @context) of <typeparamref name="T"/>.</summary>
    public static string EntityType<T>() where T : ContinuumEntity => EntityType(typeof(T));

    /// <summary>The NGSI-LD entity type of the record type <paramref name="recordType"/>.</summary>
    public static string EntityType(Type recordType) => TypeNames.TryGetValue(recordType, out var name)
        ? name
        : throw new ArgumentException($"{recordType.Name} is not a continuum record type.", nameof(recordType));

    /// <summary>The normalized NGSI-LD entity (without @context) of <paramref name="entity"/>.</summary>
    public static JsonObject ToNgsiLd(ContinuumEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentException.ThrowIfNullOrWhiteSpace(entity.Id, nameof(entity));
        var w = new NgsiWriter(entity, EntityType(entity.GetType()));
        switch (entity)
        {
            case Domain d:
                w.Property("publicUrl", d.PublicUrl);
                w.Property("isEntrypoint", d.IsEntrypoint);
                w.EnumRelationship("domainStatus", d.DomainStatus);
                w.Property("publicKey", d.PublicKey);
                break;
            case InfrastructureElement ie:
                WriteInfrastructureElement(w, ie);
                break;
            case LowLevelOrchestrator llo:
                w.Relationship("domain", llo.Domain);
                w.EnumProperty("orchestrationType", llo.OrchestrationType);
                break;
            case Service s:
                w.Relationship("serviceType", s.ServiceType);
                w.Relationship("domainHandler", s.DomainHandler);
                w.EnumProperty("actionType", s.ActionType);
                w.Property("hasOverlay", s.HasOverlay);
                break;
            case ServiceType st:
                w.Property("webPage", st.WebPage);
                w.Property("license", st.License);
                break;
            case ServiceComponent c:
                WriteServiceComponent(w, c);
                break;
            case InfrastructureElementRequirements r:
                w.Relationship("infrastructureElement", r.InfrastructureElement);
                w.Property("requiredCpuUsage", r.RequiredCpuUsage);
                w.Property("requiredMemoryUsage", r.RequiredMemoryUsage);
                w.Property("requiredRam", r.RequiredRam);
                w.EnumRelationship("cpuArchitecture", r.CpuArchitecture);
                w.Property("gpu", r.Gpu);
                w.EnumProperty("diskType", r.DiskType);
                w.Property("realTimeCapable", r.RealTimeCapable);
                w.Property("greenEnergyRatio", r.GreenEnergyRatio);
                w.Property("energyEfficiencyRatio", r.EnergyEfficiencyRatio);
                w.Property("domainId", r.DomainId);
                w.Property("area", r.Area);
                w.Property("cpuRequest", r.CpuRequest);
                w.Property("memoryRequest", r.MemoryRequest);
                w.Property("requiredGpuMemory", r.RequiredGpuMemory);
                w.Property("requiredDisk", r.RequiredDisk);
                break;
            case NetworkPort p:
                w.Property("portNumber", p.PortNumber);
                w.EnumProperty("portProtocol", p.PortProtocol);
                break;
            case NetworkConnection n:
                w.Relationship("linkFrom", n.LinkFrom);
                w.Relationship("linkTo", n.LinkTo);
                w.Relationships("networkPorts", n.NetworkPorts);
                w.EnumProperty("status", n.Status);
                w.Property("maxLatency", n.MaxLatency);
                w.Property("minBandwidth", n.MinBandwidth);
                break;
            case PowerSource ps:
                w.Property("greenEnergyRatio", ps.GreenEnergyRatio);
                w.Property("currentPowerGeneratorPotential", ps.CurrentPowerGeneratorPotential);
                break;
            case PersistentStorage st:
                w.Property("mountPath", st.MountPath);
                w.EnumProperty("storageType", st.StorageType);
                w.Property("hostPath", st.HostPath);
                w.EnumProperty("accessMode", st.AccessMode);
                w.Property("size", st.Size);
                break;
            case CloudRegion cr:
                w.Property("cloudName", cr.CloudName);
                w.Contacts("contactPoint", cr.ContactPoint);
                w.Property("version", cr.Version);
                w.Relationship("test", cr.Test);
                break;
        }
        return w.Entity;
    }

    /// <summary>
    /// Reads <paramref name="entity"/> (normalized or concise, short attribute names) as a <typeparamref name="T"/>.
    /// Tolerant: enumerations as URN Relationships or plain strings (also common aliases such as <c>x86_64</c>),
    /// relationship targets in <c>object</c> or <c>value</c>, the default instance of multi-attributes; unknown
    /// attributes are ignored and unreadable values are null.
    /// </summary>
    public static T FromNgsiLd<T>(JsonObject entity) where T : ContinuumEntity => (T)FromNgsiLd(entity, typeof(T));

    /// <summary>Reads <paramref name="entity"/> as the record type <paramref name="recordType"/>.</summary>
    public static ContinuumEntity FromNgsiLd(JsonObject entity, Type recordType)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var r = new NgsiReader(entity);
        var id = r.Id;
        ContinuumEntity record = EntityType(recordType) switch
        {
            nameof(Domain) => new Domain
            {
                Id = id,
                PublicUrl = r.String("publicUrl"),
                IsEntrypoint = r.Bool("isEntrypoint"),
                DomainStatus = r.Enum<DomainStatus>("domainStatus"),
                PublicKey = r.String("publicKey"),
            },
            nameof(InfrastructureElement) => ReadInfrastructureElement(r, id),
            nameof(LowLevelOrchestrator) => new LowLevelOrchestrator
            {
                Id = id,
                Domain = r.Target("domain"),
                OrchestrationType = r.Enum<ContainerTechnology>("orchestrationType"),
            },
            nameof(Service) => new Service
            {
                Id = id,
                ServiceType = r.Target("serviceType"),
                DomainHandler = r.Target("domainHandler"),
                ActionType = r.Enum<ServiceActionType>("actionType"),
                HasOverlay = r.Bool("hasOverlay"),
            },
            nameof(ServiceType) => new ServiceType { Id = id, WebPage = r.String("webPage"), License = r.String("license") },
            nameof(ServiceComponent) => ReadServiceComponent(r, id),
            nameof(InfrastructureElementRequirements) => new InfrastructureElementRequirements
            {
                Id = id,
                InfrastructureElement = r.Target("infrastructureElement"),
                RequiredCpuUsage = r.Double("requiredCpuUsage"),
                RequiredMemoryUsage = r.Double("requiredMemoryUsage"),
                RequiredRam = r.Double("requiredRam"),
                CpuArchitecture = r.Enum<CpuArchitecture>("cpuArchitecture"),
                Gpu = r.Bool("gpu"),
                DiskType = r.Enum<DiskType>("diskType"),
                RealTimeCapable = r.Bool("realTimeCapable"),
                GreenEnergyRatio = r.Double("greenEnergyRatio"),
                EnergyEfficiencyRatio = r.Double("energyEfficiencyRatio"),
                DomainId = r.String("domainId"),
                Area = r.String("area"),
                CpuRequest = r.Double("cpuRequest"),
                MemoryRequest = r.Double("memoryRequest"),
                RequiredGpuMemory = r.Double("requiredGpuMemory"),
                RequiredDisk = r.Double("requiredDisk"),
            },
            // The schema names them number/protocol; aerOS and the examples write portNumber/portProtocol.
            nameof(NetworkPort) => new NetworkPort
            {
                Id = id,
                PortNumber = r.Int("portNumber") ?? r.Int("number"),
                PortProtocol = r.Enum<PortProtocol>("portProtocol") ?? r.Enum<PortProtocol>("protocol"),
            },
            nameof(NetworkConnection) => new NetworkConnection
            {
                Id = id,
                LinkFrom = r.Target("linkFrom"),
                LinkTo = r.Target("linkTo"),
                NetworkPorts = r.Targets("networkPorts"),
                Status = r.Enum<NetworkConnectionStatus>("status"),
                MaxLatency = r.Double("maxLatency"),
                MinBandwidth = r.Double("minBandwidth"),
            },
            nameof(PowerSource) => new PowerSource
            {
                Id = id,
                GreenEnergyRatio = r.Double("greenEnergyRatio"),
                CurrentPowerGeneratorPotential = r.Double("currentPowerGeneratorPotential"),
            },
            nameof(PersistentStorage) => new PersistentStorage
            {
                Id = id,
                MountPath = r.String("mountPath"),
                StorageType = r.Enum<StorageType>("storageType"),
                HostPath = r.String("hostPath"),
                AccessMode = r.Enum<StorageAccessMode>("accessMode"),
                Size = r.Double("size"),
            },
            nameof(CloudRegion) => new CloudRegion
            {
                Id = id,
                CloudName = r.String("cloudName"),
                ContactPoint = r.Contacts("contactPoint"),
                Version = r.String("version"),
                Test = r.Target("test"),
            },
            var other => throw new ArgumentException($"{other} is not a continuum record type.", nameof(recordType)),
        };
        return r.Common(record);
    }

    /// <summary>
    /// The attributes of <paramref name="attributes"/> as an NGSI-LD fragment (see <see cref="ContinuumClient.MergeAsync(string, IReadOnlyDictionary{string, object?}, CancellationToken)"/>
    /// for the accepted values).
    /// </summary>
    public static JsonObject ToFragment(IReadOnlyDictionary<string, object?> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var w = new NgsiWriter();
        foreach (var (name, value) in attributes)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(attributes));
            if (name is "id" or "type" or "@context")
            {
                throw new ArgumentException($"'{name}' is not an attribute.", nameof(attributes));
            }
            w.Any(name, value);
        }
        return w.Entity;
    }

    /// <summary>The entities of an NGSI-LD notification (its <c>data</c> array) read as <typeparamref name="T"/>.</summary>
    public static IReadOnlyList<T> FromNotification<T>(JsonObject notification) where T : ContinuumEntity
    {
        ArgumentNullException.ThrowIfNull(notification);
        return notification["data"] is JsonArray data ? data.OfType<JsonObject>().Select(FromNgsiLd<T>).ToList() : [];
    }

    private static void WriteInfrastructureElement(NgsiWriter w, InfrastructureElement ie)
    {
        w.Relationship("domain", ie.Domain);
        w.Property("hostname", ie.Hostname);
        w.Property("internalIpAddress", ie.InternalIpAddress);
        w.Property("macAddress", ie.MacAddress);
        w.Property("trustScore", ie.TrustScore);
        w.EnumProperty("containerTechnology", ie.ContainerTechnology);
        w.Relationship("lowLevelOrchestrator", ie.LowLevelOrchestrator);
        w.Property("cpuCores", ie.CpuCores);
        w.Property("cpuFreqMax", ie.CpuFreqMax, Units.Megahertz);
        w.Property("currentCpuUsage", ie.CurrentCpuUsage, Units.Percentage);
        w.Property("ramCapacity", ie.RamCapacity, Units.Megabytes);
        w.Property("availableRam", ie.AvailableRam, Units.Megabytes);
        w.Property("currentRamUsage", ie.CurrentRamUsage, Units.Megabytes);
        w.Property("currentRamUsagePct", ie.CurrentRamUsagePct, Units.Percentage);
        w.Property("gpu", ie.Gpu);
        w.Property("gpuMemory", ie.GpuMemory, Units.Megabytes);
        w.EnumProperty("diskType", ie.DiskType);
        w.Property("diskCapacity", ie.DiskCapacity, Units.Megabytes);
        w.Property("availableDisk", ie.AvailableDisk, Units.Megabytes);
        w.Property("currentDiskUsage", ie.CurrentDiskUsage, Units.Megabytes);
        w.Property("currentDiskUsagePct", ie.CurrentDiskUsagePct, Units.Percentage);
        w.Property("netSpeedUp", ie.NetSpeedUp, Units.MegabitsPerSecond);
        w.Property("netSpeedDown", ie.NetSpeedDown, Units.MegabitsPerSecond);
        w.Property("netTrafficUp", ie.NetTrafficUp, Units.MegabytesPerSecond);
        w.Property("netTrafficDown", ie.NetTrafficDown, Units.MegabytesPerSecond);
        w.Property("netLostPackages", ie.NetLostPackages);
        w.Property("avgPowerConsumption", ie.AvgPowerConsumption);
        w.Property("currentPowerConsumption", ie.CurrentPowerConsumption);
        w.Relationship("powerSource", ie.PowerSource);
        w.Property("energyEfficiencyRatio", ie.EnergyEfficiencyRatio);
        w.Property("realTimeCapable", ie.RealTimeCapable);
        w.EnumRelationship("cpuArchitecture", ie.CpuArchitecture);
        w.EnumProperty("operatingSystem", ie.OperatingSystem);
        w.EnumRelationship("infrastructureElementTier", ie.InfrastructureElementTier);
        w.EnumRelationship("infrastructureElementStatus", ie.InfrastructureElementStatus);
        w.Property("healthScore", ie.HealthScore);
        w.Numbers("healthBreakdown", ie.HealthBreakdown);
        w.DateTime("heartbeat", ie.Heartbeat);
        w.Property("selfApiUrl", ie.SelfApiUrl);
        w.Property("reachable", ie.Reachable);
        w.DateTime("unreachableSince", ie.UnreachableSince);
    }

    private static InfrastructureElement ReadInfrastructureElement(NgsiReader r, string id) => new()
    {
        Id = id,
        Domain = r.Target("domain"),
        Hostname = r.String("hostname"),
        InternalIpAddress = r.String("internalIpAddress"),
        MacAddress = r.String("macAddress"),
        TrustScore = r.Double("trustScore"),
        ContainerTechnology = r.Enum<ContainerTechnology>("containerTechnology"),
        LowLevelOrchestrator = r.Target("lowLevelOrchestrator"),
        CpuCores = r.Int("cpuCores"),
        CpuFreqMax = r.Double("cpuFreqMax"),
        CurrentCpuUsage = r.Double("currentCpuUsage"),
        RamCapacity = r.Double("ramCapacity"),
        AvailableRam = r.Double("availableRam"),
        CurrentRamUsage = r.Double("currentRamUsage"),
        CurrentRamUsagePct = r.Double("currentRamUsagePct"),
        Gpu = r.Bool("gpu"),
        GpuMemory = r.Double("gpuMemory"),
        DiskType = r.Enum<DiskType>("diskType"),
        DiskCapacity = r.Double("diskCapacity"),
        AvailableDisk = r.Double("availableDisk"),
        CurrentDiskUsage = r.Double("currentDiskUsage"),
        CurrentDiskUsagePct = r.Double("currentDiskUsagePct"),
        NetSpeedUp = r.Double("netSpeedUp"),
        NetSpeedDown = r.Double("netSpeedDown"),
        NetTrafficUp = r.Double("netTrafficUp"),
        NetTrafficDown = r.Double("netTrafficDown"),
        NetLostPackages = r.Long("netLostPackages"),
        AvgPowerConsumption = r.Double("avgPowerConsumption"),
        CurrentPowerConsumption = r.Double("currentPowerConsumption"),
        PowerSource = r.Target("powerSource"),
        EnergyEfficiencyRatio = r.Double("energyEfficiencyRatio"),
        RealTimeCapable = r.Bool("realTimeCapable"),
        CpuArchitecture = r.Enum<CpuArchitecture>("cpuArchitecture"),
        OperatingSystem = r.Enum<OperatingSystemFamily>("operatingSystem"),
        InfrastructureElementTier = r.Enum<InfrastructureElementTier>("infrastructureElementTier"),
        InfrastructureElementStatus = r.Enum<InfrastructureElementStatus>("infrastructureElementStatus"),
        HealthScore = r.Double("healthScore"),
        HealthBreakdown = r.Numbers("healthBreakdown"),
        Heartbeat = r.DateTime("heartbeat"),
        SelfApiUrl = r.String("selfApiUrl"),
        Reachable = r.Bool("reachable"),
        UnreachableSince = r.DateTime("unreachableSince"),
    };

    private static void WriteServiceComponent(NgsiWriter w, ServiceComponent c)
    {
        w.Relationship("infrastructureElement", c.InfrastructureElement);
        w.Relationship("service", c.Service);
        w.EnumRelationship("serviceComponentStatus", c.ServiceComponentStatus);
        w.Relationship("infrastructureElementRequirements", c.InfrastructureElementRequirements);
        w.Property("containerImage", c.ContainerImage);
        w.KeyValues("cliArgs", c.CliArgs);
        w.KeyValues("envVars", c.EnvVars);
        w.Relationships("networkPorts", c.NetworkPorts);
        w.Relationships("persistentStorage", c.PersistentStorage);
        w.Property("isJob", c.IsJob);
        w.Property("exposePorts", c.ExposePorts);
        w.Property("isPrivate", c.IsPrivate);
        w.Property("repoUsername", c.RepoUsername);
        w.Property("repoPassword", c.RepoPassword);
        w.Property("overlayNetworkIP", c.OverlayNetworkIP);
        w.Property("currentCpuUsage", c.CurrentCpuUsage);
        w.Property("currentMemoryUsage", c.CurrentMemoryUsage);
        w.Property("processCommand", c.ProcessCommand);
        w.Strings("processArgs", c.ProcessArgs);
        w.Property("generation", c.Generation);
        w.Property("statusReason", c.StatusReason);
        w.Decision("placementDecision", c.PlacementDecision);
    }

    private static ServiceComponent ReadServiceComponent(NgsiReader r, string id) => new()
    {
        Id = id,
        InfrastructureElement = r.Target("infrastructureElement"),
        Service = r.Target("service"),
        ServiceComponentStatus = r.Enum<ServiceComponentStatus>("serviceComponentStatus"),
        InfrastructureElementRequirements = r.Target("infrastructureElementRequirements"),
        ContainerImage = r.String("containerImage"),
        CliArgs = r.KeyValues("cliArgs"),
        EnvVars = r.KeyValues("envVars"),
        NetworkPorts = r.Targets("networkPorts"),
        PersistentStorage = r.Targets("persistentStorage"),
        IsJob = r.Bool("isJob"),
        ExposePorts = r.Bool("exposePorts"),
        IsPrivate = r.Bool("isPrivate"),
        RepoUsername = r.String("repoUsername"),
        RepoPassword = r.String("repoPassword"),
        OverlayNetworkIP = r.String("overlayNetworkIP"),
        CurrentCpuUsage = r.Double("currentCpuUsage"),
        CurrentMemoryUsage = r.Double("currentMemoryUsage"),
        ProcessCommand = r.String("processCommand"),
        ProcessArgs = r.Strings("processArgs"),
        Generation = r.Long("generation"),
        StatusReason = r.String("statusReason"),
        PlacementDecision = r.Decision("placementDecision"),
    };
}
