using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Model;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>Kinds of indexed values (the <c>kind</c> column of <c>attribute_values</c>).</summary>
internal enum IndexedKind : byte
{
    String = 0,
    Number = 1,
    Boolean = 2,
}

/// <summary>One row of <c>attribute_values</c> for an entity: attribute name and one scalar it holds.</summary>
/// <remarks>For <see cref="IndexedKind.Boolean"/>, <see cref="Number"/> is 1 or 0.</remarks>
internal readonly record struct IndexEntry(string Name, IndexedKind Kind, string? Text, double Number);

/// <summary>
/// What the value index (<c>attribute_values</c>) holds for an entity: for every instance (default and each
/// datasetId) of every top-level attribute, each scalar a <c>q</c> term without a path can compare. It must
/// over-approximate the evaluator (<see cref="Query.QTerm"/>): a pushed-down term selects candidates through
/// it, so a scalar the evaluator can match but the index lacks would lose a result. Extra scalars only cost
/// candidates that the in-process evaluation then rejects.
/// </summary>
/// <remarks>
/// Indexed: the value of Property/GeoProperty/JsonProperty/VocabProperty, the object of a Relationship, the
/// elements of ListProperty/ListRelationship, each string of a LanguageProperty's map; arrays (at any depth)
/// contribute each element and <c>{"@value": x}</c> contributes x. Strings longer than
/// <see cref="MaxStringLength"/> are not indexed, so equality on a longer literal is never pushed down.
/// Not indexed: objects (geometries, JSON objects), sub-attributes and metadata (paths are not pushed down).
/// </remarks>
internal static class AttributeValueIndex
{
    /// <summary>The longest string value that is indexed (in UTF-16 code units).</summary>
    public const int MaxStringLength = 256;

    /// <summary>Array nesting followed when collecting scalars (deeper elements are left out: no term reaches them).</summary>
    private const int MaxDepth = 64;

    /// <summary>
    /// The index entries of an entity, without duplicates. With <paramref name="longStrings"/>, the names of the
    /// attributes holding a string too long to be indexed are added to it (a store can then keep such attributes
    /// candidates for string terms).
    /// </summary>
    public static HashSet<IndexEntry> Entries(Entity entity, AttributeIndexPolicy policy, ISet<string>? longStrings = null)
    {
        var entries = new HashSet<IndexEntry>();
        if (policy.IsEmpty)
        {
            return entries;
        }
        foreach (var (name, instances) in entity.Attributes)
        {
            if (!policy.Indexes(name))
            {
                continue;
            }
            foreach (var instance in instances)
            {
                if (instance.Value is not { } value)
                {
                    continue;
                }
                if (instance.Kind == AttributeKind.LanguageProperty)
                {
                    if (value is JsonObject languageMap)
                    {
                        foreach (var (_, text) in languageMap)
                        {
                            Collect(entries, name, text, 0, longStrings);
                        }
                    }
                    continue;
                }
                Collect(entries, name, value, 0, longStrings);
            }
        }
        return entries;
    }

    private static void Collect(HashSet<IndexEntry> entries, string name, JsonNode? node, int depth, ISet<string>? longStrings)
    {
        switch (node)
        {
            case null:
                return;
            case JsonArray array:
                if (depth < MaxDepth)
                {
                    foreach (var item in array)
                    {
                        Collect(entries, name, item, depth + 1, longStrings);
                    }
                }
                return;
            case JsonObject obj:
                // A typed value {"@value": x, "@type": ..} compares as x.
                if (obj.TryGetPropertyValue("@value", out var typed) && typed is JsonValue)
                {
                    Collect(entries, name, typed, depth + 1, longStrings);
                }
                return;
            case JsonValue value:
                // Queries evaluate stored (decoded) entities, whose values are JSON elements; a value built in
                // memory (a C# float, decimal, Guid…) is read the way it will read back from storage.
                if (!value.TryGetValue(out JsonElement element))
                {
                    // Common C# primitives read back exactly as they are (an integer or a double round-trips).
                    if (value.TryGetValue(out string? s))
                    {
                        AddString(entries, name, s, longStrings);
                        return;
                    }
                    if (value.TryGetValue(out double d))
                    {
                        AddNumber(entries, name, d);
                        return;
                    }
                    if (value.TryGetValue(out int i))
                    {
                        AddNumber(entries, name, i);
                        return;
                    }
                    if (value.TryGetValue(out long l))
                    {
                        AddNumber(entries, name, l);
                        return;
                    }
                    if (value.TryGetValue(out bool b))
                    {
                        entries.Add(new IndexEntry(name, IndexedKind.Boolean, null, b ? 1 : 0));
                        return;
                    }
                    element = AsStored(value);
                }
                switch (element.ValueKind)
                {
                    case JsonValueKind.String:
                        AddString(entries, name, element.GetString()!, longStrings);
                        return;
                    case JsonValueKind.Number:
                        if (TryGetDouble(element, out var number))
                        {
                            AddNumber(entries, name, number);
                        }
                        return;
                    case JsonValueKind.True:
                        entries.Add(new IndexEntry(name, IndexedKind.Boolean, null, 1));
                        return;
                    case JsonValueKind.False:
                        entries.Add(new IndexEntry(name, IndexedKind.Boolean, null, 0));
                        return;
                    default:
                        return;
                }
            default:
                return;
        }
    }

    private static void AddString(HashSet<IndexEntry> entries, string name, string text, ISet<string>? longStrings)
    {
        if (text.Length <= MaxStringLength)
        {
            entries.Add(new IndexEntry(name, IndexedKind.String, text, 0));
        }
        else
        {
            longStrings?.Add(name);
        }
    }

    private static void AddNumber(HashSet<IndexEntry> entries, string name, double number)
    {
        if (!double.IsNaN(number))
        {
            entries.Add(new IndexEntry(name, IndexedKind.Number, null, number));
        }
    }

    /// <summary>The value as the store's codec writes it and reads it back.</summary>
    private static JsonElement AsStored(JsonValue value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            value.WriteTo(writer);
        }
        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>Reads a number as the evaluator does (QTerm's TryGetDouble on a stored value).</summary>
    private static bool TryGetDouble(JsonElement element, out double number)
    {
        if (element.TryGetDouble(out number))
        {
            return true;
        }
        if (element.TryGetInt64(out var l))
        {
            number = l;
            return true;
        }
        if (element.TryGetInt32(out var i))
        {
            number = i;
            return true;
        }
        if (element.TryGetDecimal(out var m))
        {
            number = (double)m;
            return true;
        }
        if (element.TryGetSingle(out var f))
        {
            number = f;
            return true;
        }
        return false;
    }
}
