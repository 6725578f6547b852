using System.Text;
using Aeros.Http1;

namespace Aeros.Agent.SelfApi.Transport;

/// <summary>The outcome of <see cref="Http1RequestHead.TryParse"/>.</summary>
internal enum RequestHeadStatus
{
    /// <summary>A whole head was parsed.</summary>
    Complete,

    /// <summary>Not complete yet: read more.</summary>
    NeedMore,

    /// <summary>Refused: <see cref="Http1RequestHead.ErrorStatus"/> and <see cref="Http1RequestHead.Error"/> say how and why.</summary>
    Invalid,
}

/// <summary>
/// One request head (request line and header fields) as the agent's HTTP/1.1 server reads it, strictly (RFC 9112,
/// with the gateway's shared <see cref="Http1Syntax"/>): origin-form targets only; HTTP/1.1 needs exactly one
/// <c>Host</c>; both Content-Length and Transfer-Encoding, two Content-Length fields, a Content-Length that is not
/// plain digits are 400; a transfer coding other than <c>chunked</c> is 501; another HTTP version 505; a head above
/// the size limit 431. One instance per connection, reused for every request.
/// </summary>
internal sealed class Http1RequestHead
{
    /// <summary>The method (a token, as sent).</summary>
    public string Method { get; private set; } = "";

    /// <summary>The path, percent-decoded except <c>%2F</c> (as Kestrel leaves it), so segments stay segments.</summary>
    public string Path { get; private set; } = "/";

    /// <summary>The raw query with its <c>?</c>, or empty.</summary>
    public string QueryString { get; private set; } = "";

    /// <summary>True for an HTTP/1.0 request.</summary>
    public bool IsHttp10 { get; private set; }

    /// <summary>The Content-Length, or -1 when there is none.</summary>
    public long ContentLength { get; private set; }

    /// <summary>True when the body is chunked.</summary>
    public bool IsChunked { get; private set; }

    /// <summary>True when the connection must close after this request (<c>Connection: close</c>, or HTTP/1.0 without keep-alive).</summary>
    public bool CloseAfter { get; private set; }

    /// <summary>True when the client waits for <c>100 Continue</c> before sending the body.</summary>
    public bool ExpectContinue { get; private set; }

    /// <summary>The Content-Type, if any.</summary>
    public string? ContentType { get; private set; }

    /// <summary>Header fields in order (names as sent).</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = new(16);

    /// <summary>The value of header <paramref name="name"/> (case-insensitive; repeated fields joined with ", "), or null.</summary>
    public string? Header(string name)
    {
        string? found = null;
        foreach (var (key, value) in Headers)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                found = found is null ? value : found + ", " + value;
            }
        }
        return found;
    }

    /// <summary>The status the server answers a refused head with (400, 431, 501, 505).</summary>
    public int ErrorStatus { get; private set; }

    /// <summary>Why the head was refused.</summary>
    public string? Error { get; private set; }

    /// <summary>
    /// Parses a head from the start of <paramref name="buffer"/>; <paramref name="consumed"/> is its length including
    /// the empty line. A head not complete within <paramref name="maxBytes"/> is refused with 431.
    /// </summary>
    public RequestHeadStatus TryParse(ReadOnlySpan<byte> buffer, int maxBytes, out int consumed)
    {
        Reset();
        consumed = 0;
        var offset = 0;
        var first = true;
        var contentLengthSeen = false;
        var transferEncodingSeen = false;
        var hosts = 0;
        var keepAlive = false;
        // RFC 9112 §2.2: a server should ignore empty lines before the request line.
        while (offset + 1 < buffer.Length && buffer[offset] == (byte)'\r' && buffer[offset + 1] == (byte)'\n' && offset < 4)
        {
            offset += 2;
        }
        while (true)
        {
            var lineStatus = Http1Syntax.ReadHeadLine(buffer, ref offset, maxBytes, out var line, out var lineError);
            if (lineStatus != HeadLineStatus.Line)
            {
                return lineStatus switch
                {
                    HeadLineStatus.Invalid => Fail(400, lineError!),
                    HeadLineStatus.TooLarge => Fail(431, $"the request head is larger than {maxBytes} bytes"),
                    _ => RequestHeadStatus.NeedMore,
                };
            }
            if (first)
            {
                if (!ParseRequestLine(line))
                {
                    return RequestHeadStatus.Invalid;
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
                return Fail(400, fieldError!);
            }
            Headers.Add(new(Encoding.ASCII.GetString(name), Encoding.ASCII.GetString(value)));
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (contentLengthSeen)
                {
                    return Fail(400, "two Content-Length fields");
                }
                contentLengthSeen = true;
                if (!Http1Syntax.TryParseContentLength(value, out var length))
                {
                    return Fail(400, "a Content-Length that is not a plain number");
                }
                ContentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                if (transferEncodingSeen)
                {
                    return Fail(400, "two Transfer-Encoding fields");
                }
                transferEncodingSeen = true;
                if (!Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    return Fail(501, "a transfer coding other than chunked");
                }
                IsChunked = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                hosts++;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Content-Type"u8))
            {
                ContentType = Encoding.ASCII.GetString(value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                foreach (var range in value.Split((byte)','))
                {
                    var token = value[range].Trim(" \t"u8);
                    CloseAfter |= Ascii.EqualsIgnoreCase(token, "close"u8);
                    keepAlive |= Ascii.EqualsIgnoreCase(token, "keep-alive"u8);
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Expect"u8))
            {
                if (!Ascii.EqualsIgnoreCase(value, "100-continue"u8))
                {
                    return Fail(417, "an expectation other than 100-continue");
                }
                ExpectContinue = !IsHttp10;
            }
        }
        if (contentLengthSeen && transferEncodingSeen)
        {
            return Fail(400, "both Content-Length and Transfer-Encoding");
        }
        if (transferEncodingSeen && IsHttp10)
        {
            return Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
        }
        if (!IsHttp10 && hosts != 1)
        {
            return Fail(400, hosts == 0 ? "an HTTP/1.1 request without Host" : "more than one Host field");
        }
        if (IsHttp10 && !keepAlive)
        {
            CloseAfter = true;
        }
        consumed = offset;
        return RequestHeadStatus.Complete;
    }

    private bool ParseRequestLine(ReadOnlySpan<byte> line)
    {
        var space = line.IndexOf((byte)' ');
        if (space <= 0 || line[..space].IndexOfAnyExcept(Http1Syntax.TokenChars) >= 0)
        {
            Fail(400, "the request line has no method token");
            return false;
        }
        Method = Encoding.ASCII.GetString(line[..space]);
        var rest = line[(space + 1)..];
        var second = rest.IndexOf((byte)' ');
        if (second <= 0 || rest[(second + 1)..].Contains((byte)' '))
        {
            Fail(400, "the request line is not 'method target version'");
            return false;
        }
        var target = rest[..second];
        var version = rest[(second + 1)..];
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            IsHttp10 = false;
        }
        else if (version.SequenceEqual("HTTP/1.0"u8))
        {
            IsHttp10 = true;
        }
        else
        {
            Fail(version.StartsWith("HTTP/"u8) ? 505 : 400, "the HTTP version is not 1.0 or 1.1");
            return false;
        }
        // Origin form only: the self-API is no proxy and has no OPTIONS *.
        if (target[0] != (byte)'/' || target.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0 || target.Contains((byte)'#'))
        {
            Fail(400, "the request target is not an absolute path with an optional query");
            return false;
        }
        var text = Encoding.ASCII.GetString(target);
        var question = text.IndexOf('?', StringComparison.Ordinal);
        var rawPath = question < 0 ? text : text[..question];
        QueryString = question < 0 ? "" : text[question..];
        try
        {
            Path = Uri.UnescapeDataString(rawPath.Replace("%2F", "%252F", StringComparison.OrdinalIgnoreCase));
        }
        catch (UriFormatException)
        {
            Fail(400, "the path is not valid percent-encoding");
            return false;
        }
        if (Path.Any(char.IsControl))
        {
            Fail(400, "the path holds control characters");
            return false;
        }
        return true;
    }

    private void Reset()
    {
        Method = "";
        Path = "/";
        QueryString = "";
        IsHttp10 = false;
        ContentLength = -1;
        IsChunked = false;
        CloseAfter = false;
        ExpectContinue = false;
        ContentType = null;
        Headers.Clear();
        ErrorStatus = 0;
        Error = null;
    }

    private RequestHeadStatus Fail(int status, string error)
    {
        ErrorStatus = status;
        Error = error;
        return RequestHeadStatus.Invalid;
    }
}
