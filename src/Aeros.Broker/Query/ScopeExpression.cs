using Aeros.Broker.Errors;

namespace Aeros.Broker.Query;

/// <summary>A parsed <c>scopeQ</c> (ETSI GS CIM 009 §4.19).</summary>
/// <remarks>
/// <c>ScopesQ = OrScopeQ *(("|" / ",") OrScopeQ) / "/#"</c>; <c>OrScopeQ = "(" ScopeQ *(";" ScopeQ) ")" / ScopeQ ["/#"]</c>.
/// A level <c>+</c> matches exactly one level, a trailing <c>/#</c> the scope and everything below it, a lone
/// <c>/#</c> any non-empty scope. A level that is only spaces is read as <c>+</c>: the client's <c>+</c> reaches us as
/// a space. <c>/#</c> is also accepted inside parentheses.
/// </remarks>
internal sealed class ScopeExpression
{
    /// <summary>An OR of ANDs of patterns; empty = "any non-empty scope" (<c>/#</c>).</summary>
    private readonly ScopePattern[][] _alternatives;

    private ScopeExpression(string text, ScopePattern[][] alternatives)
    {
        Text = text;
        _alternatives = alternatives;
    }

    /// <summary>The text it was parsed from.</summary>
    public string Text { get; }

    /// <summary>The alternatives (OR), each a set of patterns that must all match (AND); empty for a lone <c>/#</c>.</summary>
    public IReadOnlyList<IReadOnlyList<ScopePattern>> Alternatives => _alternatives;

    /// <summary>Parses a scopeQ; throws NgsiLdException BadRequestData on bad syntax.</summary>
    public static ScopeExpression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = RestorePlus(text).Trim();
        if (trimmed.Length == 0)
        {
            throw Error(text, "the scopeQ is empty");
        }
        if (trimmed == "/#")
        {
            return new ScopeExpression(text, []);
        }
        var alternatives = new List<ScopePattern[]>();
        foreach (var rawAlternative in SplitTopLevel(text, trimmed))
        {
            var alternative = rawAlternative.Trim();
            if (alternative.Length == 0)
            {
                throw Error(text, "an empty element (separator at the start or end, or doubled)");
            }
            if (alternative[0] == '(')
            {
                if (alternative[^1] != ')')
                {
                    throw Error(text, $"unbalanced parentheses in '{alternative}'");
                }
                var inner = alternative[1..^1];
                if (inner.Contains('(', StringComparison.Ordinal) || inner.Contains(')', StringComparison.Ordinal))
                {
                    throw Error(text, $"nested parentheses in '{alternative}'");
                }
                var parts = inner.Split(';');
                var patterns = new ScopePattern[parts.Length];
                for (var i = 0; i < parts.Length; i++)
                {
                    patterns[i] = ParsePattern(text, parts[i]);
                }
                alternatives.Add(patterns);
            }
            else
            {
                if (alternative.Contains(';', StringComparison.Ordinal))
                {
                    throw Error(text, "';' (AND) is allowed only inside parentheses");
                }
                if (alternative.Contains(')', StringComparison.Ordinal))
                {
                    throw Error(text, "unbalanced ')'");
                }
                alternatives.Add([ParsePattern(text, alternative)]);
            }
        }
        return new ScopeExpression(text, [.. alternatives]);
    }

    /// <summary>A space standing alone as a level (<c>/a/ /b</c>) was a client's <c>+</c>.</summary>
    private static string RestorePlus(string text)
    {
        if (!text.Contains(' ', StringComparison.Ordinal))
        {
            return text;
        }
        var chars = text.ToCharArray();
        for (var i = 1; i < chars.Length; i++)
        {
            if (chars[i] == ' ' && chars[i - 1] == '/' && (i + 1 == chars.Length || chars[i + 1] is '/' or ',' or '|' or ';' or ')'))
            {
                chars[i] = '+';
            }
        }
        return new string(chars);
    }

    private static List<string> SplitTopLevel(string text, string trimmed)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < trimmed.Length; i++)
        {
            switch (trimmed[i])
            {
                case '(':
                    depth++;
                    if (depth > 1)
                    {
                        throw Error(text, "nested parentheses");
                    }
                    break;
                case ')':
                    if (--depth < 0)
                    {
                        throw Error(text, "unbalanced ')'");
                    }
                    break;
                case ',' or '|' when depth == 0:
                    parts.Add(trimmed[start..i]);
                    start = i + 1;
                    break;
            }
        }
        if (depth != 0)
        {
            throw Error(text, "unbalanced '('");
        }
        parts.Add(trimmed[start..]);
        return parts;
    }

    private static ScopePattern ParsePattern(string text, string raw)
    {
        var pattern = raw.Trim();
        if (pattern.Length == 0)
        {
            throw Error(text, "an empty scope");
        }
        if (pattern[0] != '/')
        {
            throw Error(text, $"'{pattern}' does not start with '/'");
        }
        var subtree = false;
        if (pattern.EndsWith("/#", StringComparison.Ordinal))
        {
            subtree = true;
            pattern = pattern[..^2];
            if (pattern.Length == 0)
            {
                throw Error(text, "'/#' must stand alone or follow a scope");
            }
        }
        var levels = pattern[1..].Split('/');
        foreach (var level in levels)
        {
            if (level != "+" && !QuerySyntax.IsName(level))
            {
                throw Error(text, $"'{level}' is not a valid scope level in '{raw.Trim()}'");
            }
        }
        return new ScopePattern(levels, subtree);
    }

    private static NgsiLdException Error(string text, string what) =>
        NgsiLdException.BadRequestData($"Invalid scopeQ '{text}': {what}.");

    /// <summary>Whether an entity with these scopes (null = none) matches.</summary>
    public bool Matches(IReadOnlyList<string>? scopes)
    {
        if (scopes is null || scopes.Count == 0)
        {
            return false;
        }
        if (_alternatives.Length == 0)
        {
            return true;
        }
        foreach (var all in _alternatives)
        {
            var allMatch = true;
            foreach (var pattern in all)
            {
                if (!AnyScopeMatches(pattern, scopes))
                {
                    allMatch = false;
                    break;
                }
            }
            if (allMatch)
            {
                return true;
            }
        }
        return false;
    }

    private static bool AnyScopeMatches(ScopePattern pattern, IReadOnlyList<string> scopes)
    {
        for (var i = 0; i < scopes.Count; i++)
        {
            if (pattern.Matches(scopes[i]))
            {
                return true;
            }
        }
        return false;
    }

    public override string ToString() => Text;

    /// <summary>One scope pattern: levels (<c>+</c> = any one level) and whether the subtree below also matches.</summary>
    internal sealed class ScopePattern(string[] levels, bool subtree)
    {
        /// <summary>The levels after the leading <c>/</c>; <c>+</c> stands for any one level.</summary>
        public IReadOnlyList<string> Levels => levels;

        /// <summary>Whether the scopes below (<c>/#</c>) match too.</summary>
        public bool Subtree => subtree;

        public bool Matches(string scope)
        {
            var rest = scope.AsSpan();
            if (rest.IsEmpty || rest[0] != '/')
            {
                return false;
            }
            rest = rest[1..];
            foreach (var level in levels)
            {
                if (rest.IsEmpty)
                {
                    return false;
                }
                var slash = rest.IndexOf('/');
                var actual = slash < 0 ? rest : rest[..slash];
                if (actual.IsEmpty || (level != "+" && !actual.SequenceEqual(level)))
                {
                    return false;
                }
                rest = slash < 0 ? [] : rest[slash..];
                if (!rest.IsEmpty)
                {
                    rest = rest[1..];
                    if (rest.IsEmpty)
                    {
                        return false;
                    }
                }
            }
            return rest.IsEmpty || subtree;
        }
    }
}
