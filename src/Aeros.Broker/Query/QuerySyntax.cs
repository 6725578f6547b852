using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Aeros.Broker.Errors;

namespace Aeros.Broker.Query;

/// <summary>Lexical rules shared by the query languages: NGSI-LD names, URIs, regular expressions, temporal values.</summary>
internal static class QuerySyntax
{
    /// <summary>
    /// An NGSI-LD name: a letter (or <c>_</c>) followed by letters, digits and <c>_</c>
    /// (ETSI GS CIM 009 §4.6.2 <c>AttrName</c>; the leading underscore is tolerated).
    /// </summary>
    public static bool IsName(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || !(char.IsLetter(s[0]) || s[0] == '_'))
        {
            return false;
        }
        foreach (var c in s[1..])
        {
            if (!(char.IsLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A name, optionally with a compact-IRI prefix (<c>ex:name</c>; the prefix may also hold <c>-</c>).</summary>
    public static bool IsPrefixedName(ReadOnlySpan<char> s)
    {
        var colon = s.IndexOf(':');
        if (colon < 0)
        {
            return IsName(s);
        }
        var prefix = s[..colon];
        if (prefix.IsEmpty || !char.IsLetter(prefix[0]))
        {
            return false;
        }
        foreach (var c in prefix)
        {
            if (!(char.IsLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }
        return IsName(s[(colon + 1)..]);
    }

    /// <summary>An absolute URI: <c>scheme:rest</c> with no whitespace or characters a URI cannot hold.</summary>
    public static bool IsAbsoluteUri(ReadOnlySpan<char> s)
    {
        var colon = s.IndexOf(':');
        if (colon < 1 || colon == s.Length - 1 || !char.IsAsciiLetter(s[0]))
        {
            return false;
        }
        foreach (var c in s[..colon])
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            {
                return false;
            }
        }
        foreach (var c in s[(colon + 1)..])
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '<' or '>' or '\\' or '^' or '`' or '{' or '}' or '|')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Whether a name written in a query is meant as a full IRI rather than a (prefixed) term.</summary>
    public static bool LooksLikeFullUri(string s) =>
        s.Contains("://", StringComparison.Ordinal) || s.StartsWith("urn:", StringComparison.OrdinalIgnoreCase);

    /// <summary>A term (<c>name</c>, <c>prefix:name</c>) or a full IRI.</summary>
    public static bool IsNameOrUri(string s) =>
        LooksLikeFullUri(s) ? IsAbsoluteUri(s) : IsPrefixedName(s);

    /// <summary>
    /// Compiles a user-supplied POSIX ERE (<c>~=</c>, <c>idPattern</c>) with the non-backtracking engine, so no
    /// input can make matching slow. POSIX bracket classes (<c>[:alpha:]</c>) are translated; a leading
    /// <c>(?i)</c> works as in .NET. Throws BadRequestData when the pattern is invalid or unsupported.
    /// </summary>
    public static Regex CreateRegex(string pattern, string where)
    {
        try
        {
            return new Regex(TranslatePosixClasses(pattern), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw NgsiLdException.BadRequestData($"Invalid regular expression '{pattern}' in {where}: {e.Message}");
        }
    }

    private static readonly (string Posix, string Net)[] PosixClasses =
    [
        ("[:alpha:]", @"\p{L}"), ("[:digit:]", "0-9"), ("[:alnum:]", @"\p{L}\p{Nd}"), ("[:upper:]", @"\p{Lu}"),
        ("[:lower:]", @"\p{Ll}"), ("[:space:]", @"\s"), ("[:blank:]", @" \t"), ("[:punct:]", @"\p{P}\p{S}"),
        ("[:xdigit:]", "0-9A-Fa-f"), ("[:cntrl:]", @"\p{Cc}"), ("[:print:]", @"\P{Cc}"), ("[:graph:]", @"\p{L}\p{M}\p{N}\p{P}\p{S}"),
    ];

    private static string TranslatePosixClasses(string pattern)
    {
        if (!pattern.Contains("[:", StringComparison.Ordinal))
        {
            return pattern;
        }
        var builder = new StringBuilder(pattern);
        foreach (var (posix, net) in PosixClasses)
        {
            builder.Replace(posix, net);
        }
        return builder.ToString();
    }

    /// <summary>
    /// Parses an ISO 8601 DateTime (<c>2018-01-01T12:00:00Z</c>, offset optional, UTC assumed), date
    /// (<c>2018-01-01</c>) or time (<c>12:00:00Z</c>). Dates compare with DateTimes as midnight UTC; times only with times.
    /// Cheap rejection first: it runs on target strings during evaluation.
    /// </summary>
    public static bool TryParseTemporal(ReadOnlySpan<char> s, out Temporal value)
    {
        value = default;
        if (s.Length >= 10 && char.IsAsciiDigit(s[0]) && s[4] == '-' && s[7] == '-')
        {
            if (s.Length == 10)
            {
                if (DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
                {
                    value = new Temporal(TemporalKind.DateTime, date.Ticks);
                    return true;
                }
                return false;
            }
            if (s[10] is not ('T' or 't' or ' '))
            {
                return false;
            }
            if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dateTime))
            {
                value = new Temporal(TemporalKind.DateTime, dateTime.UtcTicks);
                return true;
            }
            return false;
        }
        if (s.Length >= 5 && char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(s[1]) && s[2] == ':')
        {
            var body = s;
            if (body[^1] is 'Z' or 'z')
            {
                body = body[..^1];
            }
            if (TimeSpan.TryParseExact(body, ["hh\\:mm", "hh\\:mm\\:ss", "hh\\:mm\\:ss\\.FFFFFFF"], CultureInfo.InvariantCulture, out var time))
            {
                value = new Temporal(TemporalKind.Time, time.Ticks);
                return true;
            }
        }
        return false;
    }
}

internal enum TemporalKind
{
    None,
    DateTime,
    Time,
}

/// <summary>A parsed point in time (UTC ticks) or time of day (ticks since midnight).</summary>
internal readonly record struct Temporal(TemporalKind Kind, long Ticks);
