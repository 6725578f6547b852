using System.Text;
using Aeros.Http1;

namespace Aeros.Gateway.Forwarding;

/// <summary>The outcome of <see cref="ResponseHead.TryParse"/>.</summary>
internal enum HeadParseStatus
{
    /// <summary>A whole head was parsed.</summary>
    Complete,

    /// <summary>The head is not complete yet: read more.</summary>
    NeedMore,

    /// <summary>The head is malformed or ambiguous (<see cref="ResponseHead.Error"/> says why): the response is refused.</summary>
    Invalid,
}

/// <summary>
/// One backend response head (status line and header fields), parsed strictly: anything a lenient parser might read
/// differently from the client behind the gateway is refused, so that no framing ambiguity (request smuggling,
/// response splitting) passes through. Refused: a bare LF or CR, obs-fold, whitespace before the colon, a name that is
/// not a token, control characters or non-ASCII in values, both Content-Length and Transfer-Encoding, two
/// Content-Length fields (even equal ones), a Content-Length that is not plain digits, a transfer coding other than
/// <c>chunked</c>, a status outside 100–599, anything but HTTP/1.0 or HTTP/1.1, and a head above the size limit.
/// One instance per connection, reused for every response.
/// </summary>
internal sealed class ResponseHead
{
    // Names the gateway sees in almost every response: no string allocated for them.
    private static readonly string[] KnownNames =
    [
        "Content-Type", "Content-Length", "Date", "Server", "Link", "Location", "Cache-Control", "ETag", "Last-Modified",
        "Vary", "NGSILD-Results-Count", "NGSILD-Tenant", "Accept-Patch", "Allow", "WWW-Authenticate", "Transfer-Encoding",
        "Connection", "Keep-Alive", "Content-Encoding", "Content-Language", "Expires", "Retry-After", "Set-Cookie",
        "Content-Location", "Access-Control-Allow-Origin", "Trailer", "Upgrade", "Proxy-Connection", "TE",
    ];

    private static readonly byte[][] KnownNameBytes = [.. KnownNames.Select(Encoding.ASCII.GetBytes)];

    // The last value of each known field on this connection: a backend repeats most values (Content-Type, Link,
    // NGSILD-Tenant), so the string is reused instead of decoded per response.
    private readonly string?[] _lastValues = new string[KnownNames.Length];

    /// <summary>The status code.</summary>
    public int Status { get; private set; }

    /// <summary>True for an HTTP/1.0 response (its connection is never reused).</summary>
    public bool IsHttp10 { get; private set; }

    /// <summary>The Content-Length, or -1 when there is none.</summary>
    public long ContentLength { get; private set; }

    /// <summary>True when the body is chunked.</summary>
    public bool IsChunked { get; private set; }

    /// <summary>True when the backend said <c>Connection: close</c>.</summary>
    public bool ConnectionClose { get; private set; }

    /// <summary>Header fields in order, hop-by-hop ones included (the forwarder drops them).</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = new(16);

    /// <summary>Field names listed in <c>Connection</c> (other than close and keep-alive): hop-by-hop, not forwarded.</summary>
    public List<string> ConnectionTokens { get; } = [];

    /// <summary>Why the head was refused (<see cref="HeadParseStatus.Invalid"/>).</summary>
    public string? Error { get; private set; }

    /// <summary>
    /// Parses a head from the start of <paramref name="buffer"/>. <paramref name="consumed"/> is the head's length
    /// including the empty line when <see cref="HeadParseStatus.Complete"/>. A head not complete within
    /// <paramref name="maxBytes"/> is invalid.
    /// </summary>
    public HeadParseStatus TryParse(ReadOnlySpan<byte> buffer, int maxBytes, out int consumed)
    {
        Reset();
        consumed = 0;
        var offset = 0;
        var first = true;
        var contentLengthSeen = false;
        var transferEncodingSeen = false;
        while (true)
        {
            var lineStatus = Http1Syntax.ReadHeadLine(buffer, ref offset, maxBytes, out var line, out var lineError);
            if (lineStatus != HeadLineStatus.Line)
            {
                return lineStatus switch
                {
                    HeadLineStatus.Invalid => Fail(lineError!),
                    HeadLineStatus.TooLarge => Fail($"the response head is larger than {maxBytes} bytes"),
                    _ => HeadParseStatus.NeedMore,
                };
            }
            if (first)
            {
                if (!ParseStatusLine(line))
                {
                    return HeadParseStatus.Invalid;
                }
                first = false;
                continue;
            }
            if (line.IsEmpty)
            {
                break;
            }
            if (Http1Syntax.TryParseFieldLine(line, out var name, out var value, out var fieldError) != FieldLineStatus.Valid)
            {
                return Fail(fieldError!);
            }
            var known = KnownIndex(name);
            var nameString = known >= 0 ? KnownNames[known] : Encoding.ASCII.GetString(name);
            if (nameString.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (contentLengthSeen)
                {
                    return Fail("two Content-Length fields");
                }
                contentLengthSeen = true;
                if (!Http1Syntax.TryParseContentLength(value, out var length))
                {
                    return Fail("a Content-Length that is not a plain number");
                }
                ContentLength = length;
            }
            else if (nameString.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                if (transferEncodingSeen)
                {
                    return Fail("two Transfer-Encoding fields");
                }
                transferEncodingSeen = true;
                if (!System.Text.Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    return Fail("a transfer coding other than chunked");
                }
                IsChunked = true;
            }
            else if (nameString.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                ReadConnectionTokens(value);
            }
            Headers.Add(new(nameString, known >= 0 ? KnownValue(known, value) : Encoding.ASCII.GetString(value)));
        }
        if (contentLengthSeen && transferEncodingSeen)
        {
            return Fail("both Content-Length and Transfer-Encoding");
        }
        if (transferEncodingSeen && IsHttp10)
        {
            return Fail("Transfer-Encoding in an HTTP/1.0 response");
        }
        consumed = offset;
        return HeadParseStatus.Complete;
    }

    private bool ParseStatusLine(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("HTTP/1.1 "u8))
        {
            IsHttp10 = false;
        }
        else if (line.StartsWith("HTTP/1.0 "u8))
        {
            IsHttp10 = true;
        }
        else
        {
            Fail("the status line is not HTTP/1.0 or HTTP/1.1");
            return false;
        }
        if (line.Length < 12 || line[9..12].IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0 || (line.Length > 12 && line[12] != (byte)' '))
        {
            Fail("the status line has no three-digit status code");
            return false;
        }
        var status = ((line[9] - '0') * 100) + ((line[10] - '0') * 10) + (line[11] - '0');
        if (status is < 100 or > 599)
        {
            Fail($"status code {status} is outside 100-599");
            return false;
        }
        if (line.Length > 12 && line[13..].IndexOfAnyExcept(Http1Syntax.ValueChars) >= 0)
        {
            Fail("a control or non-ASCII character in the reason phrase");
            return false;
        }
        Status = status;
        return true;
    }

    private void ReadConnectionTokens(ReadOnlySpan<byte> value)
    {
        foreach (var range in value.Split((byte)','))
        {
            var token = value[range].Trim(" \t"u8);
            if (token.IsEmpty || System.Text.Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
            {
                continue;
            }
            if (System.Text.Ascii.EqualsIgnoreCase(token, "close"u8))
            {
                ConnectionClose = true;
                continue;
            }
            ConnectionTokens.Add(Encoding.ASCII.GetString(token));
        }
    }

    private static int KnownIndex(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < KnownNameBytes.Length; i++)
        {
            if (KnownNameBytes[i].Length == name.Length && System.Text.Ascii.EqualsIgnoreCase(name, KnownNameBytes[i]))
            {
                return i;
            }
        }
        return -1;
    }

    private string KnownValue(int index, ReadOnlySpan<byte> value)
    {
        // Compared as ASCII: a value with other bytes (decoded to '?') never equals the string and is decoded again.
        if (_lastValues[index] is { } last && System.Text.Ascii.Equals(value, last))
        {
            return last;
        }
        return _lastValues[index] = Encoding.ASCII.GetString(value);
    }

    private void Reset()
    {
        Status = 0;
        IsHttp10 = false;
        ContentLength = -1;
        IsChunked = false;
        ConnectionClose = false;
        Headers.Clear();
        ConnectionTokens.Clear();
        Error = null;
    }

    private HeadParseStatus Fail(string error)
    {
        Error = error;
        return HeadParseStatus.Invalid;
    }
}
