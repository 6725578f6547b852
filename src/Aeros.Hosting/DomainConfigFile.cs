using System.Globalization;
using YamlDotNet.Core;
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
/// </code>
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
    };

    /// <summary>Reads <paramref name="path"/>; throws <see cref="DomainConfigException"/> naming what is wrong.</summary>
    public static Contents Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DomainConfigException($"cannot read {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses YAML text; <paramref name="source"/> names it in error messages.</summary>
    public static Contents Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new DomainConfigException($"{source} is not valid YAML: {e.Message}", e);
        }
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        string? urls = null;
        string? data = null;
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return new Contents(null, null, settings);
        }
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new DomainConfigException($"{source} must be a YAML mapping (key: value lines).");
        }
        foreach (var (keyNode, value) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? throw new DomainConfigException($"{source}: keys must be plain words.");
            if (key.Equals("urls", StringComparison.OrdinalIgnoreCase))
            {
                urls = Scalar(value, source, key);
            }
            else if (key.Equals("data", StringComparison.OrdinalIgnoreCase))
            {
                data = Scalar(value, source, key);
            }
            else if (TopLevel.TryGetValue(key, out var target))
            {
                Flatten(value, target, settings, source, listExpected: target.EndsWith("Peers", StringComparison.Ordinal) || target.EndsWith("Owners", StringComparison.Ordinal));
            }
            else if (Sections.TryGetValue(key, out var section))
            {
                if (value is not YamlMappingNode)
                {
                    throw new DomainConfigException($"{source}: '{key}' must be a mapping of settings.");
                }
                Flatten(value, section, settings, source, listExpected: false);
            }
            else
            {
                throw new DomainConfigException($"{source}: unknown key '{key}' (known: urls, data, name, publicUrl, peers, entrypoint, owner, federation, broker, jsonLd).");
            }
        }
        return new Contents(urls, data, settings);
    }

    private static string Scalar(YamlNode node, string source, string key) =>
        node is YamlScalarNode { Value: { } value } ? value : throw new DomainConfigException($"{source}: '{key}' must be a single value.");

    private static void Flatten(YamlNode node, string prefix, Dictionary<string, string?> settings, string source, bool listExpected)
    {
        switch (node)
        {
            case YamlScalarNode scalar when listExpected:
                settings[prefix + ":0"] = scalar.Value;
                break;
            case YamlScalarNode scalar:
                settings[prefix] = scalar.Value;
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    Flatten(sequence.Children[i], prefix + ":" + i.ToString(CultureInfo.InvariantCulture), settings, source, listExpected: false);
                }
                break;
            case YamlMappingNode mapping:
                foreach (var (keyNode, value) in mapping.Children)
                {
                    var key = (keyNode as YamlScalarNode)?.Value ?? throw new DomainConfigException($"{source}: keys must be plain words.");
                    Flatten(value, prefix + ":" + key, settings, source, listExpected: false);
                }
                break;
            default:
                throw new DomainConfigException($"{source}: unsupported YAML at '{prefix}'.");
        }
    }
}
