using Aeros.Broker.Errors;

namespace Aeros.Broker.Query;

/// <summary>
/// A parsed <c>pick</c>/<c>omit</c> projection (ETSI GS CIM 009 §4.21): which entity members a response keeps.
/// The special members <c>id</c>, <c>type</c> and <c>scope</c> are kept as written; attribute names are expanded.
/// </summary>
/// <remarks>
/// Grammar: <c>ProjectionTerm = AttrName ["{" ProjectionTerm "}"] *(("," / "|") ProjectionTerm)</c>. Braces
/// (projection of linked entities, used with <c>join</c>) are validated but not applied: the linked attribute
/// itself is kept or removed as a whole.
/// </remarks>
internal sealed class Projection
{
    private static readonly HashSet<string> SpecialMembers = new(StringComparer.Ordinal) { "id", "type", "scope" };

    private readonly HashSet<string>? _pick;
    private readonly HashSet<string>? _omit;

    private Projection(HashSet<string>? pick, HashSet<string>? omit)
    {
        _pick = pick;
        _omit = omit;
    }

    /// <summary>The members kept (special members and expanded attribute names), or null without <c>pick</c>.</summary>
    public IReadOnlyCollection<string>? Picked => _pick;

    /// <summary>The members removed, or null without <c>omit</c>.</summary>
    public IReadOnlyCollection<string>? Omitted => _omit;

    /// <summary>
    /// Parses <c>pick</c> and <c>omit</c> (either may be null); null when both are absent.
    /// Throws NgsiLdException BadRequestData on bad syntax or when a member is both picked and omitted.
    /// </summary>
    public static Projection? Parse(string? pick, string? omit, Func<string, string> expandName)
    {
        ArgumentNullException.ThrowIfNull(expandName);
        if (pick is null && omit is null)
        {
            return null;
        }
        var picked = pick is null ? null : ParseList("pick", pick, expandName);
        var omitted = omit is null ? null : ParseList("omit", omit, expandName);
        if (picked is not null && omitted is not null)
        {
            foreach (var member in picked)
            {
                if (omitted.Contains(member))
                {
                    throw NgsiLdException.BadRequestData($"'{member}' is both in pick ('{pick}') and in omit ('{omit}').");
                }
            }
        }
        return new Projection(picked, omitted);
    }

    /// <summary>
    /// Whether the member stays in the response: <c>id</c>, <c>type</c>, <c>scope</c> or an expanded attribute name.
    /// </summary>
    public bool Includes(string memberOrExpandedAttributeName) =>
        (_pick is null || _pick.Contains(memberOrExpandedAttributeName))
        && (_omit is null || !_omit.Contains(memberOrExpandedAttributeName));

    private static HashSet<string> ParseList(string parameter, string text, Func<string, string> expandName)
    {
        var members = new HashSet<string>(StringComparer.Ordinal);
        var parser = new TermParser(parameter, text);
        foreach (var name in parser.ParseTopLevel())
        {
            members.Add(SpecialMembers.Contains(name) ? name : expandName(name));
        }
        return members;
    }

    /// <summary>Validates the whole term list (including braces) and returns the top-level names.</summary>
    private sealed class TermParser(string parameter, string text)
    {
        private int _pos;

        public List<string> ParseTopLevel()
        {
            if (text.Contains(';', StringComparison.Ordinal))
            {
                throw Error("';' is not allowed (use ',' or '|')");
            }
            var names = ParseList(depth: 0);
            SkipSpaces();
            if (_pos < text.Length)
            {
                throw Error(text[_pos] == '}' ? "unbalanced '}'" : $"unexpected '{text[_pos]}'");
            }
            return names;
        }

        private NgsiLdException Error(string what) =>
            NgsiLdException.BadRequestData($"Invalid {parameter} '{text}': {what} at position {Math.Min(_pos, text.Length)}.");

        private void SkipSpaces()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private List<string> ParseList(int depth)
        {
            var names = new List<string> { ParseTerm(depth) };
            SkipSpaces();
            while (_pos < text.Length && text[_pos] is ',' or '|')
            {
                _pos++;
                names.Add(ParseTerm(depth));
                SkipSpaces();
            }
            return names;
        }

        private string ParseTerm(int depth)
        {
            SkipSpaces();
            var start = _pos;
            while (_pos < text.Length && !char.IsWhiteSpace(text[_pos]) && text[_pos] is not (',' or '|' or '{' or '}'))
            {
                _pos++;
            }
            var name = text[start.._pos];
            if (name.Length == 0)
            {
                if (_pos >= text.Length)
                {
                    throw Error("an element is missing (empty list or trailing separator)");
                }
                throw text[_pos] switch
                {
                    ',' or '|' => Error("an empty element (leading or doubled separator)"),
                    '{' => Error(depth > 0 && _pos > 0 && text[_pos - 1] == '{' ? "double braces" : "'{' must follow an attribute name"),
                    '}' => Error(_pos > 0 && text[_pos - 1] == '{' ? "empty braces" : "an element is missing before '}'"),
                    _ => Error($"unexpected '{text[_pos]}'"),
                };
            }
            if (!QuerySyntax.IsNameOrUri(name))
            {
                _pos = start;
                throw Error($"'{name}' is not a valid member name");
            }
            SkipSpaces();
            if (_pos < text.Length && text[_pos] == '{')
            {
                if (depth >= 16)
                {
                    throw Error("braces are nested too deeply");
                }
                _pos++;
                SkipSpaces();
                if (_pos < text.Length && text[_pos] == '{')
                {
                    throw Error("double braces");
                }
                ParseList(depth + 1);
                SkipSpaces();
                if (_pos >= text.Length || text[_pos] != '}')
                {
                    throw Error("unbalanced '{' (missing '}')");
                }
                _pos++;
            }
            return name;
        }
    }
}
