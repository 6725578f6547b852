using Aeros.Agent.Hosting;
using YamlDotNet.RepresentationModel;

namespace Aeros.Hosting;

/// <summary>A domain.yaml file was unreadable or invalid; the message names the file and the problem.</summary>
public sealed class DomainConfigException(string message, Exception? inner = null) : AerosException(message, inner);

/// <summary>
/// Reads a domain host's YAML configuration into configuration keys. The top-level keys <c>name</c>,
/// <c>publicUrl</c>, <c>peers</c>, <c>entrypoint</c> and <c>owner</c> (or <c>owners</c>) are the command-line
/// options of <c>aeros domain</c>; <c>urls</c> and <c>data</c> say where it listens and keeps its data; the sections
/// <c>federation</c>, <c>broker</c> and <c>jsonLd</c> set any option of those modules, e.g.
/// <code>
/// name: upv
/// urls: http://127.0.0.1:9091
/// peers: [http://127.0.0.1:9090]
/// owner: UPV
/// federation:
///   resyncInterval: 00:00:10
/// broker:
///   indexedAttributes: [hostname]
///   # store: postgres
///   # postgresConnectionString: Host=127.0.0.1;Port=5432;Username=aeros;Database=aeros
/// security:                  # optional: the gateway on urls, the APIs behind it (docs/security.md)
///   enabled: true
///   issuer: http://127.0.0.1:9090/iam/
///   client: { tokenUrl: http://127.0.0.1:9090/iam/connect/token, clientId: upv-host, clientSecret: ... }
/// </code>
/// The sections <c>security</c>, <c>iam</c> and <c>gateway</c> set <see cref="DomainSecurityOptions"/>, the embedded
/// IAM's and the gateway's options.
/// </summary>
public static class DomainConfigFile
{
    /// <summary>What a domain.yaml says: where to listen, where the data goes, and every other setting as configuration keys.</summary>
    public sealed record Contents(string? Urls, string? DataDirectory, IReadOnlyDictionary<string, string?> Settings);

    private static readonly Dictionary<string, string> TopLevel = new(StringComparer.OrdinalIgnoreCase)
    {
        ["name"] = DomainHost.FederationSection + ":DomainName",
        ["publicUrl"] = DomainHost.FederationSection + ":PublicUrl",
        ["peers"] = DomainHost.FederationSection + ":Peers",
        ["entrypoint"] = DomainHost.FederationSection + ":IsEntrypoint",
        ["owner"] = DomainHost.FederationSection + ":Owners",
        ["owners"] = DomainHost.FederationSection + ":Owners",
    };

    private static readonly Dictionary<string, string> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["federation"] = DomainHost.FederationSection,
        ["broker"] = BrokerHost.BrokerSection,
        ["jsonLd"] = BrokerHost.JsonLdSection,
        ["security"] = DomainHost.SecuritySection,
        ["iam"] = IamHost.IamSection,
        ["gateway"] = GatewayHost.GatewaySection,
    };

    private static readonly Func<string, Exception?, Exception> Error = static (message, inner) => new DomainConfigException(message, inner);

    /// <summary>Reads <paramref name="path"/>; throws <see cref="DomainConfigException"/> naming what is wrong.</summary>
    public static Contents Load(string path) => Parse(YamlSettings.ReadText(path, Error), path);

    /// <summary>Parses YAML text; <paramref name="source"/> names it in error messages.</summary>
    public static Contents Parse(string text, string source)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        string? urls = null;
        string? data = null;
        if (YamlSettings.ParseRoot(text, source, Error) is not { } root)
        {
            return new Contents(null, null, settings);
        }
        foreach (var (keyNode, value) in root.Children)
        {
            var key = YamlSettings.Key(keyNode, source, Error);
            if (key.Equals("urls", StringComparison.OrdinalIgnoreCase))
            {
                urls = YamlSettings.Scalar(value, source, key, Error);
            }
            else if (key.Equals("data", StringComparison.OrdinalIgnoreCase))
            {
                data = YamlSettings.Scalar(value, source, key, Error);
            }
            else if (TopLevel.TryGetValue(key, out var target))
            {
                YamlSettings.Flatten(value, target, settings, source, Error,
                    listExpected: target.EndsWith("Peers", StringComparison.Ordinal) || target.EndsWith("Owners", StringComparison.Ordinal));
            }
            else if (Sections.TryGetValue(key, out var section))
            {
                if (value is not YamlMappingNode)
                {
                    throw new DomainConfigException($"{source}: '{key}' must be a mapping of settings.");
                }
                YamlSettings.Flatten(value, section, settings, source, Error);
            }
            else
            {
                throw new DomainConfigException($"{source}: unknown key '{key}' (known: urls, data, name, publicUrl, peers, entrypoint, owner, federation, broker, jsonLd, security, iam, gateway).");
            }
        }
        return new Contents(urls, data, settings);
    }
}
