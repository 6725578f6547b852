using System.Globalization;

namespace Aeros.Broker.Entities;

/// <summary>Syntax checks for NGSI-LD identifiers, names, scopes and timestamps (ETSI GS CIM 009 §4.6).</summary>
internal static class NgsiNames
{
    /// <summary>The NGSI-LD Null value used to delete in patches (§3.1).</summary>
    public const string Null = "urn:ngsi-ld:null";

    /// <summary>Core members of an entity that are never attribute names.</summary>
    public static bool IsReservedEntityMember(string name) => name is "id" or "type" or "scope" or "@context"
        or "createdAt" or "modifiedAt" or "deletedAt" or "expiresAt" or "@id" or "@type";

    /// <summary>
    /// True for an absolute URI: a scheme (<c>letter *(letter / digit / + / - / .)</c>), a colon, and at least one
    /// more character, without whitespace, control characters or characters URIs may not contain.
    /// </summary>
    public static bool IsUri(string? value)
    {
        if (string.IsNullOrEmpty(value) || !char.IsAsciiLetter(value[0]))
        {
            return false;
        }
        var colon = -1;
        for (var i = 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c == ':')
            {
                colon = i;
                break;
            }
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return false;
            }
        }
        if (colon < 1 || colon == value.Length - 1)
        {
            return false;
        }
        for (var i = colon + 1; i < value.Length; i++)
        {
            var c = value[i];
            if (c <= ' ' || c == 0x7f || c is '<' or '>' or '"' or '{' or '}' or '|' or '\\' or '^' or '`')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// True for an attribute or type name: <c>unicodeLetter *(unicodeLetter / unicodeNumber / "_")</c>, optionally
    /// with a <c>prefix:</c>, or an absolute URI.
    /// </summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }
        var colon = name.IndexOf(':');
        if (colon < 0)
        {
            return IsSimpleName(name);
        }
        if (IsSimpleName(name.AsSpan(0, colon)) && IsSimpleName(name.AsSpan(colon + 1)))
        {
            return true;
        }
        return IsUri(name);
    }

    private static bool IsSimpleName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || !char.IsLetter(name[0]))
        {
            return false;
        }
        foreach (var c in name[1..])
        {
            if (!char.IsLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>True for a scope: <c>/level(/level)*</c>, each level a letter then letters, digits or <c>_</c>.</summary>
    public static bool IsValidScope(string? scope)
    {
        if (string.IsNullOrEmpty(scope) || scope[0] != '/')
        {
            return false;
        }
        foreach (var level in scope[1..].Split('/'))
        {
            if (!IsSimpleName(level))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Parses an ISO 8601 date-time (with a time zone or <c>Z</c>; UTC assumed without one).</summary>
    public static bool TryParseDateTime(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || text.Length < 10 || !text.Contains('T', StringComparison.Ordinal))
        {
            return false;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    /// <summary>Formats a system timestamp as ISO 8601 UTC with milliseconds and <c>Z</c>.</summary>
    public static string FormatTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
