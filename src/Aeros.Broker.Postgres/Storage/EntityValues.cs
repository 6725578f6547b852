using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.Broker.Storage.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace Aeros.Broker.Postgres.Storage;

/// <summary>
/// The <c>vals</c> column of an entity: for each top-level attribute, the scalars a q term without a path can
/// compare, as <c>{"name":{"s":[..],"n":[..],"b":[..],"l":true}}</c> (<c>l</c>: it also holds a string longer than
/// <see cref="AttributeValueIndex.MaxStringLength"/>, which <c>s</c> leaves out). It holds exactly what the SQLite value index holds
/// (<see cref="AttributeValueIndex"/>, which over-approximates the q evaluator), so a term pushed down through it
/// (<see cref="PushedTerm"/>) selects a superset of the matches; q still runs in process on the candidates.
/// </summary>
internal static class EntityValues
{
    /// <summary>The member of an attribute in <c>vals</c> that says it holds a string longer than the index keeps.</summary>
    public const string LongStrings = "l";

    /// <summary>The <c>vals</c> JSON of an entity.</summary>
    public static string Encode(Entity entity) => Rows(entity, geo: false).Vals;

    /// <summary>
    /// What the writer stores next to an entity's body: <c>vals</c>, the rows of <c>entity_numbers</c> (every number
    /// of <c>vals</c>) and, with <paramref name="geo"/>, the rows of <c>entity_geo</c>: each GeoProperty instance whose
    /// value the in-process geo-query reads as a geometry (<see cref="GeoJsonGeometry.TryRead"/>, polygons repaired),
    /// as WKB, so that the database narrows by exactly the geometry the in-process check tests.
    /// </summary>
    public static EntityRows Rows(Entity entity, bool geo)
    {
        var byName = new SortedDictionary<string, (List<string> S, List<double> N, List<bool> B)>(StringComparer.Ordinal);
        var longStrings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in AttributeValueIndex.Entries(entity, AttributeIndexPolicy.All, longStrings))
        {
            if (!byName.TryGetValue(entry.Name, out var lists))
            {
                byName[entry.Name] = lists = ([], [], []);
            }
            switch (entry.Kind)
            {
                case IndexedKind.String:
                    lists.S.Add(entry.Text!);
                    break;
                case IndexedKind.Number:
                    lists.N.Add(entry.Number);
                    break;
                default:
                    lists.B.Add(entry.Number != 0);
                    break;
            }
        }
        foreach (var name in longStrings)
        {
            if (!byName.ContainsKey(name))
            {
                byName[name] = ([], [], []);
            }
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, (s, n, b)) in byName)
            {
                writer.WriteStartObject(name);
                if (s.Count > 0)
                {
                    writer.WriteStartArray("s");
                    foreach (var text in s)
                    {
                        writer.WriteStringValue(text);
                    }
                    writer.WriteEndArray();
                }
                if (n.Count > 0)
                {
                    writer.WriteStartArray("n");
                    foreach (var number in n)
                    {
                        writer.WriteNumberValue(number);
                    }
                    writer.WriteEndArray();
                }
                if (b.Count > 0)
                {
                    writer.WriteStartArray("b");
                    foreach (var flag in b)
                    {
                        writer.WriteBooleanValue(flag);
                    }
                    writer.WriteEndArray();
                }
                if (longStrings.Contains(name))
                {
                    // Strings too long for "s": string terms (regex, ranges, long literals) keep the entity a candidate.
                    writer.WriteBoolean(LongStrings, true);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        var numberNames = new List<string>();
        var numbers = new List<double>();
        foreach (var (name, (_, n, _)) in byName)
        {
            foreach (var number in n)
            {
                numberNames.Add(name);
                numbers.Add(number);
            }
        }
        var rows = new EntityRows(Encoding.UTF8.GetString(buffer.WrittenSpan), [.. numberNames], [.. numbers]);
        if (geo)
        {
            AddGeometries(entity, rows);
        }
        return rows;
    }

    private static void AddGeometries(Entity entity, EntityRows rows)
    {
        List<string>? names = null;
        List<byte[]>? shapes = null;
        List<bool>? puntal = null;
        WKBWriter? wkb = null;
        foreach (var (name, instances) in entity.Attributes)
        {
            foreach (var instance in instances)
            {
                if (instance.Kind != AttributeKind.GeoProperty || GeoJsonGeometry.TryRead(instance.Value) is not { } geometry)
                {
                    continue;
                }
                wkb ??= new WKBWriter();
                (names ??= []).Add(name);
                (shapes ??= []).Add(wkb.Write(geometry));
                (puntal ??= []).Add(geometry is Point or MultiPoint && !geometry.IsEmpty);
            }
        }
        if (names is not null)
        {
            rows.GeoNames = [.. names];
            rows.GeoShapes = [.. shapes!];
            rows.GeoPuntal = [.. puntal!];
        }
    }

    /// <summary>A containment document <c>{"name":{"member":[value]}}</c> for <c>vals @&gt; ...</c> (GIN-indexed).</summary>
    public static string Containment(string name, string member, Action<Utf8JsonWriter> value)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject(name);
            writer.WriteStartArray(member);
            value(writer);
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A jsonpath string literal (double-quoted, escaped).</summary>
    public static string PathString(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A number as a jsonpath/JSON literal.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>The rows stored next to one entity (see <see cref="EntityValues.Rows"/>); arrays are parallel.</summary>
internal sealed class EntityRows(string vals, string[] numberNames, double[] numbers)
{
    /// <summary>The <c>vals</c> JSON.</summary>
    public string Vals { get; } = vals;

    /// <summary>The attribute of each number.</summary>
    public string[] NumberNames { get; } = numberNames;

    /// <summary>The numbers (one row of <c>entity_numbers</c> each, duplicates per attribute removed).</summary>
    public double[] Numbers { get; } = numbers;

    /// <summary>The GeoProperty of each geometry.</summary>
    public string[] GeoNames { get; set; } = [];

    /// <summary>The geometries as WKB (longitude, latitude).</summary>
    public byte[][] GeoShapes { get; set; } = [];

    /// <summary>Whether each geometry is a (Multi)Point: only those get a geography for near.</summary>
    public bool[] GeoPuntal { get; set; } = [];
}
