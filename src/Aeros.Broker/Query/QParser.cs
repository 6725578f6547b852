using System.Globalization;
using System.Text.Json;
using Aeros.Broker.Errors;

namespace Aeros.Broker.Query;

/// <summary>
/// Recursive-descent parser for <c>q</c>: <c>Or = And *("|" And)</c>, <c>And = Primary *(";" Primary)</c>,
/// <c>Primary = "(" Or ")" / Term</c>. Whitespace between tokens is ignored (a client's <c>+</c> arrives as a space);
/// inside unquoted values and regular expressions a space is read back as <c>+</c> (time zone offsets, quantifiers).
/// </summary>
internal sealed class QParser(string text, Func<string, string> expandName)
{
    private const int MaxDepth = 64;

    private static readonly Dictionary<string, QSegmentKind> SystemMembers = new(StringComparer.Ordinal)
    {
        ["observedAt"] = QSegmentKind.ObservedAt,
        ["unitCode"] = QSegmentKind.UnitCode,
        ["datasetId"] = QSegmentKind.DatasetId,
        ["createdAt"] = QSegmentKind.CreatedAt,
        ["modifiedAt"] = QSegmentKind.ModifiedAt,
        ["objectType"] = QSegmentKind.ObjectType,
    };

    private int _pos;
    private int _depth;

    public QNode ParseQuery()
    {
        SkipSpaces();
        if (AtEnd)
        {
            throw Error("the query is empty");
        }
        var node = ParseOr();
        SkipSpaces();
        if (!AtEnd)
        {
            throw Peek == ')' ? Error("unbalanced ')'") : Error($"unexpected '{Peek}'");
        }
        return node;
    }

    private bool AtEnd => _pos >= text.Length;

    private char Peek => text[_pos];

    private NgsiLdException Error(string what) =>
        NgsiLdException.BadRequestData($"Invalid q '{text}': {what} at position {Math.Min(_pos, text.Length)}.");

    private void SkipSpaces()
    {
        while (!AtEnd && char.IsWhiteSpace(Peek))
        {
            _pos++;
        }
    }

    // ';' (and) binds tighter than '|' (or): an or-list of and-lists of primaries.
    private QNode ParseOr() => ParseList('|', ParseAnd, operands => new QOr(operands));

    private QNode ParseAnd() => ParseList(';', ParsePrimary, operands => new QAnd(operands));

    /// <summary>Parses <c>operand (separator operand)*</c>; a single operand is returned as it is.</summary>
    private QNode ParseList(char separator, Func<QNode> operand, Func<QNode[], QNode> combine)
    {
        var first = operand();
        SkipSpaces();
        if (AtEnd || Peek != separator)
        {
            return first;
        }
        var operands = new List<QNode> { first };
        while (!AtEnd && Peek == separator)
        {
            _pos++;
            operands.Add(operand());
            SkipSpaces();
        }
        return combine([.. operands]);
    }

    private QNode ParsePrimary()
    {
        SkipSpaces();
        if (AtEnd)
        {
            throw Error("a term is missing (trailing operator?)");
        }
        if (Peek == '(')
        {
            if (++_depth > MaxDepth)
            {
                throw Error("parentheses are nested too deeply");
            }
            _pos++;
            var inner = ParseOr();
            SkipSpaces();
            if (AtEnd || Peek != ')')
            {
                throw Error("unbalanced '(' (missing ')')");
            }
            _pos++;
            _depth--;
            return inner;
        }
        return ParseTerm();
    }

    private QTerm ParseTerm()
    {
        var negated = false;
        if (Peek == '!')
        {
            negated = true;
            _pos++;
            SkipSpaces();
        }
        var start = _pos;
        while (!AtEnd && !IsPathDelimiter(Peek))
        {
            _pos++;
        }
        var rawPath = text[start.._pos];
        if (rawPath.Length == 0)
        {
            throw AtEnd ? Error("an attribute name is missing") : Error($"an attribute name is expected, found '{Peek}'");
        }
        var (root, attribute, segments) = ParsePath(rawPath, start);
        var valuePath = ParseValuePath();
        if (!AtEnd && Peek == '{')
        {
            throw Error("linked-entity filters 'attr{…}' are not supported");
        }
        SkipSpaces();
        var op = ParseOperator();
        if (negated && op != QOperator.Exists)
        {
            throw Error("'!' (not exists) cannot be combined with a comparison");
        }
        if (op == QOperator.Exists)
        {
            return new QTerm
            {
                Root = root,
                Attribute = attribute,
                Segments = segments,
                ValuePath = valuePath,
                Operator = negated ? QOperator.NotExists : QOperator.Exists,
            };
        }
        if (op is QOperator.Match or QOperator.NotMatch)
        {
            var pattern = ParseRegex();
            return new QTerm
            {
                Root = root,
                Attribute = attribute,
                Segments = segments,
                ValuePath = valuePath,
                Operator = op,
                Pattern = QuerySyntax.CreateRegex(pattern, $"q '{text}'"),
            };
        }
        var (values, isRange) = ParseValues(op);
        var hasTemporal = false;
        foreach (var value in values)
        {
            hasTemporal |= value.Temporal.Kind != TemporalKind.None;
        }
        return new QTerm
        {
            Root = root,
            Attribute = attribute,
            Segments = segments,
            ValuePath = valuePath,
            Operator = op,
            Values = values,
            IsRange = isRange,
            HasTemporalLiteral = hasTemporal,
        };
    }

    private static bool IsPathDelimiter(char c) =>
        char.IsWhiteSpace(c) || c is '=' or '!' or '<' or '>' or '~' or ';' or '|' or '(' or ')' or '[' or ']' or '{' or '}' or ',' or '"';

    /// <summary>
    /// Splits <c>attr.sub.observedAt</c>. A full IRI as attribute keeps its dots up to the last <c>/</c>, <c>#</c>
    /// (or <c>:</c> for URNs); dots after it separate sub-attributes.
    /// </summary>
    private (QRootKind Root, string Attribute, QSegment[] Segments) ParsePath(string rawPath, int start)
    {
        string attributeName;
        string rest;
        if (QuerySyntax.LooksLikeFullUri(rawPath))
        {
            var cut = rawPath.StartsWith("urn:", StringComparison.OrdinalIgnoreCase)
                ? rawPath.LastIndexOf(':')
                : rawPath.LastIndexOfAny(['/', '#']);
            var dot = rawPath.IndexOf('.', cut + 1);
            attributeName = dot < 0 ? rawPath : rawPath[..dot];
            rest = dot < 0 ? "" : rawPath[(dot + 1)..];
            if (!QuerySyntax.IsAbsoluteUri(attributeName))
            {
                throw NgsiLdException.BadRequestData($"Invalid q '{text}': '{attributeName}' is not a valid attribute IRI at position {start}.");
            }
        }
        else
        {
            var dot = rawPath.IndexOf('.');
            attributeName = dot < 0 ? rawPath : rawPath[..dot];
            rest = dot < 0 ? "" : rawPath[(dot + 1)..];
            if (!QuerySyntax.IsPrefixedName(attributeName))
            {
                throw NgsiLdException.BadRequestData($"Invalid q '{text}': '{attributeName}' is not a valid attribute name at position {start}.");
            }
        }

        var root = QRootKind.Attribute;
        if (attributeName == "createdAt")
        {
            root = QRootKind.EntityCreatedAt;
        }
        else if (attributeName == "modifiedAt")
        {
            root = QRootKind.EntityModifiedAt;
        }
        if (rest.Length == 0 && rawPath.EndsWith('.'))
        {
            throw NgsiLdException.BadRequestData($"Invalid q '{text}': path '{rawPath}' ends with '.' at position {start}.");
        }
        if (rest.Length == 0)
        {
            return (root, root == QRootKind.Attribute ? expandName(attributeName) : attributeName, []);
        }
        if (root != QRootKind.Attribute)
        {
            throw NgsiLdException.BadRequestData($"Invalid q '{text}': the entity's '{attributeName}' has no members ('{rawPath}').");
        }
        var parts = rest.Split('.');
        var segments = new QSegment[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (SystemMembers.TryGetValue(part, out var kind))
            {
                if (i != parts.Length - 1)
                {
                    throw NgsiLdException.BadRequestData($"Invalid q '{text}': '{part}' must be the last element of path '{rawPath}'.");
                }
                segments[i] = new QSegment(kind, part);
            }
            else if (QuerySyntax.IsPrefixedName(part))
            {
                segments[i] = new QSegment(QSegmentKind.SubAttribute, expandName(part));
            }
            else
            {
                throw NgsiLdException.BadRequestData($"Invalid q '{text}': '{part}' is not a valid sub-attribute name in path '{rawPath}'.");
            }
        }
        return (root, expandName(attributeName), segments);
    }

    /// <summary>Parses <c>[a.b]</c> (repeatable: <c>[a][b]</c>); member names are not expanded.</summary>
    private string[] ParseValuePath()
    {
        List<string>? path = null;
        while (!AtEnd && Peek == '[')
        {
            var open = _pos;
            var close = text.IndexOf(']', open + 1);
            if (close < 0)
            {
                throw Error("unbalanced '[' (missing ']')");
            }
            var inner = text[(open + 1)..close];
            if (inner.Contains('[', StringComparison.Ordinal))
            {
                throw Error("nested '[' in a value path");
            }
            foreach (var raw in inner.Split('.'))
            {
                var member = raw.Trim();
                if (member.Length == 0 || member.Any(c => char.IsWhiteSpace(c) || c is '"' or ';' or '|' or '(' or ')'))
                {
                    throw Error($"invalid member '{raw}' in value path '[{inner}]'");
                }
                (path ??= []).Add(member);
            }
            _pos = close + 1;
        }
        if (!AtEnd && Peek == ']')
        {
            throw Error("unbalanced ']'");
        }
        return path is null ? [] : [.. path];
    }

    private QOperator ParseOperator()
    {
        if (AtEnd || Peek is ';' or '|' or ')')
        {
            return QOperator.Exists;
        }
        var remaining = text.AsSpan(_pos);
        (QOperator Op, int Length) found = remaining switch
        {
            _ when remaining.StartsWith("==") => (QOperator.Equal, 2),
            _ when remaining.StartsWith("!=") => (QOperator.NotEqual, 2),
            _ when remaining.StartsWith(">=") => (QOperator.GreaterOrEqual, 2),
            _ when remaining.StartsWith("<=") => (QOperator.LessOrEqual, 2),
            _ when remaining.StartsWith("~=") => (QOperator.Match, 2),
            _ when remaining.StartsWith("!~=") => (QOperator.NotMatch, 3),
            _ when remaining.StartsWith(">") => (QOperator.Greater, 1),
            _ when remaining.StartsWith("<") => (QOperator.Less, 1),
            _ => (QOperator.Exists, 0),
        };
        if (found.Length == 0)
        {
            throw Error($"unknown operator or unexpected '{Peek}' (expected ==, !=, >, >=, <, <=, ~=, !~=, ';', '|' or ')')");
        }
        _pos += found.Length;
        return found.Op;
    }

    private (QLiteral[] Values, bool IsRange) ParseValues(QOperator op)
    {
        var first = ParseLiteral();
        SkipSpaces();
        if (!AtEnd && text.AsSpan(_pos).StartsWith(".."))
        {
            _pos += 2;
            var second = ParseLiteral();
            if (op is not (QOperator.Equal or QOperator.NotEqual))
            {
                throw Error("a range 'a..b' is allowed only with == and !=");
            }
            if (!IsComparable(first) || !IsComparable(second) || RangeKind(first) != RangeKind(second))
            {
                throw Error("a range needs two numbers, two strings or two DateTimes");
            }
            return ([first, second], true);
        }
        if (!AtEnd && Peek == ',')
        {
            if (op is not (QOperator.Equal or QOperator.NotEqual))
            {
                throw Error("a value list 'a,b' is allowed only with == and !=");
            }
            var list = new List<QLiteral> { first };
            while (!AtEnd && Peek == ',')
            {
                _pos++;
                list.Add(ParseLiteral());
                SkipSpaces();
            }
            return ([.. list], false);
        }
        if (op is not (QOperator.Equal or QOperator.NotEqual) && !IsComparable(first))
        {
            throw Error($"'{first}' cannot be used with an ordering operator");
        }
        return ([first], false);
    }

    private static bool IsComparable(QLiteral literal) => literal.Kind is JsonValueKind.Number or JsonValueKind.String;

    private static int RangeKind(QLiteral literal) =>
        literal.Kind == JsonValueKind.Number ? 0 : literal.Temporal.Kind != TemporalKind.None ? 1 + (int)literal.Temporal.Kind : 9;

    private QLiteral ParseLiteral()
    {
        SkipSpaces();
        if (AtEnd || Peek is ';' or '|' or ')' or ',')
        {
            throw Error("a value is missing");
        }
        if (Peek == '"')
        {
            var s = ParseQuotedString();
            QuerySyntax.TryParseTemporal(s, out var temporal);
            return new QLiteral
            {
                Kind = JsonValueKind.String,
                Text = s,
                Temporal = temporal,
                VocabText = QuerySyntax.IsPrefixedName(s) ? expandName(s) : null,
            };
        }
        var start = _pos;
        while (!AtEnd && Peek is not (';' or '|' or ')' or ',' or '"') && !text.AsSpan(_pos).StartsWith(".."))
        {
            _pos++;
        }
        var raw = text[start.._pos].Trim();
        if (raw.Length == 0)
        {
            throw Error("a value is missing");
        }
        if (ClassifyUnquoted(raw) is { } literal)
        {
            return literal;
        }
        // A '+' of the client (time zone offset, exponent) arrives as a space.
        if (raw.Any(char.IsWhiteSpace) && ClassifyUnquoted(raw.Replace(' ', '+')) is { } repaired
            && (repaired.Kind != JsonValueKind.String || repaired.Temporal.Kind != TemporalKind.None))
        {
            return repaired;
        }
        throw NgsiLdException.BadRequestData(
            $"Invalid q '{text}': '{raw}' at position {start} is not a valid value (strings must be in double quotes; numbers, true/false, DateTimes and URIs may be unquoted).");
    }

    private static QLiteral? ClassifyUnquoted(string raw)
    {
        switch (raw)
        {
            case "true":
                return new QLiteral { Kind = JsonValueKind.True, Boolean = true };
            case "false":
                return new QLiteral { Kind = JsonValueKind.False, Boolean = false };
        }
        if (IsJsonNumber(raw) && double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return new QLiteral { Kind = JsonValueKind.Number, Number = number };
        }
        if (QuerySyntax.TryParseTemporal(raw, out var temporal))
        {
            return new QLiteral { Kind = JsonValueKind.String, Text = raw, Temporal = temporal };
        }
        if (QuerySyntax.IsAbsoluteUri(raw))
        {
            return new QLiteral { Kind = JsonValueKind.String, Text = raw };
        }
        return null;
    }

    /// <summary>RFC 8259 number: <c>-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?</c>.</summary>
    private static bool IsJsonNumber(ReadOnlySpan<char> s)
    {
        var i = 0;
        if (i < s.Length && s[i] == '-')
        {
            i++;
        }
        if (i >= s.Length || !char.IsAsciiDigit(s[i]))
        {
            return false;
        }
        if (s[i] == '0')
        {
            i++;
        }
        else
        {
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
        }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            var digits = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            if (i == digits)
            {
                return false;
            }
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-')
            {
                i++;
            }
            var digits = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            if (i == digits)
            {
                return false;
            }
        }
        return i == s.Length;
    }

    private string ParseQuotedString()
    {
        var start = _pos;
        _pos++;
        while (!AtEnd && Peek != '"')
        {
            _pos += Peek == '\\' ? 2 : 1;
        }
        if (AtEnd)
        {
            _pos = start;
            throw Error("unterminated string");
        }
        _pos++;
        try
        {
            return JsonSerializer.Deserialize<string>(text.AsSpan(start, _pos - start))!;
        }
        catch (JsonException)
        {
            _pos = start;
            throw Error("invalid escape in string");
        }
    }

    /// <summary>
    /// A regular expression: a JSON string, or raw text up to the end of the term — a ';', '|' or ')' outside the
    /// pattern's own parentheses and bracket expressions (a top-level '|' in a pattern therefore needs a group or quotes).
    /// </summary>
    private string ParseRegex()
    {
        SkipSpaces();
        if (!AtEnd && Peek == '"')
        {
            return ParseQuotedString();
        }
        var start = _pos;
        var depth = 0;
        var classStart = -1;
        while (!AtEnd)
        {
            var c = Peek;
            if (c == '\\')
            {
                _pos += 2;
                continue;
            }
            if (classStart >= 0)
            {
                // A ']' right after '[' or '[^' is a literal member of the bracket expression.
                var first = text[classStart + 1] == '^' ? classStart + 2 : classStart + 1;
                if (c == ']' && _pos > first)
                {
                    classStart = -1;
                }
            }
            else if (c == '[')
            {
                classStart = _pos;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                if (depth == 0)
                {
                    break;
                }
                depth--;
            }
            else if (c is ';' or '|' && depth == 0)
            {
                break;
            }
            _pos++;
        }
        _pos = Math.Min(_pos, text.Length);
        var pattern = text[start.._pos].Replace(' ', '+');
        if (pattern.Length == 0)
        {
            throw Error("a regular expression is missing");
        }
        return pattern;
    }
}
