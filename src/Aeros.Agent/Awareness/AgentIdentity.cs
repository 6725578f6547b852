using Microsoft.Extensions.Options;

namespace Aeros.Agent.Awareness;

/// <summary>Who this agent is in the continuum: its domain, its IE entity id and where it reports.</summary>
public sealed class AgentIdentity
{
    /// <summary>Resolves the identity from the options and the node (the MAC of the default route's interface).</summary>
    public AgentIdentity(IOptions<AgentOptions> options, TimeProvider time)
        : this(options, time, HostFiles.Real)
    {
    }

    internal AgentIdentity(IOptions<AgentOptions> options, TimeProvider time, HostFiles files)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var o = options.Value;
        Domain = o.Domain;
        Broker = o.Broker;
        var iface = files.ReadText("/proc/net/route") is { } route ? ProcParsers.ParseDefaultRouteInterface(route) : null;
        var mac = iface is null ? null : files.ReadText($"/sys/class/net/{iface}/address")?.Trim().ToLowerInvariant();
        Hostname = files.ReadText("/proc/sys/kernel/hostname")?.Trim() is { Length: > 0 } h ? h : Environment.MachineName;
        MacAddress = mac is { Length: > 0 } ? mac : null;
        NodeKey = DefaultNodeKey(mac, Hostname);
        IeId = o.IeId ?? DefaultIeId(o.Domain, NodeKey);
        StartedAt = time.GetUtcNow();
    }

    /// <summary>The domain the node belongs to.</summary>
    public string Domain { get; }

    /// <summary>The domain broker's root URL.</summary>
    public Uri? Broker { get; }

    /// <summary>The host name at start.</summary>
    public string Hostname { get; }

    /// <summary>The MAC of the default route's interface at start (lower case, with colons); null without a default route.</summary>
    public string? MacAddress { get; }

    /// <summary>The MAC of the default route's interface without colons; the host name when the node has no default route.</summary>
    public string NodeKey { get; }

    /// <summary>The IE entity id (<c>--ie-id</c>, else <see cref="DefaultIeId"/>).</summary>
    public string IeId { get; }

    /// <summary>When the agent started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The agent's version (the assembly's informational version).</summary>
    public static string Version { get; } = typeof(AgentIdentity).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary><c>urn:ngsi-ld:InfrastructureElement:&lt;domain&gt;:&lt;nodeKey&gt;</c>.</summary>
    public static string DefaultIeId(string domain, string nodeKey) => $"urn:ngsi-ld:InfrastructureElement:{domain}:{nodeKey}";

    /// <summary>The MAC without colons (lower case), or the host name when there is no usable MAC.</summary>
    public static string DefaultNodeKey(string? mac, string hostname) =>
        mac is { Length: > 0 } && mac != "00:00:00:00:00:00" ? mac.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant() : hostname;
}
