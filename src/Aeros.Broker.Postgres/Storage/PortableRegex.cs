namespace Aeros.Broker.Postgres.Storage;

/// <summary>
/// The subset of regular-expression syntax that .NET and PostgreSQL (ARE) read alike, shared by idPattern and q's
/// <c>~=</c>: printable ASCII literals, <c>. * + ? | ( ) [ ] ^ $</c>, bounds <c>{n}</c>, <c>{n,}</c>, <c>{n,m}</c> up
/// to 255 (PostgreSQL's limit; .NET reads a malformed brace as a literal, PostgreSQL rejects it) and escaped
/// punctuation. Not: class escapes (<c>\d \w \s \b</c>: Unicode in .NET, locale in PostgreSQL), back references,
/// <c>(?</c> groups and options, POSIX classes and collating elements, other characters.
/// </summary>
/// <remarks>
/// On the same text both engines then accept the same strings, except where .NET's UTF-16 and PostgreSQL's code
/// points count differently (a character above U+FFFF is two for <c>.</c> in .NET) or where <c>$</c> and <c>.</c>
/// treat a newline differently; callers that only narrow keep such strings candidates.
/// </remarks>
internal static class PortableRegex
{
    /// <summary>Longer patterns are left to .NET (PostgreSQL refuses expressions that compile too large).</summary>
    public const int MaxLength = 256;

    /// <summary>The most repetitions a bound may ask for in PostgreSQL.</summary>
    private const int MaxBound = 255;

    /// <summary>Whether <paramref name="pattern"/> (valid for .NET) means the same to PostgreSQL.</summary>
    public static bool IsPortable(string pattern)
    {
        if (pattern.Length is 0 or > MaxLength)
        {
            return false;
        }
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c is > (char)0x7E or < (char)0x20)
            {
                return false;
            }
            switch (c)
            {
                case '\\':
                    // Only an escaped punctuation character (a literal in both); \d, \w, \b... differ between engines.
                    if (i + 1 >= pattern.Length || char.IsAsciiLetterOrDigit(pattern[i + 1]) || pattern[i + 1] is > (char)0x7E or < (char)0x20)
                    {
                        return false;
                    }
                    i++;
                    break;
                case '(' when i + 1 < pattern.Length && pattern[i + 1] == '?':
                    return false; // groups with options, lookarounds, named groups
                case '[' when i + 1 < pattern.Length && pattern[i + 1] is ':' or '=' or '.':
                    return false; // POSIX classes, collating elements
                case '[' when pattern.IndexOf("[:", i + 1, StringComparison.Ordinal) >= 0:
                    return false;
                case '{':
                    if (Bound(pattern, i) is not { } end)
                    {
                        return false;
                    }
                    i = end;
                    break;
                case '}':
                    return false; // a brace that closes no bound
            }
        }
        return true;
    }

    /// <summary>The index of the <c>}</c> of a well-formed bound starting at <paramref name="open"/>, or null.</summary>
    private static int? Bound(string pattern, int open)
    {
        var i = open + 1;
        if (Number(pattern, ref i) is not { } low)
        {
            return null;
        }
        if (i < pattern.Length && pattern[i] == ',')
        {
            i++;
            if (i < pattern.Length && pattern[i] != '}' && (Number(pattern, ref i) is not { } high || high < low))
            {
                return null;
            }
        }
        return i < pattern.Length && pattern[i] == '}' ? i : null;
    }

    private static int? Number(string pattern, ref int i)
    {
        var start = i;
        var value = 0;
        while (i < pattern.Length && char.IsAsciiDigit(pattern[i]) && i - start < 4)
        {
            value = (value * 10) + (pattern[i] - '0');
            i++;
        }
        return i == start || value > MaxBound ? null : value;
    }
}
