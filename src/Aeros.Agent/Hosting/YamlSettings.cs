using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Aeros.Agent.Hosting;

/// <summary>
/// What the YAML configuration files (domain.yaml, agent.yaml) share: reading the file, parsing the top-level
/// mapping, and flattening values into configuration keys (<c>a:b:0</c>). Errors are made by the caller's
/// <c>error</c> function so each file reports its own exception type.
/// </summary>
public static class YamlSettings
{
    /// <summary>The text of <paramref name="path"/>.</summary>
    public static string ReadText(string path, Func<string, Exception?, Exception> error)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw error($"cannot read {path}: {e.Message}", e);
        }
    }

    /// <summary>The top-level mapping of the YAML text, or null for an empty document.</summary>
    public static YamlMappingNode? ParseRoot(string text, string source, Func<string, Exception?, Exception> error)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw error($"{source} is not valid YAML: {e.Message}", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return null;
        }
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw error($"{source} must be a YAML mapping (key: value lines).", null);
    }

    /// <summary>The text of a mapping key.</summary>
    public static string Key(YamlNode keyNode, string source, Func<string, Exception?, Exception> error) =>
        (keyNode as YamlScalarNode)?.Value ?? throw error($"{source}: keys must be plain words.", null);

    /// <summary>A value that must be one scalar.</summary>
    public static string Scalar(YamlNode node, string source, string key, Func<string, Exception?, Exception> error) =>
        node is YamlScalarNode { Value: { } value } ? value : throw error($"{source}: '{key}' must be a single value.", null);

    /// <summary>
    /// Writes <paramref name="node"/> under <paramref name="prefix"/> as configuration keys; with
    /// <paramref name="listExpected"/> a single scalar becomes the first element of a list.
    /// </summary>
    public static void Flatten(YamlNode node, string prefix, Dictionary<string, string?> settings, string source,
        Func<string, Exception?, Exception> error, bool listExpected = false)
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
                    Flatten(sequence.Children[i], prefix + ":" + i.ToString(CultureInfo.InvariantCulture), settings, source, error);
                }
                break;
            case YamlMappingNode mapping:
                foreach (var (keyNode, value) in mapping.Children)
                {
                    Flatten(value, prefix + ":" + Key(keyNode, source, error), settings, source, error);
                }
                break;
            default:
                throw error($"{source}: unsupported YAML at '{prefix}'.", null);
        }
    }
}
