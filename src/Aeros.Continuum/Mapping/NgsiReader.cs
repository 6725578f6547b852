using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;

namespace Aeros.Continuum;

/// <summary>
/// Reads attributes of one NGSI-LD entity tolerantly: normalized or concise (bare values), an enumeration as a URN
/// Relationship or as a plain Property string, a Relationship's target in <c>object</c> or (wrongly) <c>value</c>,
/// the default instance of a multi-attribute, numbers written as strings. Anything unreadable is null.
/// </summary>
internal sealed class NgsiReader(JsonObject entity)
{
    public string Id => entity["id"] is JsonValue v && v.TryGetValue<string>(out var id) ? id
        : throw new ContinuumMappingException("The entity has no string 'id'.");

    public T Common<T>(T record) where T : ContinuumEntity => record with
    {
        Name = String("name"),
        Description = String("description"),
        Owner = Targets("owner"),
        Location = Geo("location"),
    };

    public string? String(string name) => Value(name) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public bool? Bool(string name) => Value(name) switch
    {
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) && bool.TryParse(s, out var b) => b,
        _ => null,
    };

    public double? Double(string name) => Value(name) switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => Number(v),
        JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    public long? Long(string name) => Double(name) is { } d && d >= long.MinValue && d <= long.MaxValue ? (long)Math.Round(d) : null;

    public int? Int(string name) => Double(name) is { } d && d >= int.MinValue && d <= int.MaxValue ? (int)Math.Round(d) : null;

    public TEnum? Enum<TEnum>(string name) where TEnum : struct, Enum
    {
        var text = Attribute(name) is JsonObject a && a["object"] is JsonValue o && o.TryGetValue<string>(out var urn) ? urn : String(name);
        return ContinuumEnumNames.TryParse<TEnum>(text, out var value) ? value : null;
    }

    public string? Target(string name) => Targets(name) is [var first, ..] ? first : null;

    public IReadOnlyList<string>? Targets(string name)
    {
        var attribute = Attribute(name);
        var target = attribute is JsonObject a ? a["object"] ?? a["value"] : attribute;
        return target switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => [s],
            JsonArray array => array.Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList(),
            _ => null,
        };
    }

    public DateTimeOffset? DateTime(string name)
    {
        var value = Value(name);
        var text = value is JsonObject o ? o["@value"] : value;
        return text is JsonValue v && v.TryGetValue<string>(out var s)
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
    }

    public IReadOnlyDictionary<string, double>? Numbers(string name)
    {
        if (Value(name) is not JsonObject o)
        {
            return null;
        }
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, node) in o)
        {
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
            {
                result[key] = Number(v);
            }
        }
        return result;
    }

    public ComponentPlacementDecision? Decision(string name)
    {
        if (Value(name) is not JsonObject o || Text(o["solver"]) is not { } solver)
        {
            return null;
        }
        var objective = o["objective"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? Number(v) : (double?)null;
        var decidedAt = Text(o["decidedAt"]) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t : DateTimeOffset.MinValue;
        return new ComponentPlacementDecision(solver, objective, Text(o["reason"]) ?? "", decidedAt);
    }

    public IReadOnlyList<KeyValueEntry>? KeyValues(string name) => Value(name) is JsonArray array
        ? array.OfType<JsonObject>()
            .Where(o => o["key"] is JsonValue)
            .Select(o => new KeyValueEntry(Text(o["key"]) ?? "", Text(o["value"]) ?? ""))
            .ToList()
        : null;

    /// <summary>An array of strings; a single string is a one-element list (compaction turns one-element arrays into scalars).</summary>
    public IReadOnlyList<string>? Strings(string name) => Value(name) switch
    {
        JsonArray array => array.Select(Text).OfType<string>().ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => null,
    };

    public IReadOnlyList<ContactPoint>? Contacts(string name) => Value(name) switch
    {
        JsonArray array => array.OfType<JsonObject>().Select(ToContact).ToList(),
        JsonObject o => [ToContact(o)],
        _ => null,
    };

    public GeoGeometry? Geo(string name)
    {
        if (Value(name) is JsonObject g && g["type"] is JsonValue t && t.TryGetValue<string>(out var type) && g["coordinates"] is JsonArray coordinates)
        {
            return new GeoGeometry(type, ParseElement(coordinates.ToJsonString()));
        }
        return null;
    }

    // In-memory nodes hold the CLR type they were created from (int, long, double); the JSON text is the common form.
    private static double Number(JsonValue v) => double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static JsonElement ParseElement(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static ContactPoint ToContact(JsonObject o) => new(Text(o["email"]), Text(o["telephone"]), Text(o["name"]));

    private static string? Text(JsonNode? node) => node is JsonValue v
        ? v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()
        : null;

    private JsonNode? Attribute(string name) => entity[name] switch
    {
        // A multi-attribute: the default instance (no datasetId), else the first.
        JsonArray instances => instances.OfType<JsonObject>().FirstOrDefault(i => i["datasetId"] is null) ?? instances.FirstOrDefault(),
        var single => single,
    };

    private JsonNode? Value(string name) => Attribute(name) switch
    {
        JsonObject a when a["type"] is JsonValue t && t.TryGetValue<string>(out var kind) && IsAttributeType(kind) => a["value"] ?? a["object"],
        var concise => concise,
    };

    private static bool IsAttributeType(string kind) =>
        kind is "Property" or "Relationship" or "GeoProperty" or "LanguageProperty" or "VocabProperty" or "JsonProperty" or "ListProperty"
        || kind.Equals("GeoProperty", StringComparison.OrdinalIgnoreCase);
}

/// <summary>An entity could not be read as a continuum record.</summary>
public sealed class ContinuumMappingException(string message) : AerosException(message);
