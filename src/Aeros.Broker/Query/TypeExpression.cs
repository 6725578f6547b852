using Aeros.Broker.Errors;

namespace Aeros.Broker.Query;

/// <summary>A parsed entity type selection (<c>type=A,B</c>, <c>(A;B)|C</c>; ETSI GS CIM 009 §4.17).</summary>
/// <remarks>
/// <c>,</c> and <c>|</c> are OR, <c>;</c> is AND and binds tighter; parentheses group (nesting is accepted).
/// Each name is a term (<c>Building</c>, <c>ex:Building</c>) or a full IRI, expanded with the caller's function.
/// <c>*</c> alone selects every type (1.9).
/// </remarks>
internal sealed class TypeExpression
{
    private readonly Node _root;
    private readonly string[] _allTypes;

    private TypeExpression(string text, Node root, string[] allTypes, bool isSimpleDisjunction)
    {
        Text = text;
        _root = root;
        _allTypes = allTypes;
        IsSimpleDisjunction = isSimpleDisjunction;
    }

    /// <summary>The text it was parsed from.</summary>
    public string Text { get; }

    /// <summary>Whether the expression is <c>*</c>: every entity matches, <see cref="AllTypes"/> is empty.</summary>
    public bool IsWildcard => _root is AnyNode;

    /// <summary>Parses a type expression, expanding each name; throws NgsiLdException BadRequestData.</summary>
    public static TypeExpression Parse(string text, Func<string, string> expandType)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(expandType);
        if (text.Trim() == "*")
        {
            return new TypeExpression(text, new AnyNode(), [], isSimpleDisjunction: false);
        }
        var parser = new Parser(text, expandType);
        var root = parser.Parse();
        var simple = root is NameNode || (root is OrNode or && Array.TrueForAll(or.Operands, o => o is NameNode));
        return new TypeExpression(text, root, [.. parser.Names], simple);
    }

    /// <summary>Every (expanded) type named anywhere in the expression.</summary>
    public IReadOnlyList<string> AllTypes => _allTypes;

    /// <summary>True when the expression is a plain OR of types (so a store can select by any of <see cref="AllTypes"/>).</summary>
    public bool IsSimpleDisjunction { get; }

    /// <summary>Whether an entity with these (expanded) types matches.</summary>
    public bool Matches(IReadOnlyList<string> types)
    {
        ArgumentNullException.ThrowIfNull(types);
        return _root.Matches(types);
    }

    public override string ToString() => Text;

    private abstract class Node
    {
        public abstract bool Matches(IReadOnlyList<string> types);
    }

    private sealed class AnyNode : Node
    {
        public override bool Matches(IReadOnlyList<string> types) => true;
    }

    private sealed class NameNode(string type) : Node
    {
        public override bool Matches(IReadOnlyList<string> types)
        {
            for (var i = 0; i < types.Count; i++)
            {
                if (string.Equals(types[i], type, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private sealed class AndNode(Node[] operands) : Node
    {
        public override bool Matches(IReadOnlyList<string> types)
        {
            foreach (var operand in operands)
            {
                if (!operand.Matches(types))
                {
                    return false;
                }
            }
            return true;
        }
    }

    private sealed class OrNode(Node[] operands) : Node
    {
        public Node[] Operands => operands;

        public override bool Matches(IReadOnlyList<string> types)
        {
            foreach (var operand in operands)
            {
                if (operand.Matches(types))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private sealed class Parser(string text, Func<string, string> expand)
    {
        private int _pos;
        private int _depth;

        public List<string> Names { get; } = [];

        public Node Parse()
        {
            SkipSpaces();
            if (_pos >= text.Length)
            {
                throw Error("the type selection is empty");
            }
            var root = ParseOr();
            SkipSpaces();
            if (_pos < text.Length)
            {
                throw Error(text[_pos] == ')' ? "unbalanced ')'" : $"unexpected '{text[_pos]}'");
            }
            return root;
        }

        private NgsiLdException Error(string what) =>
            NgsiLdException.BadRequestData($"Invalid type selection '{text}': {what} at position {Math.Min(_pos, text.Length)}.");

        private void SkipSpaces()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private Node ParseOr()
        {
            var operands = new List<Node> { ParseAnd() };
            SkipSpaces();
            while (_pos < text.Length && text[_pos] is ',' or '|')
            {
                _pos++;
                operands.Add(ParseAnd());
                SkipSpaces();
            }
            return operands.Count == 1 ? operands[0] : new OrNode([.. operands]);
        }

        private Node ParseAnd()
        {
            var operands = new List<Node> { ParsePrimary() };
            SkipSpaces();
            while (_pos < text.Length && text[_pos] == ';')
            {
                _pos++;
                operands.Add(ParsePrimary());
                SkipSpaces();
            }
            return operands.Count == 1 ? operands[0] : new AndNode([.. operands]);
        }

        private Node ParsePrimary()
        {
            SkipSpaces();
            if (_pos >= text.Length)
            {
                throw Error("a type name is missing");
            }
            if (text[_pos] == '(')
            {
                if (++_depth > 32)
                {
                    throw Error("parentheses are nested too deeply");
                }
                _pos++;
                var inner = ParseOr();
                SkipSpaces();
                if (_pos >= text.Length || text[_pos] != ')')
                {
                    throw Error("unbalanced '(' (missing ')')");
                }
                _pos++;
                _depth--;
                return inner;
            }
            var start = _pos;
            while (_pos < text.Length && !char.IsWhiteSpace(text[_pos]) && text[_pos] is not (',' or '|' or ';' or '(' or ')'))
            {
                _pos++;
            }
            var name = text[start.._pos];
            if (name.Length == 0)
            {
                throw Error($"a type name is expected, found '{text[_pos]}'");
            }
            if (!QuerySyntax.IsNameOrUri(name))
            {
                _pos = start;
                throw Error($"'{name}' is not a valid type name");
            }
            var expanded = expand(name);
            if (!Names.Contains(expanded))
            {
                Names.Add(expanded);
            }
            return new NameNode(expanded);
        }
    }
}
