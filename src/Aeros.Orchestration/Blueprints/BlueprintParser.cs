using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Aeros.Orchestration.Blueprints;

/// <summary>
/// Parses intention blueprints: TOSCA <c>tosca_simple_yaml_1_3</c> in the aerOS dialect plus the Aeros extensions,
/// written as YAML or JSON (see docs/blueprints.md). Never throws for bad input: every problem is an error with its
/// line and column.
/// </summary>
public static partial class BlueprintParser
{
    /// <summary>The only <c>tosca_definitions_version</c> accepted.</summary>
    public const string ToscaVersion = "tosca_simple_yaml_1_3";

    /// <summary>The only node type accepted.</summary>
    public const string ContainerApplicationType = "tosca.nodes.Container.Application";

    /// <summary>The artifact type of a container image.</summary>
    public const string ContainerImageArtifactType = "tosca.artifacts.Deployment.Image.Container.Docker";

    /// <summary>Aeros extension: the artifact type of a host process.</summary>
    public const string ProcessArtifactType = "aeros.artifacts.Deployment.Process";

    /// <summary>The longest blueprint text accepted, characters (1 MiB).</summary>
    public const int MaxTextLength = 1024 * 1024;

    /// <summary>The most replicas a component may ask for.</summary>
    public const int MaxReplicas = 100;

    /// <summary>The most errors listed; further ones are summed up in one last error.</summary>
    public const int MaxErrors = 1000;

    /// <summary>The deepest nesting of collections accepted (TOSCA blueprints need about 12).</summary>
    public const int MaxDepth = 64;

    /// <summary>The most nodes a blueprint may have once anchors and aliases are expanded.</summary>
    public const int MaxExpandedNodes = 100_000;

    /// <summary>The longest name of a component or port (it becomes part of an entity id).</summary>
    public const int MaxNameLength = 63;

    /// <summary>Parses <paramref name="text"/>; the blueprint is null when any error was found.</summary>
    public static BlueprintParseResult Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Failed(new BlueprintError(1, 1, "", "The blueprint is empty."));
        }
        if (text.Length > MaxTextLength)
        {
            return Failed(new BlueprintError(1, 1, "", $"The blueprint is {text.Length} characters long; at most {MaxTextLength} are accepted."));
        }
        if (CheckStructure(text) is { } structureError)
        {
            return Failed(structureError);
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (Exception e) when (e is not YamlException and (InvalidOperationException or ArgumentException or FormatException or OverflowException))
        {
            return Failed(new BlueprintError(1, 1, "", "Not valid YAML/JSON: " + e.Message));
        }
        catch (YamlException e)
        {
            // Duplicate keys are found here (the event pass does not build mappings).
            return Failed(new BlueprintError(Math.Max(1, (int)e.Start.Line), Math.Max(1, (int)e.Start.Column), "", "Not valid YAML/JSON: " + Reason(e)));
        }
        if (stream.Documents.Count == 0 || BlueprintReader.IsNull(stream.Documents[0].RootNode))
        {
            return Failed(new BlueprintError(1, 1, "", "The blueprint is empty."));
        }
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            return Failed(new BlueprintError((int)second.Start.Line, (int)second.Start.Column, "", "A blueprint is one YAML document; remove the second one (after '---')."));
        }
        var root = stream.Documents[0].RootNode;
        if (ExpandedSize(root, new Dictionary<YamlNode, int>(ReferenceEqualityComparer.Instance)) > MaxExpandedNodes)
        {
            return Failed(new BlueprintError((int)root.Start.Line, (int)root.Start.Column, "",
                $"The blueprint has more than {MaxExpandedNodes} values once its aliases are expanded."));
        }
        var reader = new BlueprintReader();
        var blueprint = reader.Read(root);
        var errors = reader.Errors;
        return errors.Count == 0 && blueprint is not null
            ? new BlueprintParseResult { Blueprint = blueprint }
            : new BlueprintParseResult { Errors = errors };
    }

    private static BlueprintParseResult Failed(BlueprintError error) => new() { Errors = [error] };

    /// <summary>
    /// Reads the YAML event stream (a non-recursive parser) to report syntax errors and refuse nesting deep enough
    /// to exhaust the stack of the recursive representation model.
    /// </summary>
    private static BlueprintError? CheckStructure(string text)
    {
        var last = Mark.Empty;
        try
        {
            var parser = new Parser(new StringReader(text));
            var depth = 0;
            while (parser.MoveNext())
            {
                last = parser.Current!.End;
                switch (parser.Current)
                {
                    case MappingStart or SequenceStart:
                        if (++depth > MaxDepth)
                        {
                            var mark = parser.Current.Start;
                            return new BlueprintError((int)mark.Line, (int)mark.Column, "", $"The blueprint nests deeper than {MaxDepth} levels.");
                        }
                        break;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                }
            }
            return null;
        }
        catch (YamlException e)
        {
            return new BlueprintError(Math.Max(1, (int)e.Start.Line), Math.Max(1, (int)e.Start.Column), "", "Not valid YAML/JSON: " + Reason(e));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws these (without a mark) for some malformed input: point after the last good part.
            return new BlueprintError(Math.Max(1, (int)last.Line), Math.Max(1, (int)last.Column), "", "Not valid YAML/JSON: the text after this point cannot be read (an unclosed '[', '{' or quote?).");
        }
    }

    private static string Reason(YamlException e)
    {
        // YamlDotNet prefixes its messages with the mark ("(Line: 3, Col: 5, Idx: ...) - (...): "); the error carries it already.
        var cut = e.Message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? e.Message[(cut + 3)..] : e.Message;
    }

    private static int ExpandedSize(YamlNode node, Dictionary<YamlNode, int> seen)
    {
        if (seen.TryGetValue(node, out var known))
        {
            return known;
        }
        var size = 1;
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    size = SaturatingAdd(size, ExpandedSize(key, seen));
                    size = SaturatingAdd(size, ExpandedSize(value, seen));
                }
                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    size = SaturatingAdd(size, ExpandedSize(item, seen));
                }
                break;
        }
        seen[node] = size;
        return size;
    }

    private static int SaturatingAdd(int a, int b) => a > int.MaxValue - b ? int.MaxValue : a + b;

    /// <summary>Names that can be the last part of an entity id (component, replica and port names).</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    internal static partial Regex IdNamePattern();

    /// <summary>Environment variable names.</summary>
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    internal static partial Regex EnvNamePattern();

    /// <summary>A TOSCA scalar-unit: a number and an optional unit.</summary>
    [GeneratedRegex(@"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$", RegexOptions.CultureInvariant)]
    internal static partial Regex ScalarUnitPattern();

    /// <summary>Whether <paramref name="name"/> can be the last part of an entity id.</summary>
    internal static bool IsIdName(string name) => name.Length <= MaxNameLength && IdNamePattern().IsMatch(name);

    /// <summary>A TOSCA scalar-unit.size in MB (10⁶ bytes); a bare number is MB.</summary>
    internal static bool TryParseSizeMb(string text, out double megabytes)
    {
        megabytes = 0;
        var match = ScalarUnitPattern().Match(text);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }
        // TOSCA units are case-insensitive; decimal units are powers of 1000, binary ones of 1024.
        double? bytes = match.Groups[2].Value.ToUpperInvariant() switch
        {
            "" or "MB" => 1e6,
            "B" => 1,
            "KB" => 1e3,
            "KIB" => 1024,
            "MIB" => 1024d * 1024,
            "GB" => 1e9,
            "GIB" => 1024d * 1024 * 1024,
            "TB" => 1e12,
            "TIB" => 1024d * 1024 * 1024 * 1024,
            _ => null,
        };
        if (bytes is null)
        {
            return false;
        }
        megabytes = value * bytes.Value / 1e6;
        return true;
    }
}
