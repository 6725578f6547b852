using System.Text.Json;
using Aeros.Broker.Model;

namespace Aeros.Broker.Storage;

/// <summary>How two stored attribute instances compare, ignoring their system timestamps.</summary>
internal enum StoredComparison
{
    /// <summary>Same kind, value and members.</summary>
    Same,

    /// <summary>Something other than the system timestamps differs.</summary>
    Different,

    /// <summary>The bytes alone do not tell (sub-attributes, or objects or arrays written differently): decode and compare.</summary>
    Unknown,
}

/// <summary>One stored instance of an attribute: its datasetId and where its bytes are.</summary>
internal readonly record struct StoredInstance(string? DatasetId, Range Bytes);

/// <summary>
/// Reading stored entities without decoding them: the entity's header alone, where named attributes are, and whether
/// two instances differ. For the subscription matching loop, which looks at a few attributes of every committed change
/// and notifies only when they really changed: building whole entities for that (strings, lists, a JsonDocument per
/// number) was most of its cost.
/// </summary>
internal static partial class StoredEntityCodec
{
    /// <summary>
    /// Decodes the entity without any attribute: id, types, scopes and timestamps. Format 1 writes the attributes
    /// last, so reading stops there.
    /// </summary>
    public static Entity DecodeHeader(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            Read(ref reader);
            return ReadEntity(ref reader, [], stopAtAttributes: true);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A stored entity is not valid JSON.", ex);
        }
    }

    /// <summary>
    /// Reads, in one pass, where the instances of the attributes named in <paramref name="utf8Names"/> (expanded
    /// names, UTF-8) are: <paramref name="instances"/>[i] receives those of the i-th name, with their datasetIds and
    /// byte ranges in <paramref name="utf8"/>. Every other attribute is skipped. With <paramref name="header"/> it
    /// also returns the entity without attributes (as <see cref="DecodeHeader"/>), else null.
    /// </summary>
    public static Entity? ReadWatched(ReadOnlySpan<byte> utf8, IReadOnlyList<byte[]> utf8Names, List<StoredInstance>[] instances, bool header)
    {
        if (instances.Length < utf8Names.Count)
        {
            throw new ArgumentException("One list per name is needed.", nameof(instances));
        }
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            Read(ref reader);
            Expect(ref reader, JsonTokenType.StartObject);
            var fields = new EntityHeader();
            while (Read(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("a"u8))
                {
                    Read(ref reader);
                    ReadWatchedAttributes(ref reader, utf8Names, instances);
                }
                else if (!header || !fields.TryRead(ref reader))
                {
                    Read(ref reader);
                    reader.Skip();
                }
            }
            return header ? fields.Build(new AttributeMap()) : null;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A stored entity is not valid JSON.", ex);
        }
    }

    private static void ReadWatchedAttributes(ref Utf8JsonReader reader, IReadOnlyList<byte[]> utf8Names, List<StoredInstance>[] instances)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            var slot = IndexOf(ref reader, utf8Names);
            Read(ref reader);
            if (slot < 0)
            {
                reader.Skip();
                continue;
            }
            Expect(ref reader, JsonTokenType.StartArray);
            while (Read(ref reader) != JsonTokenType.EndArray)
            {
                Expect(ref reader, JsonTokenType.StartObject);
                var start = (int)reader.TokenStartIndex;
                string? datasetId = null;
                while (Read(ref reader) == JsonTokenType.PropertyName)
                {
                    var isDatasetId = reader.ValueTextEquals("d"u8);
                    Read(ref reader);
                    if (isDatasetId)
                    {
                        datasetId = reader.GetString();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                instances[slot].Add(new StoredInstance(datasetId, new Range(start, (int)reader.BytesConsumed)));
            }
        }
    }

    /// <summary>
    /// Compares two stored instances (each a whole instance object) as <c>ChangeAnalysis.SameInstance</c> compares
    /// decoded ones — kind, value, datasetId, observedAt, unitCode, objectType, ignoring createdAt and modifiedAt —
    /// or says it cannot tell from the bytes. The encoder writes members in a fixed order and escapes strings the same
    /// way every time, so equal members have equal bytes; numbers written differently are compared by value.
    /// </summary>
    public static StoredComparison CompareInstances(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var ra = new Utf8JsonReader(a, ReaderOptions);
        var rb = new Utf8JsonReader(b, ReaderOptions);
        try
        {
            Read(ref ra);
            Read(ref rb);
            Expect(ref ra, JsonTokenType.StartObject);
            Expect(ref rb, JsonTokenType.StartObject);
            while (true)
            {
                var moreA = NextComparedMember(ref ra);
                var moreB = NextComparedMember(ref rb);
                if (moreA != moreB)
                {
                    return StoredComparison.Different;
                }
                if (!moreA)
                {
                    return StoredComparison.Same;
                }
                if (!ra.ValueSpan.SequenceEqual(rb.ValueSpan))
                {
                    return StoredComparison.Different; // a member the other lacks (the order is fixed)
                }
                if (!IsComparedMember(ref ra))
                {
                    return StoredComparison.Unknown; // sub-attributes (timestamps inside) or a member of a later format
                }
                Read(ref ra);
                Read(ref rb);
                var values = CompareValues(ref ra, a, ref rb, b);
                if (values != StoredComparison.Same)
                {
                    return values;
                }
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A stored entity is not valid JSON.", ex);
        }
    }

    // Moves to the next member name other than the system timestamps; false at the end of the object.
    private static bool NextComparedMember(ref Utf8JsonReader reader)
    {
        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("c"u8) || reader.ValueTextEquals("co"u8) || reader.ValueTextEquals("m"u8) || reader.ValueTextEquals("mo"u8))
            {
                Read(ref reader);
                continue;
            }
            return true;
        }
        return false;
    }

    private static bool IsComparedMember(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("k"u8) || reader.ValueTextEquals("v"u8) || reader.ValueTextEquals("d"u8)
        || reader.ValueTextEquals("o"u8) || reader.ValueTextEquals("u"u8) || reader.ValueTextEquals("ot"u8);

    // Compares the values the readers stand on (JsonNode.DeepEquals semantics), leaving both readers at their ends.
    private static StoredComparison CompareValues(ref Utf8JsonReader ra, ReadOnlySpan<byte> a, ref Utf8JsonReader rb, ReadOnlySpan<byte> b)
    {
        var typeA = ra.TokenType;
        var typeB = rb.TokenType;
        if (typeA is JsonTokenType.StartObject or JsonTokenType.StartArray || typeB is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            var startA = (int)ra.TokenStartIndex;
            var startB = (int)rb.TokenStartIndex;
            ra.Skip();
            rb.Skip();
            if (typeA != typeB)
            {
                return StoredComparison.Different;
            }
            // Equal bytes are equal values; objects with members in another order, or numbers written otherwise, are not
            // told apart here.
            return a[startA..(int)ra.BytesConsumed].SequenceEqual(b[startB..(int)rb.BytesConsumed]) ? StoredComparison.Same : StoredComparison.Unknown;
        }
        if (typeA != typeB)
        {
            return StoredComparison.Different;
        }
        switch (typeA)
        {
            case JsonTokenType.String:
                if (ra.ValueSpan.SequenceEqual(rb.ValueSpan))
                {
                    return StoredComparison.Same;
                }
                if (!ra.ValueIsEscaped && !rb.ValueIsEscaped)
                {
                    return StoredComparison.Different;
                }
                return string.Equals(ra.GetString(), rb.GetString(), StringComparison.Ordinal) ? StoredComparison.Same : StoredComparison.Different;
            case JsonTokenType.Number:
                if (ra.ValueSpan.SequenceEqual(rb.ValueSpan))
                {
                    return StoredComparison.Same;
                }
                if (ra.TryGetInt64(out var longA) && rb.TryGetInt64(out var longB))
                {
                    return longA == longB ? StoredComparison.Same : StoredComparison.Different;
                }
                if (ra.TryGetDecimal(out var decimalA) && rb.TryGetDecimal(out var decimalB))
                {
                    // Decimal parsing rounds beyond 28 digits and small exponents: different decimals are different
                    // numbers, and equal ones are equal numbers when both were short and written without an exponent.
                    if (decimalA != decimalB)
                    {
                        return StoredComparison.Different;
                    }
                    if (IsExactDecimal(ra.ValueSpan) && IsExactDecimal(rb.ValueSpan))
                    {
                        return StoredComparison.Same;
                    }
                }
                return StoredComparison.Unknown;
            default:
                return StoredComparison.Same; // true, false, null: the token type is the value
        }
    }

    // At most 27 digits (with sign and point) and no exponent: System.Decimal holds the number exactly.
    private static bool IsExactDecimal(ReadOnlySpan<byte> number) => number.Length <= 29 && number.IndexOfAny((byte)'e', (byte)'E') < 0;

    private static int IndexOf(ref Utf8JsonReader reader, IReadOnlyList<byte[]> utf8Names)
    {
        for (var i = 0; i < utf8Names.Count; i++)
        {
            if (reader.ValueTextEquals(utf8Names[i]))
            {
                return i;
            }
        }
        return -1;
    }
}
