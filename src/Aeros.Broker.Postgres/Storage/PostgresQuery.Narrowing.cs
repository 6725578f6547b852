using System.Globalization;
using System.Text;
using System.Text.Json;
using Aeros.Broker.Query;
using Aeros.Broker.Storage.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Aeros.Broker.Postgres.Storage;

/// <summary>
/// The q and scopeQ narrowing: every node of q becomes a SQL condition that each entity satisfying the node meets (a
/// superset), or null when nothing sound can be said. <c>;</c> joins what its operands narrow, <c>|</c> narrows only
/// when every alternative does. The in-process evaluation of q and scopeQ still decides; see docs/broker.md for the
/// table of terms and their SQL.
/// </summary>
internal sealed partial class PostgresQuery
{
    /// <summary>Nesting followed when translating q (deeper parts are left to the evaluator: no narrowing).</summary>
    private const int MaxDepth = 32;

    /// <summary>Strings .NET and PostgreSQL may see differently under one regex (a newline, a character outside the BMP).</summary>
    private const string RegexUnsure = @"[\n\U00010000-\U0010FFFF]";

    private string? Narrow(QNode node, int depth, bool regexInSql)
    {
        if (depth > MaxDepth)
        {
            return null;
        }
        switch (node)
        {
            case QAnd and:
                var parts = new List<string>(and.Operands.Count);
                foreach (var operand in and.Operands)
                {
                    if (Narrow(operand, depth + 1, regexInSql) is { } part)
                    {
                        parts.Add(part);
                    }
                }
                return parts.Count switch
                {
                    0 => null,
                    1 => parts[0],
                    _ => "(" + string.Join(" AND ", parts) + ")",
                };
            case QOr or:
                var mark = _parameters.Count;
                var alternatives = new List<string>(or.Operands.Count);
                foreach (var operand in or.Operands)
                {
                    if (Narrow(operand, depth + 1, regexInSql) is not { } alternative)
                    {
                        // One alternative can hold anywhere: so can the OR. Drop what the others added.
                        _parameters.RemoveRange(mark, _parameters.Count - mark);
                        return null;
                    }
                    alternatives.Add(alternative);
                }
                return "(" + string.Join(" OR ", alternatives) + ")";
            case QTerm term:
                return Term(term, regexInSql);
            default:
                return null;
        }
    }

    private string? Term(QTerm term, bool regexInSql)
    {
        switch (term.Root)
        {
            case QRootKind.EntityCreatedAt:
                return EntityInstant(term, "c");
            case QRootKind.EntityModifiedAt:
                return EntityInstant(term, "m");
        }
        if (term.Operator == QOperator.NotExists)
        {
            return null; // holds without the attribute
        }
        return term.Segments.Length == 0 && term.ValuePath.Length == 0
            ? AttributeValue(term, regexInSql)
            : AttributePath(term);
    }

    /// <summary>A term on the attribute's own value: through <c>vals</c> (and <c>entity_numbers</c>).</summary>
    private string AttributeValue(QTerm term, bool regexInSql)
    {
        var name = term.Attribute;
        switch (term.Operator)
        {
            case QOperator.Exists:
            case QOperator.NotEqual:
            case QOperator.NotMatch:
                // != and !~= hold for an instance whose value differs, whatever it is: only the attribute must be there.
                return AttributeExists(name);
            case QOperator.Match:
                return regexInSql && PortableRegex.IsPortable(term.Pattern!.ToString())
                    ? StringCondition(name, "s.v ~ " + Param(Text(term.Pattern!.ToString())) + " OR s.v ~ '" + RegexUnsure + "'")
                    : HasStrings(name);
        }
        if (PushedTerm.From(term) is { } pushed)
        {
            return PushedSql(pushed);
        }
        if (term.HasTemporalLiteral || Array.Exists(term.Values, v => v.Temporal.Kind != TemporalKind.None))
        {
            // Compared as instants (different strings can be equal), or ordinally when the value is no DateTime:
            // either way only a string can match.
            return Array.TrueForAll(term.Values, v => v.Kind == JsonValueKind.String) ? HasStrings(name) : AttributeExists(name);
        }
        if (term.Operator == QOperator.Equal && !term.IsRange)
        {
            return Equality(term);
        }
        if (term.Values is [{ Kind: JsonValueKind.String }] || (term.IsRange && term.Values is [{ Kind: JsonValueKind.String }, { Kind: JsonValueKind.String }]))
        {
            return StringRange(term);
        }
        return AttributeExists(name);
    }

    /// <summary>Equality when <see cref="PushedTerm"/> declines (a literal longer than the index keeps).</summary>
    private string Equality(QTerm term)
    {
        var alternatives = new List<string>();
        var longString = false;
        void AddString(string text)
        {
            if (text.Length > AttributeValueIndex.MaxStringLength)
            {
                longString = true;
            }
            else
            {
                alternatives.Add(EntityValues.Containment(term.Attribute, "s", w => w.WriteStringValue(text)));
            }
        }
        foreach (var literal in term.Values)
        {
            switch (literal.Kind)
            {
                case JsonValueKind.String:
                    AddString(literal.Text ?? "");
                    if (literal.VocabText is { } vocab)
                    {
                        AddString(vocab);
                    }
                    break;
                case JsonValueKind.Number:
                    alternatives.Add(EntityValues.Containment(term.Attribute, "n", w => w.WriteNumberValue(literal.Number)));
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    alternatives.Add(EntityValues.Containment(term.Attribute, "b", w => w.WriteBooleanValue(literal.Boolean)));
                    break;
                default:
                    return AttributeExists(term.Attribute);
            }
        }
        if (longString)
        {
            alternatives.Add(LongStringsContainment(term.Attribute));
        }
        return Containments(alternatives);
    }

    /// <summary>
    /// A string range (<c>&gt;</c>, <c>&lt;=</c>, <c>a..b</c> on strings). .NET compares UTF-16 code units, PostgreSQL's
    /// "C" collation UTF-8 bytes, i.e. code points; the two orders differ only where one side has a surrogate (a
    /// character above U+FFFF) and the other a character in U+E000–U+FFFF. Against a bound whose characters are all
    /// below U+D800 both orders agree, so the bound is used as is. Otherwise only its prefix before the first such
    /// character (<c>pre</c>) is: a string above the bound is ≥ pre + U+E000 (its next UTF-16 unit is ≥ U+D800, so its
    /// next code point is ≥ U+E000), a string below it is below pre or starts with it (<c>substr(v, 1, length(pre))
    /// &lt;= pre</c>). Long strings stay candidates through <c>l</c>.
    /// </summary>
    private string StringRange(QTerm term)
    {
        string? low = null, high = null;
        bool lowInclusive = true, highInclusive = true;
        switch (term.Operator)
        {
            case QOperator.Equal:
                (low, high) = (term.Values[0].Text, term.Values[1].Text);
                break;
            case QOperator.Greater:
                (low, lowInclusive) = (term.Values[0].Text, false);
                break;
            case QOperator.GreaterOrEqual:
                low = term.Values[0].Text;
                break;
            case QOperator.Less:
                (high, highInclusive) = (term.Values[0].Text, false);
                break;
            default:
                high = term.Values[0].Text;
                break;
        }
        var conditions = new List<string>(2);
        if (low is not null)
        {
            var safe = SafePrefix(low);
            conditions.Add(safe == low.Length
                ? "s.v COLLATE \"C\" " + (lowInclusive ? ">= " : "> ") + Param(Text(low))
                : "s.v COLLATE \"C\" >= " + Param(Text(low[..safe] + "\uE000")));
        }
        if (high is not null)
        {
            var safe = SafePrefix(high);
            conditions.Add(safe == high.Length
                ? "s.v COLLATE \"C\" " + (highInclusive ? "<= " : "< ") + Param(Text(high))
                : "substr(s.v, 1, " + safe.ToString(CultureInfo.InvariantCulture) + ") COLLATE \"C\" <= " + Param(Text(high[..safe])));
        }
        return StringCondition(term.Attribute, string.Join(" AND ", conditions));
    }

    /// <summary>The length of the prefix of <paramref name="bound"/> before its first character at or above U+D800.</summary>
    internal static int SafePrefix(string bound)
    {
        for (var i = 0; i < bound.Length; i++)
        {
            if (bound[i] >= 0xD800)
            {
                return i;
            }
        }
        return bound.Length;
    }

    /// <summary>Some indexed string of the attribute meets <paramref name="condition"/> (on <c>s.v</c>), or it has a long string.</summary>
    private string StringCondition(string name, string condition)
    {
        var attr = Param(Text(name));
        return "(EXISTS (SELECT 1 FROM jsonb_array_elements_text(vals -> " + attr + " -> 's') AS s(v) WHERE " + condition
            + ") OR vals @> " + Param(Jsonb(LongStringsContainment(name))) + ")";
    }

    /// <summary>The attribute holds some string (indexed or long).</summary>
    private string HasStrings(string name) => "(vals -> " + Param(Text(name)) + ") ?| '{s,l}'::text[]";

    /// <summary>The stored document has the attribute.</summary>
    private string AttributeExists(string name) => "(doc -> 'a') ? " + Param(Text(name));

    private static string LongStringsContainment(string name) =>
        EntityValues.Containment(name, EntityValues.LongStrings, static w => w.WriteBooleanValue(true)).Replace("[true]", "true", StringComparison.Ordinal);

    /// <summary>
    /// The entity's own createdAt/modifiedAt (UTC ticks in the document): exact for DateTime literals; any other
    /// literal compares with nothing, which only != survives (not narrowed).
    /// </summary>
    private string? EntityInstant(QTerm term, string member)
    {
        if (term.Operator is QOperator.Exists or QOperator.NotExists or QOperator.NotEqual or QOperator.Match or QOperator.NotMatch
            || term.Values.Length == 0)
        {
            return term.Operator is QOperator.Match or QOperator.NotMatch or QOperator.NotExists ? "FALSE" : null;
        }
        if (!Array.TrueForAll(term.Values, v => v.Temporal.Kind == TemporalKind.DateTime))
        {
            return "FALSE";
        }
        var ticks = "(doc ->> '" + member + "')::bigint";
        if (term.Operator == QOperator.Equal && !term.IsRange)
        {
            // A literal of another kind is never equal to an instant.
            long[] instants = [.. term.Values.Where(v => v.Temporal.Kind == TemporalKind.DateTime).Select(v => v.Temporal.Ticks)];
            return instants.Length == 0 ? "FALSE" : ticks + " = ANY(" + Param(new NpgsqlParameter<long[]> { TypedValue = instants }) + ")";
        }
        if (term.IsRange)
        {
            return "(" + ticks + " >= " + Param(Ticks(term.Values[0])) + " AND " + ticks + " <= " + Param(Ticks(term.Values[1])) + ")";
        }
        return term.Operator switch
        {
            QOperator.Greater => ticks + " > " + Param(Ticks(term.Values[0])),
            QOperator.GreaterOrEqual => ticks + " >= " + Param(Ticks(term.Values[0])),
            QOperator.Less => ticks + " < " + Param(Ticks(term.Values[0])),
            _ => ticks + " <= " + Param(Ticks(term.Values[0])),
        };
    }

    /// <summary>
    /// A term with a path (sub-attributes, metadata, <c>[members]</c> of the value): a jsonpath over the stored
    /// document that every match satisfies. The path must resolve; <c>==</c> with only strings and booleans also
    /// compares (jsonpath compares them exactly, numbers it would compare as decimals, not as .NET doubles).
    /// </summary>
    private string AttributePath(QTerm term)
    {
        var path = new StringBuilder("lax $.\"a\".").Append(Key(term.Attribute)).Append("[*]");
        var valueIsTarget = true;
        foreach (var segment in term.Segments)
        {
            switch (segment.Kind)
            {
                case QSegmentKind.SubAttribute:
                    path.Append(".\"sa\".").Append(Key(segment.Name)).Append("[*]");
                    continue;
                case QSegmentKind.ObservedAt:
                    path.Append(".\"o\"");
                    break;
                case QSegmentKind.UnitCode:
                    path.Append(".\"u\"");
                    break;
                case QSegmentKind.DatasetId:
                    path.Append(".\"d\"");
                    break;
                case QSegmentKind.CreatedAt:
                    path.Append(".\"c\"");
                    break;
                case QSegmentKind.ModifiedAt:
                    path.Append(".\"m\"");
                    break;
                default:
                    path.Append(".\"ot\"");
                    break;
            }
            valueIsTarget = false;
            break;
        }
        string? languageAlternative = null;
        if (valueIsTarget)
        {
            if (term.ValuePath.Length > 0)
            {
                // A LanguageProperty reads the first member as a language tag, case-insensitively: any of its
                // instances stays a candidate.
                languageAlternative = path + " ? (@.\"k\" == \"L\")";
            }
            path.Append(".\"v\"");
            foreach (var member in term.ValuePath)
            {
                if (member.Length > 0 && member.All(char.IsAsciiDigit))
                {
                    break; // an array index or a member named by digits: narrow by the path so far
                }
                path.Append('.').Append(Key(member));
            }
        }
        var comparable = term.Operator == QOperator.Equal && !term.IsRange && !term.HasTemporalLiteral && term.Values.Length > 0
            && (term.Segments.Length == 0 || term.Segments[^1].Kind is QSegmentKind.SubAttribute or QSegmentKind.ObservedAt
                or QSegmentKind.UnitCode or QSegmentKind.DatasetId or QSegmentKind.ObjectType)
            && Array.TrueForAll(term.Values, v => v.Kind is JsonValueKind.String or JsonValueKind.True or JsonValueKind.False
                && v.Temporal.Kind == TemporalKind.None);
        if (comparable)
        {
            var test = new StringBuilder();
            foreach (var literal in term.Values)
            {
                // A VocabProperty also matches the literal expanded with the request's context.
                string?[] texts = literal.Kind == JsonValueKind.String ? [literal.Text ?? "", literal.VocabText] : [literal.Boolean ? "true" : "false"];
                foreach (var text in texts)
                {
                    if (text is null)
                    {
                        continue;
                    }
                    var json = literal.Kind == JsonValueKind.String ? EntityValues.PathString(text) : text;
                    test.Append(test.Length == 0 ? "" : " || ").Append("@ == ").Append(json).Append(" || @.\"@value\" == ").Append(json);
                }
            }
            // [*] reaches the elements of an array value ("contains"), and is the value itself otherwise.
            path.Append("[*] ? (").Append(test).Append(')');
        }
        var condition = "doc @? " + Param(Text(path.ToString())) + "::jsonpath";
        return languageAlternative is null ? condition : "(" + condition + " OR doc @? " + Param(Text(languageAlternative)) + "::jsonpath)";
    }

    /// <summary>A jsonpath member name (always quoted).</summary>
    private static string Key(string name) => EntityValues.PathString(name);

    /// <summary>
    /// scopeQ on the scopes in the document (<c>doc -&gt; 's'</c>): a scope without <c>+</c> or <c>/#</c> as a
    /// containment (GIN index <c>entities_scopes</c>), others as an anchored regular expression over the scopes
    /// (levels are names, so the expression is a plain literal with <c>[^/]+</c> and <c>(/.+)?</c>; exact).
    /// </summary>
    private string Scopes(ScopeExpression scopeQ)
    {
        if (scopeQ.Alternatives.Count == 0)
        {
            return "jsonb_array_length(doc -> 's') > 0";
        }
        var alternatives = new List<string>(scopeQ.Alternatives.Count);
        foreach (var all in scopeQ.Alternatives)
        {
            var patterns = new List<string>(all.Count);
            foreach (var pattern in all)
            {
                if (!pattern.Subtree && !pattern.Levels.Contains("+"))
                {
                    var scope = "/" + string.Join('/', pattern.Levels);
                    patterns.Add("doc -> 's' @> " + Param(Jsonb(JsonSerializer.Serialize(new[] { scope }))));
                    continue;
                }
                var regex = new StringBuilder("^");
                foreach (var level in pattern.Levels)
                {
                    regex.Append('/');
                    if (level == "+")
                    {
                        regex.Append("[^/]+");
                        continue;
                    }
                    foreach (var c in level)
                    {
                        if (c < 0x80 && !char.IsAsciiLetterOrDigit(c))
                        {
                            regex.Append('\\');
                        }
                        regex.Append(c);
                    }
                }
                regex.Append(pattern.Subtree ? "(/.+)?$" : "$");
                patterns.Add("EXISTS (SELECT 1 FROM jsonb_array_elements_text(doc -> 's') AS sc(v) WHERE sc.v ~ " + Param(Text(regex.ToString())) + ")");
            }
            alternatives.Add(patterns.Count == 1 ? patterns[0] : "(" + string.Join(" AND ", patterns) + ")");
        }
        return alternatives.Count == 1 ? alternatives[0] : "(" + string.Join(" OR ", alternatives) + ")";
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };

    private static NpgsqlParameter<string> Jsonb(string json) => new() { TypedValue = json, NpgsqlDbType = NpgsqlDbType.Jsonb };

    private static NpgsqlParameter<long> Ticks(QLiteral literal) => new() { TypedValue = literal.Temporal.Ticks };
}
