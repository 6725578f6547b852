using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aeros.Broker.Model;

namespace Aeros.Broker.Query;

/// <summary>A node of a parsed <c>q</c> expression.</summary>
internal abstract class QNode
{
    public abstract bool Evaluate(Entity entity);
}

/// <summary><c>a;b;…</c>: every operand holds.</summary>
internal sealed class QAnd(QNode[] operands) : QNode
{
    public IReadOnlyList<QNode> Operands => operands;

    public override bool Evaluate(Entity entity)
    {
        foreach (var operand in operands)
        {
            if (!operand.Evaluate(entity))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary><c>a|b|…</c>: some operand holds.</summary>
internal sealed class QOr(QNode[] operands) : QNode
{
    public IReadOnlyList<QNode> Operands => operands;

    public override bool Evaluate(Entity entity)
    {
        foreach (var operand in operands)
        {
            if (operand.Evaluate(entity))
            {
                return true;
            }
        }
        return false;
    }
}

internal enum QOperator
{
    Exists,
    NotExists,
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Match,
    NotMatch,
}

/// <summary>What a path element after the attribute names: a sub-attribute or a member of the instance itself.</summary>
internal enum QSegmentKind
{
    SubAttribute,
    ObservedAt,
    UnitCode,
    DatasetId,
    CreatedAt,
    ModifiedAt,
    ObjectType,
}

internal readonly record struct QSegment(QSegmentKind Kind, string Name);

/// <summary>Where a term starts: an attribute, or the entity's own <c>createdAt</c>/<c>modifiedAt</c>.</summary>
internal enum QRootKind
{
    Attribute,
    EntityCreatedAt,
    EntityModifiedAt,
}

/// <summary>A literal of a comparison: number, string (quoted, or an unquoted URI/DateTime), or boolean.</summary>
internal sealed class QLiteral
{
    public required JsonValueKind Kind { get; init; }

    public double Number { get; init; }

    public string? Text { get; init; }

    public bool Boolean { get; init; }

    /// <summary>For a string that is a term: the term expanded with the request context, matched against VocabProperty values.</summary>
    public string? VocabText { get; init; }

    /// <summary>The temporal reading of <see cref="Text"/>, or Kind None.</summary>
    public Temporal Temporal { get; init; }

    public override string ToString() => Kind switch
    {
        JsonValueKind.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        JsonValueKind.True or JsonValueKind.False => Boolean ? "true" : "false",
        _ => Text ?? "",
    };
}

/// <summary>
/// One comparison or existence test: <c>path op value</c>.
/// Multi-instance attributes (datasetIds) and multi-instance sub-attributes: the term holds when it holds for
/// ANY instance, for every operator including <c>!=</c> and <c>!~=</c> (an attribute with instances 1 and 2
/// satisfies <c>a!=1</c>). <c>!attr</c> holds when no instance resolves the path.
/// </summary>
internal sealed class QTerm : QNode
{
    public required QRootKind Root { get; init; }

    /// <summary>Expanded attribute name (for <see cref="QRootKind.Attribute"/>).</summary>
    public string Attribute { get; init; } = "";

    public QSegment[] Segments { get; init; } = [];

    /// <summary>The <c>[a.b]</c> path into the value (unexpanded member names; a language tag for LanguageProperty).</summary>
    public string[] ValuePath { get; init; } = [];

    public required QOperator Operator { get; init; }

    /// <summary>Alternatives for <c>==</c>/<c>!=</c> (a value list), or the single value.</summary>
    public QLiteral[] Values { get; init; } = [];

    /// <summary>Set for a range <c>lo..hi</c>: Values holds [lo, hi].</summary>
    public bool IsRange { get; init; }

    public Regex? Pattern { get; init; }

    public override bool Evaluate(Entity entity)
    {
        bool found;
        switch (Root)
        {
            case QRootKind.EntityCreatedAt:
                return Operator switch
                {
                    QOperator.Exists => true,
                    QOperator.NotExists => false,
                    _ => TestInstant(entity.CreatedAt),
                };
            case QRootKind.EntityModifiedAt:
                return Operator switch
                {
                    QOperator.Exists => true,
                    QOperator.NotExists => false,
                    _ => TestInstant(entity.ModifiedAt),
                };
            default:
                found = entity.Attributes.TryGetValue(Attribute, out var instances) && AnyInstance(instances, 0);
                return Operator == QOperator.NotExists ? !found : found;
        }
    }

    /// <summary>Whether some instance resolves the rest of the path (from segment <paramref name="index"/>) and passes.</summary>
    private bool AnyInstance(List<NgsiAttribute> instances, int index)
    {
        foreach (var instance in instances)
        {
            if (TestInstance(instance, index))
            {
                return true;
            }
        }
        return false;
    }

    private bool TestInstance(NgsiAttribute instance, int index)
    {
        if (index == Segments.Length)
        {
            return TestValue(instance);
        }
        var segment = Segments[index];
        switch (segment.Kind)
        {
            case QSegmentKind.SubAttribute:
                return instance.SubAttributes is { } subs && subs.TryGetValue(segment.Name, out var subInstances)
                    && AnyInstance(subInstances, index + 1);
            case QSegmentKind.ObservedAt:
                return instance.ObservedAt is { } observedAt && (IsExistence || TestString(observedAt));
            case QSegmentKind.UnitCode:
                return instance.UnitCode is { } unitCode && (IsExistence || TestString(unitCode));
            case QSegmentKind.DatasetId:
                return instance.DatasetId is { } datasetId && (IsExistence || TestString(datasetId));
            case QSegmentKind.CreatedAt:
                return instance.CreatedAt != default && (IsExistence || TestInstant(instance.CreatedAt));
            case QSegmentKind.ModifiedAt:
                return instance.ModifiedAt != default && (IsExistence || TestInstant(instance.ModifiedAt));
            case QSegmentKind.ObjectType:
                return instance.ObjectType is { } objectType && (IsExistence || TestNode(objectType, collection: objectType is JsonArray));
            default:
                return false;
        }
    }

    private bool IsExistence => Operator is QOperator.Exists or QOperator.NotExists;

    private bool TestValue(NgsiAttribute instance)
    {
        var node = instance.Value;
        if (node is null)
        {
            return false;
        }
        var path = ValuePath;
        var start = 0;
        if (instance.Kind == AttributeKind.LanguageProperty)
        {
            if (node is not JsonObject languageMap)
            {
                return false;
            }
            if (path.Length == 0 || path[0] == "*")
            {
                // Any language: the map's values form a collection (each may itself be an array of strings).
                return path.Length <= 1 && (IsExistence ? languageMap.Count > 0 : TestLanguageMap(languageMap));
            }
            node = FindLanguage(languageMap, path[0]);
            start = 1;
            if (node is null)
            {
                return false;
            }
        }
        for (var i = start; i < path.Length; i++)
        {
            node = Member(node, path[i]);
            if (node is null)
            {
                return false;
            }
        }
        if (IsExistence)
        {
            return true;
        }
        if (path.Length == 0 && AttributeKinds.IsRelationship(instance.Kind) && Operator is not (QOperator.Equal or QOperator.NotEqual))
        {
            // Relationship objects are URIs: only == and != can match.
            return false;
        }
        if (path.Length == 0 && instance.Kind == AttributeKind.VocabProperty && Operator is QOperator.Equal or QOperator.NotEqual && !IsRange)
        {
            var equal = VocabEquals(node);
            return Operator == QOperator.Equal ? equal : !equal;
        }
        return TestNode(node, collection: node is JsonArray);
    }

    /// <summary>A VocabProperty holds expanded IRIs: a literal matches as written or expanded (<c>category=="shop"</c>).</summary>
    private bool VocabEquals(JsonNode node)
    {
        if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                if (item is not null && VocabEquals(item))
                {
                    return true;
                }
            }
            return false;
        }
        if (!TryGetString(node, out var s))
        {
            return false;
        }
        foreach (var literal in Values)
        {
            if (literal.Kind == JsonValueKind.String && (literal.Text == s || literal.VocabText == s))
            {
                return true;
            }
        }
        return false;
    }

    private static JsonNode? FindLanguage(JsonObject languageMap, string tag)
    {
        if (languageMap.TryGetPropertyValue(tag, out var exact))
        {
            return exact;
        }
        foreach (var (key, value) in languageMap)
        {
            if (string.Equals(key, tag, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return null;
    }

    /// <summary>ECMA-style member access: an object member, or an index into an array.</summary>
    private static JsonNode? Member(JsonNode node, string name)
    {
        switch (node)
        {
            case JsonObject obj:
                return obj.TryGetPropertyValue(name, out var member) ? member : null;
            case JsonArray array:
                return int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < array.Count
                    ? array[index]
                    : null;
            default:
                return null;
        }
    }

    private bool TestLanguageMap(JsonObject languageMap)
    {
        // Like an array: positive operators need one matching string, negative ones need none.
        var negative = Operator is QOperator.NotEqual or QOperator.NotMatch;
        foreach (var (_, value) in languageMap)
        {
            if (value is JsonArray strings)
            {
                foreach (var item in strings)
                {
                    if (item is not null && PositiveScalar(item))
                    {
                        return !negative;
                    }
                }
            }
            else if (value is not null && PositiveScalar(value))
            {
                return !negative;
            }
        }
        return negative;
    }

    /// <summary>Tests a target node. An array target (list, ListRelationship, multi-object Relationship) matches <c>==</c>
    /// when it contains a value and <c>!=</c> when it contains none; ordering and regex operators need a single value.</summary>
    private bool TestNode(JsonNode node, bool collection)
    {
        if (!collection)
        {
            return Operator switch
            {
                QOperator.NotEqual => !PositiveScalar(node),
                QOperator.NotMatch => TryGetString(node, out var s) && !Pattern!.IsMatch(s),
                _ => PositiveScalar(node),
            };
        }
        var array = (JsonArray)node;
        switch (Operator)
        {
            case QOperator.Equal:
            case QOperator.NotEqual:
                var contains = false;
                foreach (var item in array)
                {
                    if (item is not null && PositiveScalar(item))
                    {
                        contains = true;
                        break;
                    }
                }
                return Operator == QOperator.Equal ? contains : !contains;
            default:
                return false;
        }
    }

    /// <summary>The positive form of the operator (<c>==</c> for <c>!=</c>, <c>~=</c> for <c>!~=</c>) on a single value.</summary>
    private bool PositiveScalar(JsonNode node)
    {
        if (node is JsonObject obj && obj.TryGetPropertyValue("@value", out var typed) && typed is not null)
        {
            node = typed;
        }
        if (node is not JsonValue value)
        {
            return false;
        }
        switch (Operator)
        {
            case QOperator.Match:
            case QOperator.NotMatch:
                return TryGetString(value, out var s) && Pattern!.IsMatch(s);
            default:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        if (Operator is QOperator.Equal or QOperator.NotEqual && !IsRange && !HasTemporalLiteral
                            && value.TryGetValue(out JsonElement element))
                        {
                            // Equality on parsed JSON without materializing the string.
                            foreach (var literal in Values)
                            {
                                if (literal.Kind == JsonValueKind.String && element.ValueEquals(literal.Text))
                                {
                                    return true;
                                }
                            }
                            return false;
                        }
                        return TryGetString(value, out var text) && PositiveString(text);
                    case JsonValueKind.Number:
                        return TryGetDouble(value, out var number) && PositiveCompare(number);
                    case JsonValueKind.True:
                        return PositiveBoolean(true);
                    case JsonValueKind.False:
                        return PositiveBoolean(false);
                    default:
                        return false;
                }
        }
    }

    private bool TestString(string s) => Operator switch
    {
        QOperator.NotEqual => !PositiveString(s),
        QOperator.Match => Pattern!.IsMatch(s),
        QOperator.NotMatch => !Pattern!.IsMatch(s),
        _ => PositiveString(s),
    };

    private bool TestInstant(DateTimeOffset instant)
    {
        var temporal = new Temporal(TemporalKind.DateTime, instant.UtcTicks);
        return Operator switch
        {
            QOperator.NotEqual => !PositiveCompare(temporal),
            QOperator.Match or QOperator.NotMatch => false,
            _ => PositiveCompare(temporal),
        };
    }

    private bool PositiveString(string s) => Satisfies(StringTarget(s));

    private bool PositiveCompare(double number) => Satisfies(new Scalar(ScalarKind.Number, number, null, default));

    private bool PositiveCompare(Temporal time) => Satisfies(new Scalar(ScalarKind.Temporal, 0, null, time));

    private bool PositiveBoolean(bool b) => Satisfies(new Scalar(ScalarKind.Boolean, b ? 1 : 0, null, default));

    private Scalar StringTarget(string s)
    {
        // Read the target as DateTime only when some literal is temporal (it is then compared temporally).
        Temporal time = default;
        if (HasTemporalLiteral)
        {
            QuerySyntax.TryParseTemporal(s, out time);
        }
        return new Scalar(ScalarKind.String, 0, s, time);
    }

    /// <summary>Whether some literal has a temporal reading (computed by the parser).</summary>
    public bool HasTemporalLiteral { get; init; }

    /// <summary>Applies the positive operator to a single target value.</summary>
    private bool Satisfies(in Scalar target)
    {
        var values = Values;
        switch (Operator)
        {
            case QOperator.Equal:
            case QOperator.NotEqual:
                if (IsRange)
                {
                    return Compare(target, values[0]) is >= 0 && Compare(target, values[1]) is <= 0;
                }
                foreach (var literal in values)
                {
                    if (Compare(target, literal) == 0)
                    {
                        return true;
                    }
                }
                return false;
            case QOperator.Greater:
                return Compare(target, values[0]) is > 0;
            case QOperator.GreaterOrEqual:
                return Compare(target, values[0]) is >= 0;
            case QOperator.Less:
                return Compare(target, values[0]) is < 0;
            case QOperator.LessOrEqual:
                return Compare(target, values[0]) is <= 0;
            default:
                return false;
        }
    }

    /// <summary>Compares a target with a literal; null when their types differ (no ordering, and unequal).</summary>
    private static int? Compare(in Scalar target, QLiteral literal)
    {
        switch (target.Kind)
        {
            case ScalarKind.Number:
                return literal.Kind == JsonValueKind.Number ? target.Number.CompareTo(literal.Number) : null;
            case ScalarKind.Boolean:
                return literal.Kind is JsonValueKind.True or JsonValueKind.False
                    ? ((target.Number != 0) == literal.Boolean ? 0 : 1)
                    : null;
            case ScalarKind.Temporal:
                return literal.Temporal.Kind == target.Time.Kind && target.Time.Kind != TemporalKind.None
                    ? target.Time.Ticks.CompareTo(literal.Temporal.Ticks)
                    : null;
            case ScalarKind.String:
                if (literal.Kind != JsonValueKind.String)
                {
                    return null;
                }
                if (literal.Temporal.Kind != TemporalKind.None && literal.Temporal.Kind == target.Time.Kind)
                {
                    return target.Time.Ticks.CompareTo(literal.Temporal.Ticks);
                }
                return Math.Sign(string.CompareOrdinal(target.Text, literal.Text));
            default:
                return null;
        }
    }

    private enum ScalarKind
    {
        Number,
        Boolean,
        String,
        Temporal,
    }

    /// <summary>A target value, read once and compared with each literal (a struct: no allocation per entity).</summary>
    private readonly record struct Scalar(ScalarKind Kind, double Number, string? Text, Temporal Time);

    private static bool TryGetString(JsonNode node, out string s)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.TryGetValue(out string? text))
        {
            s = text;
            return true;
        }
        s = "";
        return false;
    }

    private static bool TryGetDouble(JsonValue value, out double number)
    {
        if (value.TryGetValue(out number))
        {
            return true;
        }
        if (value.TryGetValue(out long l))
        {
            number = l;
            return true;
        }
        if (value.TryGetValue(out int i))
        {
            number = i;
            return true;
        }
        if (value.TryGetValue(out decimal m))
        {
            number = (double)m;
            return true;
        }
        if (value.TryGetValue(out float f))
        {
            number = f;
            return true;
        }
        return false;
    }
}
