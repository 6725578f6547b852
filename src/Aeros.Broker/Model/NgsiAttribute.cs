using System.Text.Json.Nodes;

namespace Aeros.Broker.Model;

/// <summary>The NGSI-LD attribute types (ETSI GS CIM 009 §4.5).</summary>
internal enum AttributeKind
{
    Property,
    Relationship,
    GeoProperty,
    LanguageProperty,
    JsonProperty,
    VocabProperty,
    ListProperty,
    ListRelationship,
}

/// <summary>
/// One instance of an attribute (the default instance or one datasetId). <see cref="Value"/> holds the
/// member that carries the value for the kind: <c>value</c>, <c>object</c>, <c>languageMap</c>, <c>vocab</c>
/// (expanded), <c>json</c>, <c>valueList</c> or <c>objectList</c> (as an array of URIs).
/// </summary>
internal sealed class NgsiAttribute
{
    public required AttributeKind Kind { get; set; }

    public JsonNode? Value { get; set; }

    public string? DatasetId { get; set; }

    /// <summary>observedAt as written (ISO 8601 UTC).</summary>
    public string? ObservedAt { get; set; }

    public string? UnitCode { get; set; }

    /// <summary>Relationship/ListRelationship objectType, expanded; a string or array kept as a node.</summary>
    public JsonNode? ObjectType { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }

    /// <summary>Nested Properties/Relationships (expanded names), or null when there are none.</summary>
    public AttributeMap? SubAttributes { get; set; }

    public NgsiAttribute Clone() => new()
    {
        Kind = Kind,
        Value = Value?.DeepClone(),
        DatasetId = DatasetId,
        ObservedAt = ObservedAt,
        UnitCode = UnitCode,
        ObjectType = ObjectType?.DeepClone(),
        CreatedAt = CreatedAt,
        ModifiedAt = ModifiedAt,
        SubAttributes = SubAttributes?.Clone(),
    };
}

/// <summary>Facts about the attribute kinds: their type names and value members.</summary>
internal static class AttributeKinds
{
    public static string TypeName(AttributeKind kind) => kind switch
    {
        AttributeKind.Property => "Property",
        AttributeKind.Relationship => "Relationship",
        AttributeKind.GeoProperty => "GeoProperty",
        AttributeKind.LanguageProperty => "LanguageProperty",
        AttributeKind.JsonProperty => "JsonProperty",
        AttributeKind.VocabProperty => "VocabProperty",
        AttributeKind.ListProperty => "ListProperty",
        AttributeKind.ListRelationship => "ListRelationship",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string? typeName, out AttributeKind kind)
    {
        switch (typeName)
        {
            case "Property" or "https://uri.etsi.org/ngsi-ld/Property": kind = AttributeKind.Property; return true;
            case "Relationship" or "https://uri.etsi.org/ngsi-ld/Relationship": kind = AttributeKind.Relationship; return true;
            case "GeoProperty" or "https://uri.etsi.org/ngsi-ld/GeoProperty": kind = AttributeKind.GeoProperty; return true;
            case "LanguageProperty" or "https://uri.etsi.org/ngsi-ld/LanguageProperty": kind = AttributeKind.LanguageProperty; return true;
            case "JsonProperty" or "https://uri.etsi.org/ngsi-ld/JsonProperty": kind = AttributeKind.JsonProperty; return true;
            case "VocabProperty" or "https://uri.etsi.org/ngsi-ld/VocabProperty": kind = AttributeKind.VocabProperty; return true;
            case "ListProperty" or "https://uri.etsi.org/ngsi-ld/ListProperty": kind = AttributeKind.ListProperty; return true;
            case "ListRelationship" or "https://uri.etsi.org/ngsi-ld/ListRelationship": kind = AttributeKind.ListRelationship; return true;
            default: kind = default; return false;
        }
    }

    /// <summary>The member that carries the value in the normalized form.</summary>
    public static string ValueMember(AttributeKind kind) => kind switch
    {
        AttributeKind.Property or AttributeKind.GeoProperty => "value",
        AttributeKind.Relationship => "object",
        AttributeKind.LanguageProperty => "languageMap",
        AttributeKind.JsonProperty => "json",
        AttributeKind.VocabProperty => "vocab",
        AttributeKind.ListProperty => "valueList",
        AttributeKind.ListRelationship => "objectList",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The member a notification with showChanges uses for the previous value.</summary>
    public static string PreviousMember(AttributeKind kind) => kind switch
    {
        AttributeKind.Property or AttributeKind.GeoProperty => "previousValue",
        AttributeKind.Relationship => "previousObject",
        AttributeKind.LanguageProperty => "previousLanguageMap",
        AttributeKind.JsonProperty => "previousJson",
        AttributeKind.VocabProperty => "previousVocab",
        AttributeKind.ListProperty => "previousValueList",
        AttributeKind.ListRelationship => "previousObjectList",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Every member name that carries a value for some kind.</summary>
    public static readonly string[] ValueMembers = ["value", "object", "languageMap", "json", "vocab", "valueList", "objectList"];

    public static bool IsRelationship(AttributeKind kind) =>
        kind is AttributeKind.Relationship or AttributeKind.ListRelationship;
}
