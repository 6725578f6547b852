using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Aeros.Gateway.Forwarding;

/// <summary>How the request body goes to the backend.</summary>
internal enum RequestBodyFraming
{
    /// <summary>No body.</summary>
    None,

    /// <summary><c>Content-Length</c>: the client's declared length.</summary>
    ContentLength,

    /// <summary><c>Transfer-Encoding: chunked</c>: a body of unknown length (chunked from the client, or HTTP/2).</summary>
    Chunked,
}

/// <summary>
/// Writes the HTTP/1.1 request head for the backend straight from the server's request: method, the path the
/// gateway authorized (re-escaped; <c>%2F</c>, which the server leaves encoded, stays encoded) and the raw query,
/// <c>Host</c> = the destination, every request header except hop-by-hop ones (<c>Connection</c> and the fields it
/// names, <c>Keep-Alive</c>, <c>Proxy-Connection</c>, <c>TE</c>, <c>Trailer</c>, <c>Upgrade</c>, <c>Expect</c>,
/// <c>Proxy-Authorization</c>) and framing ones (the forwarder writes its own <c>Content-Length</c> or
/// <c>Transfer-Encoding</c>), then <c>X-Forwarded-For/Proto/Host/Prefix</c> set to this hop (incoming ones replaced,
/// as YARP does by default).
/// </summary>
internal static class RequestHead
{
    private static readonly FrozenSet<string> Skipped = new[]
    {
        "Host", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Expect",
        "Proxy-Authorization", "Content-Length", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // RFC 3986 pchar without '%' (handled apart), plus '/'.
    private static readonly SearchValues<char> PathChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/");

    // The query is forwarded as the client sent it; only what cannot appear on the wire is escaped.
    private static readonly SearchValues<char> QueryChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%");

    // Visible ASCII, SP and HTAB: what may stand in a header value on the wire.
    private static readonly SearchValues<char> ValueChars = SearchValues.Create(ValueCharacters());

    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>How the body of <paramref name="request"/> must be framed.</summary>
    public static RequestBodyFraming Framing(HttpRequest request)
    {
        if (request.ContentLength is { } length)
        {
            return length > 0 ? RequestBodyFraming.ContentLength : RequestBodyFraming.None;
        }
        return request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
            ? RequestBodyFraming.Chunked
            : RequestBodyFraming.None;
    }

    /// <summary>
    /// Writes the head into <paramref name="writer"/>; false (nothing to send) when a header holds characters that
    /// cannot go on the wire.
    /// </summary>
    public static bool Write(HttpContext http, UpstreamEndpoint endpoint, RequestBodyFraming framing, ArrayBufferWriter<byte> writer)
    {
        var request = http.Request;
        Ascii(writer, request.Method);
        writer.Write(" "u8);
        writer.Write(endpoint.PathPrefix);
        var path = request.Path.Value;
        if (string.IsNullOrEmpty(path))
        {
            writer.Write("/"u8);
        }
        else
        {
            Escaped(writer, path, PathChars, keepPercent: false);
        }
        if (request.QueryString.Value is { Length: > 0 } query)
        {
            Escaped(writer, query, QueryChars, keepPercent: true);
        }
        writer.Write(" HTTP/1.1\r\n"u8);
        writer.Write(endpoint.HostLine);

        List<string>? connectionTokens = null;
        foreach (var value in request.Headers.Connection)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!token.Equals("close", StringComparison.OrdinalIgnoreCase) && !token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase))
                {
                    (connectionTokens ??= []).Add(token);
                }
            }
        }
        foreach (var (name, values) in request.Headers)
        {
            if (Skipped.Contains(name) || name.StartsWith(':')
                || (connectionTokens is not null && connectionTokens.Contains(name, StringComparer.OrdinalIgnoreCase)))
            {
                continue;
            }
            if (name.AsSpan().IndexOfAnyExcept(TokenChars) >= 0)
            {
                return false;
            }
            foreach (var value in values)
            {
                if (!Header(writer, name, value))
                {
                    return false;
                }
            }
        }

        Span<char> ip = stackalloc char[64];
        if (http.Connection.RemoteIpAddress is { } remote && remote.TryFormat(ip, out var ipLength))
        {
            writer.Write("X-Forwarded-For: "u8);
            Ascii(writer, ip[..ipLength]);
            writer.Write("\r\n"u8);
        }
        writer.Write(request.IsHttps ? "X-Forwarded-Proto: https\r\n"u8 : "X-Forwarded-Proto: http\r\n"u8);
        if (request.Host.HasValue && !Header(writer, "X-Forwarded-Host", request.Host.Value))
        {
            return false;
        }
        if (request.PathBase.HasValue)
        {
            writer.Write("X-Forwarded-Prefix: "u8);
            Escaped(writer, request.PathBase.Value!, PathChars, keepPercent: false);
            writer.Write("\r\n"u8);
        }
        switch (framing)
        {
            case RequestBodyFraming.ContentLength:
                writer.Write("Content-Length: "u8);
                Span<char> digits = stackalloc char[20];
                request.ContentLength!.Value.TryFormat(digits, out var n, provider: CultureInfo.InvariantCulture);
                Ascii(writer, digits[..n]);
                writer.Write("\r\n"u8);
                break;
            case RequestBodyFraming.Chunked:
                writer.Write("Transfer-Encoding: chunked\r\n"u8);
                break;
            default:
                if (request.ContentLength == 0)
                {
                    writer.Write("Content-Length: 0\r\n"u8);
                }
                break;
        }
        writer.Write("\r\n"u8);
        return true;
    }

    private static bool Header(ArrayBufferWriter<byte> writer, string name, string? value)
    {
        var span = value.AsSpan();
        if (span.IndexOfAnyExcept(ValueChars) >= 0)
        {
            return false;
        }
        Ascii(writer, name);
        writer.Write(": "u8);
        Ascii(writer, span);
        writer.Write("\r\n"u8);
        return true;
    }

    /// <summary>Writes ASCII-only text (checked by the caller) as bytes.</summary>
    private static void Ascii(ArrayBufferWriter<byte> writer, ReadOnlySpan<char> text)
    {
        var span = writer.GetSpan(text.Length);
        System.Text.Ascii.FromUtf16(text, span, out var written);
        writer.Advance(written);
    }

    /// <summary>
    /// Writes <paramref name="text"/> percent-encoding (UTF-8) every character outside <paramref name="allowed"/>.
    /// In a path, a '%' stays only as <c>%2F</c>/<c>%2f</c> (the one escape the server keeps); any other '%' was a
    /// decoded <c>%25</c> and is encoded again. In the query, which the server does not decode, '%' stays as it is.
    /// </summary>
    private static void Escaped(ArrayBufferWriter<byte> writer, string text, SearchValues<char> allowed, bool keepPercent)
    {
        var span = text.AsSpan();
        if (span.IndexOfAnyExcept(allowed) < 0)
        {
            Ascii(writer, span);
            return;
        }
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c == '%' && !keepPercent)
            {
                if (i + 2 < span.Length && span[i + 1] == '2' && span[i + 2] is 'F' or 'f')
                {
                    writer.Write("%2"u8);
                    writer.Write(span[i + 2] == 'F' ? "F"u8 : "f"u8);
                    i += 2;
                }
                else
                {
                    writer.Write("%25"u8);
                }
                continue;
            }
            if (c < 0x80 && allowed.Contains(c))
            {
                writer.GetSpan(1)[0] = (byte)c;
                writer.Advance(1);
                continue;
            }
            // Non-ASCII (a decoded UTF-8 path) or a character not allowed raw: percent-encode its UTF-8 bytes.
            if (System.Text.Rune.DecodeFromUtf16(span[i..], out var rune, out var used) != OperationStatus.Done)
            {
                rune = System.Text.Rune.ReplacementChar;
                used = 1;
            }
            var bytes = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..bytes])
            {
                var target = writer.GetSpan(3);
                target[0] = (byte)'%';
                target[1] = (byte)"0123456789ABCDEF"[b >> 4];
                target[2] = (byte)"0123456789ABCDEF"[b & 0xF];
                writer.Advance(3);
            }
            i += used - 1;
        }
    }

    private static string ValueCharacters()
    {
        var chars = new StringBuilder("\t");
        for (var c = 0x20; c <= 0x7E; c++)
        {
            chars.Append((char)c);
        }
        return chars.ToString();
    }
}
