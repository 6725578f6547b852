using System.Buffers;

namespace Aeros.Http1;

/// <summary>What <see cref="Http1Syntax.ReadHeadLine"/> found.</summary>
internal enum HeadLineStatus
{
    /// <summary>A complete line, within the head's size limit.</summary>
    Line,

    /// <summary>No complete line yet and the limit not reached: read more.</summary>
    NeedMore,

    /// <summary>The head would exceed its size limit.</summary>
    TooLarge,

    /// <summary>A malformed line ending (bare LF or CR); the error says which.</summary>
    Invalid,
}

/// <summary>The outcome of parsing one header field line with <see cref="Http1Syntax.TryParseFieldLine"/>.</summary>
internal enum FieldLineStatus
{
    /// <summary>A well-formed <c>name: value</c> line.</summary>
    Valid,

    /// <summary>The line is malformed; the error says why.</summary>
    Invalid,
}

/// <summary>
/// Strict HTTP/1.1 wire syntax (RFC 9112) shared by the gateway's raw forwarder (response heads from backends) and the
/// agent's own HTTP/1.1 server (request heads from clients): line splitting without bare CR or LF, field lines whose
/// name is a token and whose value is visible ASCII, plain-digit Content-Length, strict chunk-size lines. Anything a
/// lenient parser might read differently is refused, so no framing ambiguity (request smuggling, response splitting)
/// gets through. Linked as source into both assemblies (src/Shared/Http1), not a package of its own.
/// </summary>
internal static class Http1Syntax
{
    /// <summary>RFC 9110 §5.6.2 tchar.</summary>
    public static readonly SearchValues<byte> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>Field values and reason phrases: HTAB, SP and visible ASCII (obs-text refused).</summary>
    public static readonly SearchValues<byte> ValueChars = SearchValues.Create(ValueBytes());

    /// <summary>The longest Content-Length accepted (18 digits: no overflow of a long).</summary>
    public const int MaxContentLengthDigits = 18;

    /// <summary>
    /// Finds the next CRLF-terminated line at the start of <paramref name="buffer"/>. Returns false with
    /// <paramref name="error"/> null when no LF is there yet (read more), false with an error for a bare LF or CR.
    /// <paramref name="consumed"/> includes the CRLF.
    /// </summary>
    public static bool TryReadLine(ReadOnlySpan<byte> buffer, out ReadOnlySpan<byte> line, out int consumed, out string? error)
    {
        line = default;
        consumed = 0;
        error = null;
        var lf = buffer.IndexOf((byte)'\n');
        if (lf < 0)
        {
            return false;
        }
        if (lf == 0 || buffer[lf - 1] != (byte)'\r')
        {
            error = "a line ends with a bare LF";
            return false;
        }
        line = buffer[..(lf - 1)];
        if (line.Contains((byte)'\r'))
        {
            error = "a line holds a bare CR";
            return false;
        }
        consumed = lf + 1;
        return true;
    }

    /// <summary>
    /// Reads the next line of a message head at <paramref name="offset"/> (advanced past it), keeping the whole head
    /// within <paramref name="maxBytes"/>: the line-reading and size rules the request and response parsers share.
    /// </summary>
    public static HeadLineStatus ReadHeadLine(ReadOnlySpan<byte> buffer, ref int offset, int maxBytes, out ReadOnlySpan<byte> line, out string? error)
    {
        if (!TryReadLine(buffer[offset..], out line, out var length, out error))
        {
            return error is not null ? HeadLineStatus.Invalid : buffer.Length >= maxBytes ? HeadLineStatus.TooLarge : HeadLineStatus.NeedMore;
        }
        if (offset + length > maxBytes)
        {
            return HeadLineStatus.TooLarge;
        }
        offset += length;
        return HeadLineStatus.Line;
    }

    /// <summary>
    /// Splits a (non-empty) header field line into name and value (optional whitespace around the value trimmed).
    /// Refused: obs-fold (a line starting with whitespace), no colon or an empty name, a name that is not a token
    /// (which catches whitespace before the colon), control or non-ASCII characters in the value.
    /// </summary>
    public static FieldLineStatus TryParseFieldLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value, out string? error)
    {
        name = default;
        value = default;
        error = null;
        if (line.IsEmpty || line[0] is (byte)' ' or (byte)'\t')
        {
            error = "obsolete line folding";
            return FieldLineStatus.Invalid;
        }
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            error = "a header line without a name and colon";
            return FieldLineStatus.Invalid;
        }
        name = line[..colon];
        if (name.IndexOfAnyExcept(TokenChars) >= 0)
        {
            error = "a header name that is not a token (whitespace before the colon?)";
            return FieldLineStatus.Invalid;
        }
        value = line[(colon + 1)..].Trim(" \t"u8);
        if (value.IndexOfAnyExcept(ValueChars) >= 0)
        {
            error = "a control or non-ASCII character in a header value";
            return FieldLineStatus.Invalid;
        }
        return FieldLineStatus.Valid;
    }

    /// <summary>A Content-Length value: 1–18 plain digits (no sign, no whitespace, no list).</summary>
    public static bool TryParseContentLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > MaxContentLengthDigits || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
        {
            return false;
        }
        foreach (var digit in value)
        {
            length = (length * 10) + (digit - '0');
        }
        return true;
    }

    /// <summary>chunk-size [ BWS ";" chunk-ext ]: 1–15 hex digits (no sign, no 0x), extensions ignored but checked for control characters.</summary>
    public static bool TryParseChunkSize(ReadOnlySpan<byte> line, out long size)
    {
        size = 0;
        var i = 0;
        while (i < line.Length && char.IsAsciiHexDigit((char)line[i]))
        {
            if (i == 15)
            {
                return false;
            }
            size = (size << 4) | (long)HexValue(line[i]);
            i++;
        }
        if (i == 0)
        {
            return false;
        }
        var rest = line[i..];
        if (rest.IsEmpty)
        {
            return true;
        }
        rest = rest.TrimStart(" \t"u8);
        if (rest.IsEmpty || rest[0] != (byte)';')
        {
            return false;
        }
        foreach (var b in rest)
        {
            if ((b < 0x20 && b != (byte)'\t') || b >= 0x7F)
            {
                return false;
            }
        }
        return true;
    }

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    private static byte[] ValueBytes()
    {
        var bytes = new List<byte> { (byte)'\t' };
        for (var b = 0x20; b <= 0x7E; b++)
        {
            bytes.Add((byte)b);
        }
        return [.. bytes];
    }
}
