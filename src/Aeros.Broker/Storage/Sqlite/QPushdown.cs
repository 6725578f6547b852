using System.Globalization;
using System.Text;
using System.Text.Json;
using Aeros.Broker.Query;
using Microsoft.Data.Sqlite;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>
/// One top-level conjunct of <c>q</c> the value index can answer: a SUPERSET of the entities satisfying it is
/// the entities with a row of <c>attribute_values</c> meeting <see cref="AppendCondition"/>. The whole q is
/// still evaluated on every candidate, so the term only narrows what is read.
/// </summary>
internal sealed class PushedTerm
{
    private PushedTerm(string name, string[] strings, double[] numbers, long[] booleans, double? low, bool lowInclusive, double? high, bool highInclusive)
    {
        Name = name;
        Strings = strings;
        Numbers = numbers;
        Booleans = booleans;
        Low = low;
        LowInclusive = lowInclusive;
        High = high;
        HighInclusive = highInclusive;
        IsRange = low is not null || high is not null;
        var shape = new StringBuilder();
        if (IsRange)
        {
            shape.Append('r').Append(low is null ? '-' : lowInclusive ? '[' : '(').Append(high is null ? '-' : highInclusive ? ']' : ')');
        }
        else
        {
            shape.Append('e').Append(strings.Length).Append('.').Append(numbers.Length).Append('.').Append(booleans.Length);
        }
        Shape = shape.ToString();
    }

    /// <summary>The expanded attribute name.</summary>
    public string Name { get; }

    /// <summary>For equality: the strings, numbers and booleans (1/0) any of which a match holds.</summary>
    public string[] Strings { get; }

    public double[] Numbers { get; }

    public long[] Booleans { get; }

    /// <summary>A numeric interval (<c>&lt;</c>, <c>&gt;=</c>, <c>a..b</c>…) rather than equality.</summary>
    public bool IsRange { get; }

    public double? Low { get; }

    public bool LowInclusive { get; }

    public double? High { get; }

    public bool HighInclusive { get; }

    /// <summary>What the SQL of the term depends on (not the values): part of the cache key of statements.</summary>
    public string Shape { get; }

    /// <summary>Equality with one value: its rows come out of the value index in id order.</summary>
    public bool IsSingleValue => !IsRange && Strings.Length + Numbers.Length + Booleans.Length == 1;

    /// <summary>How promising the term is as the driving one before any estimate (lower first).</summary>
    public int Rank => IsSingleValue ? 0 : !IsRange ? 1 : Low is not null && High is not null ? 2 : 3;

    /// <summary>
    /// The conjuncts of <paramref name="q"/> that can be pushed down, or an empty list. Conservative: any
    /// doubt about the evaluator's rules (see <see cref="QTerm"/>) leaves the term to the in-process check.
    /// </summary>
    public static List<PushedTerm> Extract(QExpression? q)
    {
        var terms = new List<PushedTerm>();
        if (q is not null)
        {
            Collect(q.Root, terms);
        }
        return terms;
    }

    private static void Collect(QNode node, List<PushedTerm> terms)
    {
        switch (node)
        {
            case QAnd and:
                foreach (var operand in and.Operands)
                {
                    Collect(operand, terms);
                }
                break;
            case QTerm term when From(term) is { } pushed:
                terms.Add(pushed);
                break;
            default:
                // QOr and terms that cannot be pushed: left to the evaluator.
                break;
        }
    }

    /// <summary>The pushed form of a term, or null when it must not be pushed down.</summary>
    internal static PushedTerm? From(QTerm term)
    {
        // Only `attribute op literal` on the attribute's own value: no sub-attribute or metadata path, no
        // [member] path or language tag, no entity createdAt/modifiedAt.
        if (term.Root != QRootKind.Attribute || term.Segments.Length != 0 || term.ValuePath.Length != 0 || term.Values.Length == 0)
        {
            return null;
        }
        // A literal read as a DateTime compares temporally (different strings can be equal): not indexable.
        if (term.HasTemporalLiteral || Array.Exists(term.Values, v => v.Temporal.Kind != TemporalKind.None))
        {
            return null;
        }
        switch (term.Operator)
        {
            case QOperator.Equal when term.IsRange:
                // Only numeric ranges (string ranges compare ordinally in .NET, which SQLite's BINARY order on
                // UTF-8 does not always reproduce).
                return term.Values is [{ Kind: JsonValueKind.Number } low, { Kind: JsonValueKind.Number } high]
                    ? new PushedTerm(term.Attribute, [], [], [], low.Number, true, high.Number, true)
                    : null;
            case QOperator.Equal:
                return Equality(term);
            case QOperator.Greater or QOperator.GreaterOrEqual or QOperator.Less or QOperator.LessOrEqual:
                // Ordering holds only between values of one type: a number literal matches numbers only.
                if (term.Values is not [{ Kind: JsonValueKind.Number } bound])
                {
                    return null;
                }
                return term.Operator switch
                {
                    QOperator.Greater => new PushedTerm(term.Attribute, [], [], [], bound.Number, false, null, false),
                    QOperator.GreaterOrEqual => new PushedTerm(term.Attribute, [], [], [], bound.Number, true, null, false),
                    QOperator.Less => new PushedTerm(term.Attribute, [], [], [], null, false, bound.Number, false),
                    _ => new PushedTerm(term.Attribute, [], [], [], null, false, bound.Number, true),
                };
            default:
                // !=, regular expressions and existence can hold without any indexed value.
                return null;
        }
    }

    private static PushedTerm? Equality(QTerm term)
    {
        var strings = new List<string>();
        var numbers = new List<double>();
        var booleans = new List<long>();
        foreach (var literal in term.Values)
        {
            switch (literal.Kind)
            {
                case JsonValueKind.String:
                    // A VocabProperty also matches the literal expanded with the request's context.
                    if (!AddString(strings, literal.Text) || (literal.VocabText is { } vocab && !AddString(strings, vocab)))
                    {
                        return null;
                    }
                    break;
                case JsonValueKind.Number:
                    if (!numbers.Contains(literal.Number))
                    {
                        numbers.Add(literal.Number);
                    }
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    var b = literal.Boolean ? 1L : 0L;
                    if (!booleans.Contains(b))
                    {
                        booleans.Add(b);
                    }
                    break;
                default:
                    return null;
            }
        }
        return new PushedTerm(term.Attribute, [.. strings], [.. numbers], [.. booleans], null, false, null, false);
    }

    /// <summary>Adds a string literal; false when it cannot be looked up (longer strings are not indexed).</summary>
    private static bool AddString(List<string> strings, string? text)
    {
        if (text is null || text.Length > AttributeValueIndex.MaxStringLength)
        {
            return false;
        }
        if (!strings.Contains(text, StringComparer.Ordinal))
        {
            strings.Add(text);
        }
        return true;
    }

    /// <summary>
    /// Appends the condition on <c>attribute_values</c> row <paramref name="alias"/> (without tenant/id), with
    /// parameters named after <paramref name="prefix"/>, and records their names.
    /// </summary>
    public void AppendCondition(StringBuilder sql, string alias, string prefix, List<string> parameters)
    {
        sql.Append(alias).Append(".name = ").Append(prefix).Append('n');
        parameters.Add(prefix + "n");
        if (IsRange)
        {
            sql.Append(" AND ").Append(alias).Append(".kind = ").Append((int)IndexedKind.Number);
            if (Low is not null)
            {
                sql.Append(" AND ").Append(alias).Append(".value ").Append(LowInclusive ? ">=" : ">").Append(' ').Append(prefix).Append("lo");
                parameters.Add(prefix + "lo");
            }
            if (High is not null)
            {
                sql.Append(" AND ").Append(alias).Append(".value ").Append(HighInclusive ? "<=" : "<").Append(' ').Append(prefix).Append("hi");
                parameters.Add(prefix + "hi");
            }
            return;
        }
        var kinds = (Strings.Length > 0 ? 1 : 0) + (Numbers.Length > 0 ? 1 : 0) + (Booleans.Length > 0 ? 1 : 0);
        sql.Append(" AND ").Append(alias).Append(".kind");
        if (kinds == 1)
        {
            sql.Append(" = ").Append((int)(Strings.Length > 0 ? IndexedKind.String : Numbers.Length > 0 ? IndexedKind.Number : IndexedKind.Boolean));
        }
        else
        {
            // Literals of several types: every (kind, value) pair, so that the index still drives (an OR of the
            // kinds would not use it). A number 1 then also finds a boolean true (INTEGER 1 = REAL 1.0): more
            // candidates, never fewer.
            sql.Append(" IN (");
            var first = true;
            foreach (var (count, kind) in (ReadOnlySpan<(int, IndexedKind)>)[(Strings.Length, IndexedKind.String), (Numbers.Length, IndexedKind.Number), (Booleans.Length, IndexedKind.Boolean)])
            {
                if (count > 0)
                {
                    sql.Append(first ? "" : ", ").Append((int)kind);
                    first = false;
                }
            }
            sql.Append(')');
        }
        sql.Append(" AND ").Append(alias).Append(".value");
        var values = Strings.Length + Numbers.Length + Booleans.Length;
        if (values == 1)
        {
            sql.Append(" = ").Append(prefix).Append("v0");
            parameters.Add(prefix + "v0");
            return;
        }
        sql.Append(" IN (");
        for (var i = 0; i < values; i++)
        {
            var name = prefix + "v" + i.ToString(CultureInfo.InvariantCulture);
            sql.Append(i == 0 ? "" : ", ").Append(name);
            parameters.Add(name);
        }
        sql.Append(')');
    }

    /// <summary>Binds the values of the term to a command built with <see cref="AppendCondition"/>.</summary>
    public void Bind(SqliteCommand command, string prefix)
    {
        var parameters = command.Parameters;
        parameters[prefix + "n"].Value = Name;
        if (IsRange)
        {
            if (Low is { } low)
            {
                parameters[prefix + "lo"].Value = low;
            }
            if (High is { } high)
            {
                parameters[prefix + "hi"].Value = high;
            }
            return;
        }
        var at = 0;
        foreach (var text in Strings)
        {
            parameters[ValueParameter(prefix, at++)].Value = text;
        }
        foreach (var number in Numbers)
        {
            parameters[ValueParameter(prefix, at++)].Value = number;
        }
        foreach (var boolean in Booleans)
        {
            parameters[ValueParameter(prefix, at++)].Value = boolean;
        }
    }

    private static string ValueParameter(string prefix, int index) => prefix + "v" + index.ToString(CultureInfo.InvariantCulture);

    public override string ToString() => $"{Name} {Shape}";
}
