using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Aeros.Broker.Model;
using Aeros.Broker.Storage.Sqlite;

namespace Aeros.Broker.Postgres.Storage;

/// <summary>
/// The <c>vals</c> column of an entity: for each top-level attribute, the scalars a q term without a path can
/// compare, as <c>{"name":{"s":[..],"n":[..],"b":[..]}}</c>. It holds exactly what the SQLite value index holds
/// (<see cref="AttributeValueIndex"/>, which over-approximates the q evaluator), so a term pushed down through it
/// (<see cref="PushedTerm"/>) selects a superset of the matches; q still runs in process on the candidates.
/// </summary>
internal static class EntityValues
{
    /// <summary>The <c>vals</c> JSON of an entity.</summary>
    public static string Encode(Entity entity)
    {
        var byName = new SortedDictionary<string, (List<string> S, List<double> N, List<bool> B)>(StringComparer.Ordinal);
        foreach (var entry in AttributeValueIndex.Entries(entity, AttributeIndexPolicy.All))
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
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
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
