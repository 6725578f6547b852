using Aeros.Broker.Errors;

namespace Aeros.Broker.Entities;

/// <summary>The <c>options</c> and <c>format</c> URL parameters (§6.3.7), validated.</summary>
internal sealed class RepresentationOptions
{
    public EntityFormat Format { get; private init; } = EntityFormat.Normalized;

    public bool SysAttrs { get; private init; }

    /// <summary>Operation-specific flags such as noOverwrite, update, replace.</summary>
    public IReadOnlySet<string> Flags { get; private init; } = new HashSet<string>();

    /// <summary>
    /// Parses options/format; <paramref name="allowedFlags"/> are the operation's own flags. Unknown values are
    /// InvalidRequest (§4.10); <c>format</c> wins over a representation in <c>options</c>.
    /// </summary>
    public static RepresentationOptions Parse(string? options, string? format, params string[] allowedFlags)
    {
        EntityFormat? fromOptions = null;
        var sysAttrs = false;
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var option in (options ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            switch (option)
            {
                case "sysAttrs":
                    sysAttrs = true;
                    break;
                case "normalized" or "concise" or "keyValues" or "simplified":
                    fromOptions = ParseFormat(option);
                    break;
                default:
                    if (!allowedFlags.Contains(option))
                    {
                        throw NgsiLdException.InvalidRequest($"'{option}' is not a valid value of options here.");
                    }
                    flags.Add(option);
                    break;
            }
        }
        var chosen = format is null ? fromOptions ?? EntityFormat.Normalized : ParseFormat(format);
        return new RepresentationOptions { Format = chosen, SysAttrs = sysAttrs, Flags = flags };
    }

    private static EntityFormat ParseFormat(string value) => value switch
    {
        "normalized" => EntityFormat.Normalized,
        "concise" => EntityFormat.Concise,
        "keyValues" or "simplified" => EntityFormat.KeyValues,
        _ => throw NgsiLdException.InvalidRequest($"'{value}' is not a valid format; use normalized, concise, simplified or keyValues."),
    };
}
