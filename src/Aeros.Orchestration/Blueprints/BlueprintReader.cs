using System.Globalization;
using Aeros.Abstractions.Continuum;
using YamlDotNet.RepresentationModel;

namespace Aeros.Orchestration.Blueprints;

/// <summary>
/// Walks the YAML tree of one blueprint, collecting every error (with its mark and path) instead of stopping at
/// the first. One instance per parse.
/// </summary>
internal sealed class BlueprintReader
{
    private static readonly string[] TopLevelKeys =
        ["tosca_definitions_version", "description", "metadata", "dsl_definitions", "node_templates", "topology_template", "serviceOverlay"];

    private static readonly string[] NodeKeys =
        ["type", "description", "metadata", "requirements", "artifacts", "interfaces", "isJob", "exposePorts", "replicas", "resources"];

    private static readonly string[] HostProperties =
        ["cpu_usage", "cpu_arch", "mem_size", "realtime", "energy_efficiency", "green", "domain_id", "area", "gpu", "gpu_memory", "disk_size"];

    private readonly List<BlueprintError> _errors = [];
    private int _omitted;

    /// <summary>The errors found so far, ordered by line and column.</summary>
    public IReadOnlyList<BlueprintError> Errors
    {
        get
        {
            var sorted = _errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList();
            if (_omitted > 0)
            {
                sorted.Add(new BlueprintError(sorted[^1].Line, sorted[^1].Column, "", $"{_omitted} more errors are not listed."));
            }
            return sorted;
        }
    }

    /// <summary>Whether <paramref name="node"/> is a YAML null (<c>~</c>, <c>null</c> or nothing).</summary>
    public static bool IsNull(YamlNode? node) => node is null
        || node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) } scalar
            && (scalar.Value is null or "" or "~" || string.Equals(scalar.Value, "null", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the root node; null when it had errors.</summary>
    public ServiceBlueprint? Read(YamlNode root)
    {
        if (root is not YamlMappingNode mapping)
        {
            Error(root, "", "A blueprint must be a mapping with tosca_definitions_version and node_templates.");
            return null;
        }
        string? description = null;
        var overlay = false;
        YamlNode? templates = null;
        YamlNode? versionNode = null;
        foreach (var (key, keyNode, value) in Entries(mapping, ""))
        {
            switch (key)
            {
                case "tosca_definitions_version":
                    versionNode = value;
                    var version = Text(value, key);
                    if (version is not null && version != BlueprintParser.ToscaVersion)
                    {
                        Error(value, key, $"Unsupported version '{version}'; use {BlueprintParser.ToscaVersion}.");
                    }
                    break;
                case "description":
                    description = IsNull(value) ? null : Text(value, key);
                    break;
                case "metadata" or "dsl_definitions":
                    break; // Free-form (dsl_definitions holds anchors); nothing of it is used.
                case "serviceOverlay":
                    overlay = Bool(value, key) ?? false;
                    break;
                case "node_templates":
                    templates = Duplicate(templates, keyNode, value, key);
                    break;
                case "topology_template":
                    // Standard TOSCA nests node_templates here; aerOS writes them at the top. Both are read.
                    foreach (var (innerKey, innerKeyNode, innerValue) in Entries(value, key))
                    {
                        if (innerKey == "node_templates")
                        {
                            templates = Duplicate(templates, innerKeyNode, innerValue, key + ".node_templates");
                        }
                        else if (innerKey is not ("description" or "inputs" or "outputs"))
                        {
                            Error(innerKeyNode, key + "." + innerKey, "Unknown key; topology_template may hold node_templates.");
                        }
                    }
                    break;
                default:
                    Error(keyNode, key, $"Unknown key; a blueprint may hold {string.Join(", ", TopLevelKeys)}.");
                    break;
            }
        }
        if (versionNode is null)
        {
            Error(root, "", $"tosca_definitions_version is missing; write 'tosca_definitions_version: {BlueprintParser.ToscaVersion}'.");
        }
        var components = templates is null ? [] : ReadTemplates(templates);
        if (templates is null)
        {
            Error(root, "", "node_templates is missing: a blueprint needs at least one component.");
        }
        return _errors.Count == 0 ? new ServiceBlueprint(description, components, overlay) : null;
    }

    private YamlNode Duplicate(YamlNode? existing, YamlNode keyNode, YamlNode value, string path)
    {
        if (existing is not null)
        {
            Error(keyNode, path, "node_templates is given twice (at the top and in topology_template).");
        }
        return value;
    }

    private List<ComponentBlueprint> ReadTemplates(YamlNode templates)
    {
        const string path = "node_templates";
        var read = new List<(string Name, ComponentBlueprint? Component, YamlNode KeyNode, List<(ComponentLink Link, YamlNode Node, string Path)> Links)>();
        if (templates is not YamlMappingNode mapping || mapping.Children.Count == 0)
        {
            Error(templates, path, "node_templates must be a mapping of one or more components (name: {type: tosca.nodes.Container.Application, ...}).");
            return [];
        }
        foreach (var (name, keyNode, value) in Entries(mapping, path))
        {
            var nodePath = path + "." + name;
            if (!BlueprintParser.IsIdName(name))
            {
                Error(keyNode, nodePath, $"The component name '{name}' cannot be part of an aerOS id: use letters, digits, '-', '_' and '.', starting with a letter or digit, at most {BlueprintParser.MaxNameLength} characters.");
            }
            var links = new List<(ComponentLink, YamlNode, string)>();
            // Components with errors are kept too, so their dependencies are still checked.
            read.Add((name, ReadComponent(name, value, nodePath, links), keyNode, links));
        }
        // Replicas become components named <node>-1..n; such a name must not be another component's.
        var names = mapping.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").ToHashSet(StringComparer.Ordinal);
        foreach (var (name, component, keyNode, links) in read)
        {
            if (component is { Replicas: > 1 })
            {
                for (var i = 1; i <= component.Replicas; i++)
                {
                    if (names.Contains($"{component.Name}-{i}"))
                    {
                        Error(keyNode, path + "." + component.Name, $"Its replica '{component.Name}-{i}' has the name of another component.");
                    }
                }
            }
            foreach (var (link, node, linkPath) in links)
            {
                if (link.Target == name)
                {
                    Error(node, linkPath, "A component cannot depend on itself.");
                }
                else if (!names.Contains(link.Target))
                {
                    Error(node, linkPath, $"Depends on '{link.Target}', which is not a component of this blueprint.");
                }
            }
            foreach (var duplicate in links.GroupBy(l => l.Item1.Target).Where(g => g.Count() > 1))
            {
                var second = duplicate.ElementAt(1);
                Error(second.Item2, second.Item3, $"The dependency on '{duplicate.Key}' is given more than once.");
            }
        }
        return read.Where(r => r.Component is not null).Select(r => r.Component!).ToList();
    }

    private ComponentBlueprint? ReadComponent(string name, YamlNode node, string path, List<(ComponentLink, YamlNode, string)> links)
    {
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, $"A component must be a mapping with 'type: {BlueprintParser.ContainerApplicationType}'.");
            return null;
        }
        var errorsBefore = _errors.Count;
        var typeSeen = false;
        var isJob = false;
        var exposePorts = false;
        var replicas = 1;
        var resources = ComponentResources.Default;
        var host = HostRequirements.None;
        var hostSeen = false;
        var ports = new List<(ComponentPort Port, YamlNode Node, string Path)>();
        var artifacts = new Dictionary<string, ComponentArtifact>(StringComparer.Ordinal);
        YamlNode? artifactsNode = null;
        (string Name, YamlNode Node, string Path)? implementation = null;
        IReadOnlyList<KeyValueEntry> envVars = [];
        IReadOnlyList<KeyValueEntry> cliArgs = [];
        foreach (var (key, keyNode, value) in Entries(mapping, path))
        {
            var keyPath = path + "." + key;
            switch (key)
            {
                case "type":
                    typeSeen = true;
                    var type = Text(value, keyPath);
                    if (type is not null && type != BlueprintParser.ContainerApplicationType)
                    {
                        Error(value, keyPath, $"Unknown node type '{type}'; the only type is {BlueprintParser.ContainerApplicationType}.");
                    }
                    break;
                case "description" or "metadata":
                    break;
                case "isJob":
                    isJob = Bool(value, keyPath) ?? false;
                    break;
                case "exposePorts":
                    exposePorts = Bool(value, keyPath) ?? false;
                    break;
                case "replicas":
                    if (Number(value, keyPath) is { } count)
                    {
                        if (count != Math.Floor(count) || count < 1 || count > BlueprintParser.MaxReplicas)
                        {
                            Error(value, keyPath, $"replicas must be a whole number from 1 to {BlueprintParser.MaxReplicas}.");
                        }
                        else
                        {
                            replicas = (int)count;
                        }
                    }
                    break;
                case "resources":
                    resources = ReadResources(value, keyPath);
                    break;
                case "requirements":
                    ReadRequirements(value, keyPath, ref host, ref hostSeen, ref exposePorts, ports, links);
                    break;
                case "artifacts":
                    artifactsNode = value;
                    ReadArtifacts(value, keyPath, artifacts);
                    break;
                case "interfaces":
                    ReadInterfaces(value, keyPath, ref implementation, ref envVars, ref cliArgs);
                    break;
                default:
                    Error(keyNode, keyPath, $"Unknown key; a component may hold {string.Join(", ", NodeKeys)}.");
                    break;
            }
        }
        if (!typeSeen)
        {
            Error(node, path, $"The component has no type; write 'type: {BlueprintParser.ContainerApplicationType}'.");
        }
        ComponentArtifact? artifact = null;
        if (implementation is { } impl)
        {
            if (!artifacts.TryGetValue(impl.Name, out artifact) && !_errors.Any(e => e.Path.StartsWith(path + ".artifacts." + impl.Name, StringComparison.Ordinal)))
            {
                Error(impl.Node, impl.Path, $"The implementation '{impl.Name}' is not one of the component's artifacts ({(artifacts.Count == 0 ? "it has none" : string.Join(", ", artifacts.Keys))}).");
            }
        }
        else if (artifacts.Count == 1)
        {
            artifact = artifacts.Values.First(); // One artifact needs no interfaces section to say which one runs.
        }
        else if (artifacts.Count > 1)
        {
            Error(artifactsNode!, path + ".artifacts", "With several artifacts, interfaces.Standard.create.implementation must name the one to run.");
        }
        else if (_errors.Count == errorsBefore || artifactsNode is null)
        {
            Error(node, path, $"The component has no artifact: add artifacts with a container image ({BlueprintParser.ContainerImageArtifactType}) or a process ({BlueprintParser.ProcessArtifactType}).");
        }
        foreach (var group in ports.GroupBy(p => (p.Port.Port, p.Port.Protocol)).Where(g => g.Count() > 1))
        {
            var second = group.ElementAt(1);
            Error(second.Node, second.Path, $"Port {group.Key.Port}/{group.Key.Protocol} is given more than once in this component.");
        }
        foreach (var group in ports.GroupBy(p => p.Port.Name).Where(g => g.Count() > 1))
        {
            var second = group.ElementAt(1);
            Error(second.Node, second.Path, $"The port name '{group.Key}' is given more than once in this component.");
        }
        if (_errors.Count > errorsBefore || artifact is null)
        {
            return null;
        }
        return new ComponentBlueprint(name, artifact, ports.Select(p => p.Port).ToList(), exposePorts, envVars, cliArgs, isJob, replicas,
            resources, host, links.Select(l => l.Item1).ToList());
    }

    private ComponentResources ReadResources(YamlNode node, string path)
    {
        var cpu = ComponentResources.DefaultCpuRequest;
        var memory = ComponentResources.DefaultMemoryRequestMb;
        foreach (var (key, keyNode, value) in Entries(node, path))
        {
            var keyPath = path + "." + key;
            switch (key)
            {
                case "cpu":
                    var text = Text(value, keyPath);
                    if (text is null)
                    {
                        break;
                    }
                    // Cores as a number, or Kubernetes-style millicores ("250m").
                    var milli = text.EndsWith('m');
                    if (!double.TryParse(milli ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var cores) || double.IsNaN(cores))
                    {
                        Error(value, keyPath, $"'{text}' is not a CPU amount; write cores (0.5) or millicores (500m).");
                        break;
                    }
                    cores = milli ? cores / 1000 : cores;
                    if (cores <= 0 || cores > 1024)
                    {
                        Error(value, keyPath, "The CPU request must be more than 0 and at most 1024 cores.");
                        break;
                    }
                    cpu = cores;
                    break;
                case "memory":
                    if (Size(value, keyPath) is { } mb)
                    {
                        memory = mb;
                    }
                    break;
                default:
                    Error(keyNode, keyPath, "Unknown key; resources may hold cpu (cores) and memory (a size such as 128 MB).");
                    break;
            }
        }
        return new ComponentResources(cpu, memory);
    }

    private void ReadRequirements(YamlNode node, string path, ref HostRequirements host, ref bool hostSeen, ref bool exposePorts,
        List<(ComponentPort, YamlNode, string)> ports, List<(ComponentLink, YamlNode, string)> links)
    {
        if (node is not YamlSequenceNode sequence)
        {
            if (!IsNull(node))
            {
                Error(node, path, "requirements must be a list (- host: ..., - network: ..., - dependency: ...).");
            }
            return;
        }
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var item = sequence.Children[i];
            var itemPath = $"{path}[{i}]";
            if (item is not YamlMappingNode { Children.Count: 1 } single)
            {
                Error(item, itemPath, "Each requirement is a mapping with one key: host, network or dependency.");
                continue;
            }
            var (keyNode, value) = single.Children.First();
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var keyPath = itemPath + "." + key;
            switch (key)
            {
                case "host":
                    if (hostSeen)
                    {
                        Error(keyNode, keyPath, "A component has one host requirement; put every host property in the same node_filter.");
                    }
                    hostSeen = true;
                    host = ReadHost(value, keyPath);
                    break;
                case "network":
                    ReadNetwork(value, keyPath, ref exposePorts, ports);
                    break;
                case "dependency":
                    if (ReadDependency(value, keyPath) is { } link)
                    {
                        links.Add((link, value, keyPath));
                    }
                    break;
                default:
                    Error(keyNode, keyPath, $"Unknown requirement '{key}'; use host, network or dependency.");
                    break;
            }
        }
    }

    private HostRequirements ReadHost(YamlNode node, string path)
    {
        var host = new HostRequirements();
        foreach (var (key, keyNode, value) in Entries(node, path))
        {
            var keyPath = path + "." + key;
            if (key != "node_filter")
            {
                Error(keyNode, keyPath, "Unknown key; a host requirement holds node_filter.");
                continue;
            }
            foreach (var (filterKey, filterKeyNode, filterValue) in Entries(value, keyPath))
            {
                var filterPath = keyPath + "." + filterKey;
                switch (filterKey)
                {
                    case "properties":
                        foreach (var (property, propertyKeyNode, propertyValue, propertyPath) in Pairs(filterValue, filterPath))
                        {
                            if (property != "id")
                            {
                                Error(propertyKeyNode, propertyPath, "Unknown node_filter property; the only one is id (the element to pin the component to). Put constraints under capabilities: - host: properties:.");
                                continue;
                            }
                            var (op, operand, _) = Constraint(propertyValue, propertyPath, "equal");
                            if (operand is null)
                            {
                                continue;
                            }
                            if (op != "equal")
                            {
                                Error(propertyValue, propertyPath, $"Operator '{op}' cannot be used with id; use equal.");
                                continue;
                            }
                            var id = Text(operand, propertyPath);
                            if (id is not null && (!id.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) || id.Any(char.IsWhiteSpace) || id.Length < 6))
                            {
                                Error(operand, propertyPath, $"'{id}' is not an element id; write its URN, e.g. urn:ngsi-ld:InfrastructureElement:domain1:0a1b2c3d4e5f.");
                            }
                            else if (id is not null)
                            {
                                host = host with { PinnedId = id };
                            }
                        }
                        break;
                    case "capabilities":
                        foreach (var (capability, capabilityKeyNode, capabilityValue, capabilityPath) in Pairs(filterValue, filterPath))
                        {
                            if (capability != "host")
                            {
                                Error(capabilityKeyNode, capabilityPath, "Unknown capability; the only one is host.");
                                continue;
                            }
                            foreach (var (capKey, capKeyNode, capValue) in Entries(capabilityValue, capabilityPath))
                            {
                                if (capKey != "properties")
                                {
                                    Error(capKeyNode, capabilityPath + "." + capKey, "Unknown key; the host capability holds properties.");
                                    continue;
                                }
                                foreach (var (property, propertyKeyNode, propertyValue, propertyPath) in Pairs(capValue, capabilityPath + ".properties"))
                                {
                                    host = ReadHostProperty(host, property, propertyKeyNode, propertyValue, propertyPath);
                                }
                            }
                        }
                        break;
                    default:
                        Error(filterKeyNode, filterPath, "Unknown key; a node_filter holds properties (id) and capabilities (host properties).");
                        break;
                }
            }
        }
        return host;
    }

    private HostRequirements ReadHostProperty(HostRequirements host, string property, YamlNode keyNode, YamlNode value, string path)
    {
        switch (property)
        {
            case "cpu_usage":
            {
                var (op, operand, opNode) = Constraint(value, path, "less_or_equal");
                if (operand is null || !Operator(op, opNode!, path, "less_or_equal", "less_than", "greater_or_equal", "greater_than"))
                {
                    return host;
                }
                var text = Text(operand, path);
                if (text is null)
                {
                    return host;
                }
                var percentSign = text.EndsWith('%');
                if (!double.TryParse(percentSign ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || double.IsNaN(number))
                {
                    Error(operand, path, $"'{text}' is not a CPU usage; write a fraction (0.5) or a percentage (50 %).");
                    return host;
                }
                // A fraction up to 1 is read as a share of the CPU (aerOS writes 0.5 for 50 %); above 1 as a percentage.
                var percent = percentSign || number > 1 ? number : number * 100;
                if (percent <= 0 || percent > 100)
                {
                    Error(operand, path, "The CPU usage must be more than 0 and at most 1 (or 100 %).");
                    return host;
                }
                // less_*: the element's current usage must not exceed it; greater_*: the component needs that share
                // free, so the element's usage must not exceed the rest.
                var max = op.StartsWith("less", StringComparison.Ordinal) ? percent : 100 - percent;
                if (max <= 0)
                {
                    Error(operand, path, "Asking for the whole CPU free leaves no element to choose; ask for less than 1 (100 %).");
                    return host;
                }
                return host with { CpuUsageMax = max };
            }
            case "cpu_arch":
            {
                var (op, operand, opNode) = Constraint(value, path, "equal");
                if (operand is null || !Operator(op, opNode!, path, "equal"))
                {
                    return host;
                }
                var text = Text(operand, path);
                if (text is null)
                {
                    return host;
                }
                if (Architecture(text) is { } architecture)
                {
                    return host with { CpuArchitecture = architecture };
                }
                Error(operand, path, $"Unknown CPU architecture '{text}'; use x86_64 (amd64), arm64 (aarch64), arm32 (armv7), mips64le, ppc64le, riscv64 or s390x.");
                return host;
            }
            case "mem_size":
                return SizeProperty(value, path) is { } memory ? host with { MemSizeMinMb = memory } : host;
            case "gpu_memory":
                return SizeProperty(value, path) is { } gpuMemory ? host with { GpuMemoryMinMb = gpuMemory } : host;
            case "disk_size":
                return SizeProperty(value, path) is { } disk ? host with { DiskMinMb = disk } : host;
            case "realtime":
            {
                var (op, operand, opNode) = Constraint(value, path, "equal");
                return operand is not null && Operator(op, opNode!, path, "equal") && Bool(operand, path) is { } realtime ? host with { Realtime = realtime } : host;
            }
            case "gpu":
            {
                var (op, operand, opNode) = Constraint(value, path, "equal");
                return operand is not null && Operator(op, opNode!, path, "equal") && Bool(operand, path) is { } gpu ? host with { Gpu = gpu } : host;
            }
            case "energy_efficiency":
            {
                var (op, operand, opNode) = Constraint(value, path, "greater_or_equal");
                return operand is not null && Operator(op, opNode!, path, "greater_or_equal", "greater_than") && Ratio(operand, path) is { } ratio
                    ? host with { EnergyEfficiencyMin = ratio }
                    : host;
            }
            case "green":
            {
                var (op, operand, opNode) = Constraint(value, path, "greater_or_equal");
                if (operand is null || !Operator(op, opNode!, path, "greater_or_equal", "greater_than", "equal"))
                {
                    return host;
                }
                if (op == "equal")
                {
                    // green: {equal: true} = "mostly green": at least half of the element's energy is green.
                    return Bool(operand, path) is { } green ? host with { Green = green ? 0.5 : null } : host;
                }
                return Ratio(operand, path) is { } greenRatio ? host with { Green = greenRatio } : host;
            }
            case "domain_id":
            {
                var (op, operand, opNode) = Constraint(value, path, "equal");
                if (operand is null || !Operator(op, opNode!, path, "equal"))
                {
                    return host;
                }
                var text = Text(operand, path);
                if (text is null)
                {
                    return host;
                }
                const string prefix = "urn:ngsi-ld:Domain:";
                var name = text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text;
                if (!BlueprintParser.IsIdName(name))
                {
                    Error(operand, path, $"'{text}' is not a domain name (letters, digits, '-', '_', '.') or a urn:ngsi-ld:Domain:<name> id.");
                    return host;
                }
                return host with { DomainId = prefix + name };
            }
            case "area":
                return ReadArea(value, path) is { } area ? host with { Area = area } : host;
            default:
                Error(keyNode, path, $"Unknown host property '{property}'; use {string.Join(", ", HostProperties)}.");
                return host;
        }
    }

    private double? SizeProperty(YamlNode value, string path)
    {
        var (op, operand, opNode) = Constraint(value, path, "greater_or_equal");
        return operand is not null && Operator(op, opNode!, path, "greater_or_equal", "greater_than") ? Size(operand, path) : null;
    }

    private IReadOnlyList<GeoPosition>? ReadArea(YamlNode node, string path)
    {
        YamlNode? coordinates = null;
        foreach (var (key, keyNode, value) in Entries(node, path))
        {
            switch (key)
            {
                case "coordinates":
                    coordinates = value;
                    break;
                case "type":
                    if (Text(value, path + ".type") is { } type && type != "Polygon")
                    {
                        Error(value, path + ".type", $"An area is a Polygon, not '{type}'.");
                    }
                    break;
                default:
                    Error(keyNode, path + "." + key, "Unknown key; an area holds coordinates (a list of [longitude, latitude]).");
                    break;
            }
        }
        if (coordinates is null)
        {
            if (node is YamlMappingNode)
            {
                Error(node, path, "The area has no coordinates.");
            }
            return null;
        }
        var coordinatesPath = path + ".coordinates";
        // GeoJSON nests the ring one level deeper ([[[lon, lat], ...]]); the aerOS dialect writes the ring itself.
        if (coordinates is YamlSequenceNode { Children.Count: 1 } outer && outer.Children[0] is YamlSequenceNode { Children.Count: > 0 } inner
            && inner.Children[0] is YamlSequenceNode)
        {
            coordinates = inner;
            coordinatesPath += "[0]";
        }
        if (coordinates is not YamlSequenceNode ring)
        {
            Error(coordinates, coordinatesPath, "The coordinates must be a list of [longitude, latitude] pairs.");
            return null;
        }
        var positions = new List<GeoPosition>();
        var valid = true;
        for (var i = 0; i < ring.Children.Count; i++)
        {
            var pointPath = $"{coordinatesPath}[{i}]";
            if (ring.Children[i] is not YamlSequenceNode { Children.Count: 2 } pair)
            {
                Error(ring.Children[i], pointPath, "Each point is a [longitude, latitude] pair.");
                valid = false;
                continue;
            }
            var longitude = Number(pair.Children[0], pointPath + "[0]");
            var latitude = Number(pair.Children[1], pointPath + "[1]");
            if (longitude is < -180 or > 180)
            {
                Error(pair.Children[0], pointPath + "[0]", "The longitude must be between -180 and 180.");
                valid = false;
            }
            if (latitude is < -90 or > 90)
            {
                Error(pair.Children[1], pointPath + "[1]", "The latitude must be between -90 and 90.");
                valid = false;
            }
            if (longitude is null || latitude is null)
            {
                valid = false;
                continue;
            }
            positions.Add(new GeoPosition(longitude.Value, latitude.Value));
        }
        if (!valid)
        {
            return null;
        }
        // A ring is closed (first point = last); an open list of points is closed here.
        if (positions.Count > 0 && positions[0] != positions[^1])
        {
            positions.Add(positions[0]);
        }
        if (positions.Count < 4)
        {
            Error(ring, coordinatesPath, "A polygon needs at least 3 points.");
            return null;
        }
        return positions;
    }

    private void ReadNetwork(YamlNode node, string path, ref bool exposePorts, List<(ComponentPort, YamlNode, string)> ports)
    {
        foreach (var (key, keyNode, value) in Entries(node, path))
        {
            var keyPath = path + "." + key;
            if (key != "properties")
            {
                Error(keyNode, keyPath, "Unknown key; a network requirement holds properties (ports, exposePorts).");
                continue;
            }
            foreach (var (property, propertyKeyNode, propertyValue) in Entries(value, keyPath))
            {
                var propertyPath = keyPath + "." + property;
                switch (property)
                {
                    case "ports":
                        foreach (var (portName, portKeyNode, portValue) in Entries(propertyValue, propertyPath))
                        {
                            if (ReadPort(portName, portKeyNode, portValue, propertyPath + "." + portName) is { } port)
                            {
                                ports.Add((port, portKeyNode, propertyPath + "." + portName));
                            }
                        }
                        break;
                    case "exposePorts":
                        exposePorts = Bool(propertyValue, propertyPath) ?? exposePorts;
                        break;
                    default:
                        Error(propertyKeyNode, propertyPath, "Unknown key; network properties are ports and exposePorts.");
                        break;
                }
            }
        }
    }

    private ComponentPort? ReadPort(string name, YamlNode keyNode, YamlNode node, string path)
    {
        var errorsBefore = _errors.Count;
        if (!BlueprintParser.IsIdName(name))
        {
            Error(keyNode, path, $"The port name '{name}' cannot be part of an aerOS id: use letters, digits, '-', '_' and '.', at most {BlueprintParser.MaxNameLength} characters.");
        }
        // aerOS writes the port's fields under 'properties'; one fixture writes them directly. Both are read.
        var fields = node is YamlMappingNode { Children.Count: 1 } wrapper && wrapper.Children.First().Key is YamlScalarNode { Value: "properties" }
            ? wrapper.Children.First().Value
            : node;
        var fieldsPath = ReferenceEquals(fields, node) ? path : path + ".properties";
        int? number = null;
        var protocol = PortProtocol.TCP;
        foreach (var (key, fieldKeyNode, value) in Entries(fields, fieldsPath))
        {
            var keyPath = fieldsPath + "." + key;
            switch (key)
            {
                case "source":
                    if (Number(value, keyPath) is { } n)
                    {
                        if (n != Math.Floor(n) || n < 1 || n > 65535)
                        {
                            Error(value, keyPath, $"Port {n.ToString(CultureInfo.InvariantCulture)} is out of range; a port is a whole number from 1 to 65535.");
                        }
                        else
                        {
                            number = (int)n;
                        }
                    }
                    break;
                case "protocol":
                    var protocolNode = value;
                    if (value is YamlSequenceNode list)
                    {
                        if (list.Children.Count != 1)
                        {
                            Error(value, keyPath, "Give one protocol per port (e.g. [tcp]); write a second port for another protocol.");
                            break;
                        }
                        protocolNode = list.Children[0];
                    }
                    var text = Text(protocolNode, keyPath);
                    if (text is null)
                    {
                        break;
                    }
                    if (!Enum.TryParse<PortProtocol>(text, ignoreCase: true, out protocol) || !Enum.IsDefined(protocol) || text.Any(char.IsDigit))
                    {
                        Error(protocolNode, keyPath, $"Unknown protocol '{text}'; use tcp, udp or sctp.");
                    }
                    break;
                default:
                    Error(fieldKeyNode, keyPath, "Unknown key; a port holds protocol and source (the port number).");
                    break;
            }
        }
        if (number is null && _errors.Count == errorsBefore)
        {
            Error(node, path, "The port has no number; write source: <port>.");
        }
        return _errors.Count == errorsBefore && number is not null ? new ComponentPort(name, number.Value, protocol) : null;
    }

    private ComponentLink? ReadDependency(YamlNode node, string path)
    {
        if (node is YamlScalarNode && !IsNull(node))
        {
            return Text(node, path) is { } target ? new ComponentLink(target, null, null) : null;
        }
        string? nodeName = null;
        double? latency = null;
        double? bandwidth = null;
        var errorsBefore = _errors.Count;
        foreach (var (key, keyNode, value) in Entries(node, path))
        {
            var keyPath = path + "." + key;
            switch (key)
            {
                case "node":
                    nodeName = Text(value, keyPath);
                    break;
                case "max_latency_ms":
                    latency = Positive(value, keyPath, "The latency limit");
                    break;
                case "min_bandwidth_mbps":
                    bandwidth = Positive(value, keyPath, "The bandwidth limit");
                    break;
                default:
                    Error(keyNode, keyPath, "Unknown key; a dependency holds node, max_latency_ms and min_bandwidth_mbps.");
                    break;
            }
        }
        if (nodeName is null && _errors.Count == errorsBefore)
        {
            Error(node, path, "The dependency names no component; write node: <component>.");
        }
        return _errors.Count == errorsBefore && nodeName is not null ? new ComponentLink(nodeName, latency, bandwidth) : null;
    }

    private void ReadArtifacts(YamlNode node, string path, Dictionary<string, ComponentArtifact> artifacts)
    {
        foreach (var (name, _, value) in Entries(node, path))
        {
            var artifactPath = path + "." + name;
            var errorsBefore = _errors.Count;
            string? type = null;
            string? file = null;
            string? repository = null;
            var isPrivate = false;
            string? username = null;
            string? password = null;
            List<string>? args = null;
            YamlNode? argsNode = null;
            foreach (var (key, keyNode, field) in Entries(value, artifactPath))
            {
                var keyPath = artifactPath + "." + key;
                switch (key)
                {
                    case "type":
                        type = Text(field, keyPath);
                        if (type is not null && type is not (BlueprintParser.ContainerImageArtifactType or BlueprintParser.ProcessArtifactType))
                        {
                            Error(field, keyPath, $"Unknown artifact type '{type}'; use {BlueprintParser.ContainerImageArtifactType} or {BlueprintParser.ProcessArtifactType}.");
                        }
                        break;
                    case "file":
                        file = Text(field, keyPath);
                        if (file is not null && file.Trim().Length == 0)
                        {
                            Error(field, keyPath, "The file is empty.");
                        }
                        break;
                    case "repository":
                        repository = IsNull(field) ? null : Text(field, keyPath);
                        break;
                    case "isPrivate":
                        isPrivate = Bool(field, keyPath) ?? false;
                        break;
                    case "username":
                        username = IsNull(field) ? null : Text(field, keyPath);
                        break;
                    case "password":
                        password = IsNull(field) ? null : Text(field, keyPath);
                        break;
                    case "args":
                        argsNode = field;
                        args = Strings(field, keyPath);
                        break;
                    case "description" or "deploy_path":
                        break;
                    default:
                        Error(keyNode, keyPath, "Unknown key; an artifact holds type, file, repository, isPrivate, username, password (images) or args (processes).");
                        break;
                }
            }
            if (type is null && value is YamlMappingNode)
            {
                Error(value, artifactPath, $"The artifact has no type; use {BlueprintParser.ContainerImageArtifactType} or {BlueprintParser.ProcessArtifactType}.");
            }
            if (file is null && value is YamlMappingNode)
            {
                Error(value, artifactPath, "The artifact has no file (the image, or the executable of a process).");
            }
            if (type == BlueprintParser.ContainerImageArtifactType && argsNode is not null)
            {
                Error(argsNode, artifactPath + ".args", "args belong to process artifacts; pass container arguments as cliArgs.");
            }
            if (type == BlueprintParser.ProcessArtifactType && (isPrivate || repository is { Length: > 0 }))
            {
                Error(value, artifactPath, "A process artifact has no repository or credentials.");
            }
            if (isPrivate && (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password)))
            {
                Error(value, artifactPath, "A private repository (isPrivate: true) needs username and password.");
            }
            if (_errors.Count > errorsBefore || type is null || file is null)
            {
                continue;
            }
            artifacts[name] = type == BlueprintParser.ProcessArtifactType
                ? new ProcessArtifact(name, file, args ?? [])
                : new ImageArtifact(name, file, string.IsNullOrWhiteSpace(repository) ? null : repository, isPrivate, username, password);
        }
    }

    private void ReadInterfaces(YamlNode node, string path, ref (string, YamlNode, string)? implementation,
        ref IReadOnlyList<KeyValueEntry> envVars, ref IReadOnlyList<KeyValueEntry> cliArgs)
    {
        foreach (var (name, nameNode, value) in Entries(node, path))
        {
            var interfacePath = path + "." + name;
            if (name != "Standard")
            {
                Error(nameNode, interfacePath, "Unknown interface; the only one is Standard.");
                continue;
            }
            foreach (var (operation, operationNode, operationValue) in Entries(value, interfacePath))
            {
                var operationPath = interfacePath + "." + operation;
                if (operation != "create")
                {
                    Error(operationNode, operationPath, "Unknown operation; the only one is create.");
                    continue;
                }
                if (operationValue is YamlScalarNode && !IsNull(operationValue))
                {
                    implementation = Text(operationValue, operationPath) is { } shortName ? (shortName, operationValue, operationPath) : null;
                    continue;
                }
                foreach (var (key, keyNode, field) in Entries(operationValue, operationPath))
                {
                    var keyPath = operationPath + "." + key;
                    switch (key)
                    {
                        case "implementation":
                            YamlNode? implementationNode = field;
                            var implementationPath = keyPath;
                            if (field is YamlMappingNode)
                            {
                                // TOSCA 1.3 long form: {primary: <artifact>}.
                                implementationNode = null;
                                foreach (var (implKey, implKeyNode, implValue) in Entries(field, keyPath))
                                {
                                    if (implKey == "primary")
                                    {
                                        implementationNode = implValue;
                                        implementationPath = keyPath + ".primary";
                                    }
                                    else
                                    {
                                        Error(implKeyNode, keyPath + "." + implKey, "Unknown key; an implementation holds primary (the artifact).");
                                    }
                                }
                                if (implementationNode is null)
                                {
                                    Error(field, keyPath, "The implementation names no artifact; write primary: <artifact>.");
                                    break;
                                }
                            }
                            implementation = Text(implementationNode, implementationPath) is { } artifactName ? (artifactName, implementationNode, implementationPath) : null;
                            break;
                        case "inputs":
                            foreach (var (input, inputNode, inputValue) in Entries(field, keyPath))
                            {
                                var inputPath = keyPath + "." + input;
                                switch (input)
                                {
                                    case "envVars":
                                        envVars = KeyValues(inputValue, inputPath, environment: true);
                                        break;
                                    case "cliArgs":
                                        cliArgs = KeyValues(inputValue, inputPath, environment: false);
                                        break;
                                    default:
                                        Error(inputNode, inputPath, "Unknown input; use envVars and cliArgs.");
                                        break;
                                }
                            }
                            break;
                        case "description":
                            break;
                        default:
                            Error(keyNode, keyPath, "Unknown key; create holds implementation and inputs.");
                            break;
                    }
                }
            }
        }
    }

    private List<KeyValueEntry> KeyValues(YamlNode node, string path, bool environment)
    {
        var entries = new List<KeyValueEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, keyNode, value, entryPath) in Pairs(node, path))
        {
            if (key.Length == 0)
            {
                Error(keyNode, entryPath, "The name is empty.");
                continue;
            }
            if (environment && !BlueprintParser.EnvNamePattern().IsMatch(key))
            {
                Error(keyNode, entryPath, $"'{key}' is not an environment variable name (letters, digits and '_', not starting with a digit).");
                continue;
            }
            if (environment && !seen.Add(key))
            {
                Error(keyNode, entryPath, $"The variable '{key}' is given more than once.");
                continue;
            }
            if (IsNull(value))
            {
                entries.Add(new KeyValueEntry(key, ""));
            }
            else if (Text(value, entryPath) is { } text)
            {
                entries.Add(new KeyValueEntry(key, text));
            }
        }
        return entries;
    }

    private List<string>? Strings(YamlNode node, string path)
    {
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, path, "args must be a list of strings.");
            return null;
        }
        var list = new List<string>();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (Text(sequence.Children[i], $"{path}[{i}]") is { } text)
            {
                list.Add(text);
            }
        }
        return list;
    }

    /// <summary>A constraint: a bare value (the property's usual operator) or <c>{operator: value}</c>.</summary>
    private (string Operator, YamlNode? Operand, YamlNode? OperatorNode) Constraint(YamlNode node, string path, string defaultOperator)
    {
        if (node is YamlScalarNode && !IsNull(node))
        {
            return (defaultOperator, node, node);
        }
        if (node is YamlMappingNode { Children.Count: 1 } mapping && mapping.Children.First() is var (keyNode, value) && keyNode is YamlScalarNode { Value: { } key })
        {
            return (key, value, keyNode);
        }
        Error(node, path, $"A constraint has one operator and a value, e.g. {{{defaultOperator}: ...}}.");
        return ("", null, null);
    }

    private bool Operator(string op, YamlNode node, string path, params string[] allowed)
    {
        if (allowed.Contains(op, StringComparer.Ordinal))
        {
            return true;
        }
        Error(node, path, $"Operator '{op}' cannot be used here; use {string.Join(" or ", allowed)}.");
        return false;
    }

    private double? Size(YamlNode node, string path)
    {
        var text = Text(node, path);
        if (text is null)
        {
            return null;
        }
        if (!BlueprintParser.TryParseSizeMb(text, out var mb))
        {
            Error(node, path, $"'{text}' is not a size; write a number and a unit: B, kB, KiB, MB, MiB, GB, GiB, TB or TiB (e.g. 4096 MB).");
            return null;
        }
        if (mb <= 0)
        {
            Error(node, path, "The size must be more than 0.");
            return null;
        }
        return mb;
    }

    private double? Ratio(YamlNode node, string path)
    {
        var number = Number(node, path);
        if (number is null)
        {
            return null;
        }
        if (number is <= 0 or > 1)
        {
            Error(node, path, "The ratio must be more than 0 and at most 1.");
            return null;
        }
        return number;
    }

    private double? Positive(YamlNode node, string path, string what)
    {
        var number = Number(node, path);
        if (number is <= 0)
        {
            Error(node, path, $"{what} must be more than 0.");
            return null;
        }
        return number;
    }

    private double? Number(YamlNode node, string path)
    {
        var text = Text(node, path);
        if (text is null)
        {
            return null;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            Error(node, path, $"'{text}' is not a number.");
            return null;
        }
        return value;
    }

    private bool? Bool(YamlNode node, string path)
    {
        var text = Text(node, path);
        if (text is null)
        {
            return null;
        }
        if (bool.TryParse(text, out var value))
        {
            return value;
        }
        Error(node, path, $"'{text}' is not true or false.");
        return null;
    }

    private string? Text(YamlNode node, string path)
    {
        if (node is YamlScalarNode scalar && !IsNull(node))
        {
            return scalar.Value ?? "";
        }
        Error(node, path, node is YamlScalarNode ? "A value is missing." : "Expected a single value, not a list or mapping.");
        return null;
    }

    /// <summary>The entries of a mapping (an error, and nothing, for any other node; nothing for null).</summary>
    private IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(YamlNode node, string path)
    {
        if (IsNull(node))
        {
            yield break;
        }
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, "Expected a mapping (key: value lines).");
            yield break;
        }
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is YamlScalarNode { Value: { } key })
            {
                yield return (key, keyNode, value);
            }
            else
            {
                Error(keyNode, path, "Keys must be plain names.");
            }
        }
    }

    /// <summary>
    /// Key/value pairs written either as a mapping or, as TOSCA lists properties and aerOS lists envVars, as a list
    /// of one-key mappings (order kept either way).
    /// </summary>
    private IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value, string Path)> Pairs(YamlNode node, string path)
    {
        if (node is YamlSequenceNode sequence)
        {
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                var item = sequence.Children[i];
                var itemPath = $"{path}[{i}]";
                if (item is YamlMappingNode { Children.Count: 1 } single && single.Children.First() is var (keyNode, value)
                    && keyNode is YamlScalarNode { Value: { } key })
                {
                    yield return (key, keyNode, value, itemPath + "." + key);
                }
                else
                {
                    Error(item, itemPath, "Each item must be one 'name: value' pair.");
                }
            }
            yield break;
        }
        foreach (var (key, keyNode, value) in Entries(node, path))
        {
            yield return (key, keyNode, value, path + "." + key);
        }
    }

    /// <summary>The data model's architecture for a TOSCA/OS name (x86_64 → AMD64, aarch64 → ARM64, armv7 → ARM32, ...).</summary>
    internal static CpuArchitecture? Architecture(string name) => name.Trim().ToLowerInvariant() switch
    {
        "x86_64" or "x86-64" or "amd64" or "x64" => CpuArchitecture.AMD64,
        "arm64" or "aarch64" or "armv8" => CpuArchitecture.ARM64,
        "arm32" or "arm" or "armv7" or "armv7l" or "armhf" => CpuArchitecture.ARM32,
        "mips64le" => CpuArchitecture.MIPS64LE,
        "ppc64le" => CpuArchitecture.PPC64LE,
        "riscv64" or "risc-v" or "riscv" => CpuArchitecture.RiscV,
        "s390x" => CpuArchitecture.S390X,
        _ => null,
    };

    private void Error(YamlNode node, string path, string message)
    {
        if (_errors.Count >= BlueprintParser.MaxErrors)
        {
            _omitted++;
            return;
        }
        _errors.Add(new BlueprintError(Math.Max(1, (int)node.Start.Line), Math.Max(1, (int)node.Start.Column), path, message));
    }
}
