using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Model;

namespace Aeros.Broker.Storage;

/// <summary>
/// The storage form of an <see cref="Entity"/>: compact UTF-8 JSON with short member names, lossless for every
/// member of the model (attribute and instance order, values as raw JSON, timestamps to the tick with their
/// offset, sub-attributes to any depth, null and empty lists kept apart).
/// </summary>
/// <remarks>
/// Layout (format 1). Entity: <c>{"f":1,"id":..,"t":[..],"s":[..]?,"c":ticks,"co":min?,"m":ticks,"mo":min?,"a":{name:[instance..]}}</c>.
/// Instance: <c>{"k":kind,"v":value?,"d":datasetId?,"o":observedAt?,"u":unitCode?,"ot":objectType?,"c":..,"m":..,"sa":{..}?}</c>.
/// Timestamps are UTC ticks; <c>co</c>/<c>mo</c> carry a non-zero offset in minutes. Kinds have stable codes
/// owned here, so reordering <see cref="AttributeKind"/> never changes stored data. Unknown members are skipped
/// when reading, so a later format can add members.
/// </remarks>
internal static partial class StoredEntityCodec
{
    /// <summary>The format this codec writes.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Stored bytes are never embedded in HTML; keep non-ASCII text as is (smaller, faster).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 1024 };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>Encodes the entity into a new byte array.</summary>
    public static byte[] Encode(Entity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        Encode(entity, buffer);
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1 << 20)
        {
            t_buffer = null; // do not keep a huge buffer alive on this thread
        }
        return bytes;
    }

    /// <summary>Encodes the entity, appending to <paramref name="output"/>.</summary>
    public static void Encode(Entity entity, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(output);
        var writer = t_writer;
        if (writer is null)
        {
            writer = t_writer = new Utf8JsonWriter(output, WriterOptions);
        }
        else
        {
            writer.Reset(output);
        }
        try
        {
            WriteEntity(writer, entity);
            writer.Flush();
        }
        finally
        {
            writer.Reset(Stream.Null);
        }
    }

    /// <summary>Decodes an entity written by <see cref="Encode(Entity)"/>; throws <see cref="InvalidDataException"/> on bad data.</summary>
    public static Entity Decode(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            Read(ref reader);
            return ReadEntity(ref reader, null);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A stored entity is not valid JSON.", ex);
        }
    }

    /// <summary>
    /// Decodes the entity with only the attributes named in <paramref name="attributeNames"/> (every other member in
    /// full): the others are skipped without building them, which is most of the cost of a decode. For callers that
    /// look at a few attributes of many entities (subscriptions matching by watched attribute).
    /// </summary>
    public static Entity DecodeSelected(ReadOnlySpan<byte> utf8, IReadOnlyList<string> attributeNames)
    {
        ArgumentNullException.ThrowIfNull(attributeNames);
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            Read(ref reader);
            return ReadEntity(ref reader, attributeNames);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A stored entity is not valid JSON.", ex);
        }
    }

    // ---- writing ----

    private static void WriteEntity(Utf8JsonWriter writer, Entity entity)
    {
        writer.WriteStartObject();
        writer.WriteNumber("f"u8, FormatVersion);
        writer.WriteString("id"u8, entity.Id);
        writer.WriteStartArray("t"u8);
        foreach (var type in entity.Types)
        {
            writer.WriteStringValue(type);
        }
        writer.WriteEndArray();
        if (entity.Scopes is { } scopes)
        {
            writer.WriteStartArray("s"u8);
            foreach (var scope in scopes)
            {
                writer.WriteStringValue(scope);
            }
            writer.WriteEndArray();
        }
        WriteTime(writer, "c"u8, "co"u8, entity.CreatedAt);
        WriteTime(writer, "m"u8, "mo"u8, entity.ModifiedAt);
        writer.WritePropertyName("a"u8);
        WriteAttributes(writer, entity.Attributes);
        writer.WriteEndObject();
    }

    private static void WriteAttributes(Utf8JsonWriter writer, AttributeMap attributes)
    {
        writer.WriteStartObject();
        foreach (var (name, instances) in attributes)
        {
            writer.WriteStartArray(name);
            foreach (var instance in instances)
            {
                WriteInstance(writer, instance);
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static void WriteInstance(Utf8JsonWriter writer, NgsiAttribute attribute)
    {
        writer.WriteStartObject();
        writer.WriteString("k"u8, KindCode(attribute.Kind));
        if (attribute.Value is { } value)
        {
            writer.WritePropertyName("v"u8);
            value.WriteTo(writer);
        }
        if (attribute.DatasetId is { } datasetId)
        {
            writer.WriteString("d"u8, datasetId);
        }
        if (attribute.ObservedAt is { } observedAt)
        {
            writer.WriteString("o"u8, observedAt);
        }
        if (attribute.UnitCode is { } unitCode)
        {
            writer.WriteString("u"u8, unitCode);
        }
        if (attribute.ObjectType is { } objectType)
        {
            writer.WritePropertyName("ot"u8);
            objectType.WriteTo(writer);
        }
        WriteTime(writer, "c"u8, "co"u8, attribute.CreatedAt);
        WriteTime(writer, "m"u8, "mo"u8, attribute.ModifiedAt);
        if (attribute.SubAttributes is { } subAttributes)
        {
            writer.WritePropertyName("sa"u8);
            WriteAttributes(writer, subAttributes);
        }
        writer.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter writer, ReadOnlySpan<byte> ticksName, ReadOnlySpan<byte> offsetName, DateTimeOffset time)
    {
        writer.WriteNumber(ticksName, time.UtcTicks);
        var offsetMinutes = (int)time.Offset.TotalMinutes;
        if (offsetMinutes != 0)
        {
            writer.WriteNumber(offsetName, offsetMinutes);
        }
    }

    private static string KindCode(AttributeKind kind) => kind switch
    {
        AttributeKind.Property => "P",
        AttributeKind.Relationship => "R",
        AttributeKind.GeoProperty => "G",
        AttributeKind.LanguageProperty => "L",
        AttributeKind.JsonProperty => "J",
        AttributeKind.VocabProperty => "V",
        AttributeKind.ListProperty => "LP",
        AttributeKind.ListRelationship => "LR",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown attribute kind."),
    };

    private static AttributeKind ParseKind(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw Bad("attribute kind is not a string");
        }
        if (reader.ValueTextEquals("P"u8)) return AttributeKind.Property;
        if (reader.ValueTextEquals("R"u8)) return AttributeKind.Relationship;
        if (reader.ValueTextEquals("G"u8)) return AttributeKind.GeoProperty;
        if (reader.ValueTextEquals("L"u8)) return AttributeKind.LanguageProperty;
        if (reader.ValueTextEquals("J"u8)) return AttributeKind.JsonProperty;
        if (reader.ValueTextEquals("V"u8)) return AttributeKind.VocabProperty;
        if (reader.ValueTextEquals("LP"u8)) return AttributeKind.ListProperty;
        if (reader.ValueTextEquals("LR"u8)) return AttributeKind.ListRelationship;
        throw Bad($"unknown attribute kind '{reader.GetString()}'");
    }

    // ---- reading ----

    private static Entity ReadEntity(ref Utf8JsonReader reader, IReadOnlyList<string>? only, bool stopAtAttributes = false)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var header = new EntityHeader();
        AttributeMap? attributes = null;
        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            if (header.TryRead(ref reader))
            {
                continue;
            }
            if (reader.ValueTextEquals("a"u8))
            {
                if (stopAtAttributes && header.Format == 1)
                {
                    break; // format 1 writes the attributes last: nothing after them to read
                }
                Read(ref reader);
                attributes = ReadAttributes(ref reader, only);
            }
            else { Read(ref reader); reader.Skip(); }
        }
        return header.Build(attributes ?? new AttributeMap());
    }

    /// <summary>The members of a stored entity other than its attributes, read one by one.</summary>
    private struct EntityHeader
    {
        public int Format;
        private string? _id;
        private List<string>? _types;
        private List<string>? _scopes;
        private long _createdTicks, _modifiedTicks;
        private int _createdOffset, _modifiedOffset;

        /// <summary>Reads the member whose name the reader stands on if it is one of these; false (reader unmoved) if not.</summary>
        public bool TryRead(ref Utf8JsonReader reader)
        {
            if (reader.ValueTextEquals("f"u8)) { Read(ref reader); Format = reader.GetInt32(); }
            else if (reader.ValueTextEquals("id"u8)) { Read(ref reader); _id = reader.GetString(); }
            else if (reader.ValueTextEquals("t"u8)) { Read(ref reader); _types = ReadStrings(ref reader); }
            else if (reader.ValueTextEquals("s"u8)) { Read(ref reader); _scopes = ReadStrings(ref reader); }
            else if (reader.ValueTextEquals("c"u8)) { Read(ref reader); _createdTicks = reader.GetInt64(); }
            else if (reader.ValueTextEquals("co"u8)) { Read(ref reader); _createdOffset = reader.GetInt32(); }
            else if (reader.ValueTextEquals("m"u8)) { Read(ref reader); _modifiedTicks = reader.GetInt64(); }
            else if (reader.ValueTextEquals("mo"u8)) { Read(ref reader); _modifiedOffset = reader.GetInt32(); }
            else { return false; }
            return true;
        }

        public readonly Entity Build(AttributeMap attributes)
        {
            if (Format is < 1 or > FormatVersion)
            {
                throw Bad($"unsupported stored entity format {Format}");
            }
            return new Entity
            {
                Id = _id ?? throw Bad("stored entity has no id"),
                Types = _types ?? [],
                Scopes = _scopes,
                CreatedAt = ToTime(_createdTicks, _createdOffset),
                ModifiedAt = ToTime(_modifiedTicks, _modifiedOffset),
                Attributes = attributes,
            };
        }
    }

    private static AttributeMap ReadAttributes(ref Utf8JsonReader reader, IReadOnlyList<string>? only = null)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var map = new AttributeMap();
        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            if (only is not null && !IsOneOf(ref reader, only))
            {
                Read(ref reader);
                reader.Skip();
                continue;
            }
            var name = reader.GetString()!;
            Read(ref reader);
            Expect(ref reader, JsonTokenType.StartArray);
            var instances = new List<NgsiAttribute>(1);
            while (Read(ref reader) != JsonTokenType.EndArray)
            {
                instances.Add(ReadInstance(ref reader));
            }
            map[name] = instances;
        }
        return map;
    }

    /// <summary>
    /// Reads a stored value. Strings and booleans become primitive nodes directly (parsing them through a
    /// JsonDocument per value dominated entity decoding). Numbers keep a JsonElement-backed node so that they
    /// keep their exact text and convert to any numeric type (GetValue&lt;int&gt;, &lt;long&gt;, &lt;double&gt;).
    /// </summary>
    private static JsonNode? ReadValue(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => JsonValue.Create(reader.GetString()),
        JsonTokenType.True => JsonValue.Create(true),
        JsonTokenType.False => JsonValue.Create(false),
        _ => JsonNode.Parse(ref reader),
    };

    private static NgsiAttribute ReadInstance(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        AttributeKind? kind = null;
        JsonNode? value = null, objectType = null;
        string? datasetId = null, observedAt = null, unitCode = null;
        long createdTicks = 0, modifiedTicks = 0;
        int createdOffset = 0, modifiedOffset = 0;
        AttributeMap? subAttributes = null;
        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("k"u8)) { Read(ref reader); kind = ParseKind(ref reader); }
            else if (reader.ValueTextEquals("v"u8)) { Read(ref reader); value = ReadValue(ref reader); }
            else if (reader.ValueTextEquals("d"u8)) { Read(ref reader); datasetId = reader.GetString(); }
            else if (reader.ValueTextEquals("o"u8)) { Read(ref reader); observedAt = reader.GetString(); }
            else if (reader.ValueTextEquals("u"u8)) { Read(ref reader); unitCode = reader.GetString(); }
            else if (reader.ValueTextEquals("ot"u8)) { Read(ref reader); objectType = JsonNode.Parse(ref reader); }
            else if (reader.ValueTextEquals("c"u8)) { Read(ref reader); createdTicks = reader.GetInt64(); }
            else if (reader.ValueTextEquals("co"u8)) { Read(ref reader); createdOffset = reader.GetInt32(); }
            else if (reader.ValueTextEquals("m"u8)) { Read(ref reader); modifiedTicks = reader.GetInt64(); }
            else if (reader.ValueTextEquals("mo"u8)) { Read(ref reader); modifiedOffset = reader.GetInt32(); }
            else if (reader.ValueTextEquals("sa"u8)) { Read(ref reader); subAttributes = ReadAttributes(ref reader); }
            else { Read(ref reader); reader.Skip(); }
        }
        return new NgsiAttribute
        {
            Kind = kind ?? throw Bad("stored attribute has no kind"),
            Value = value,
            DatasetId = datasetId,
            ObservedAt = observedAt,
            UnitCode = unitCode,
            ObjectType = objectType,
            CreatedAt = ToTime(createdTicks, createdOffset),
            ModifiedAt = ToTime(modifiedTicks, modifiedOffset),
            SubAttributes = subAttributes,
        };
    }

    private static bool IsOneOf(ref Utf8JsonReader reader, IReadOnlyList<string> names)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (reader.ValueTextEquals(names[i]))
            {
                return true;
            }
        }
        return false;
    }

    private static List<string> ReadStrings(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartArray);
        var list = new List<string>();
        while (Read(ref reader) != JsonTokenType.EndArray)
        {
            list.Add(reader.GetString() ?? throw Bad("null in a string list"));
        }
        return list;
    }

    private static DateTimeOffset ToTime(long utcTicks, int offsetMinutes)
    {
        var utc = new DateTimeOffset(utcTicks, TimeSpan.Zero);
        return offsetMinutes == 0 ? utc : utc.ToOffset(TimeSpan.FromMinutes(offsetMinutes));
    }

    private static JsonTokenType Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw Bad("unexpected end of data");
        }
        return reader.TokenType;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type)
        {
            throw Bad($"expected {type}, found {reader.TokenType}");
        }
    }

    private static InvalidDataException Bad(string detail) => new($"A stored entity is malformed: {detail}.");
}
