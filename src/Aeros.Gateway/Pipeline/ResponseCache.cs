using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Aeros.Gateway.Pipeline;

/// <summary>
/// Responses of safe GETs on APIs the policy lets be cached, kept for the policy's duration (bounded by
/// <see cref="GatewayLimitsOptions.MaxCacheEntries"/>). The key is the API, path, query and the headers that change a
/// representation (Accept, Link, NGSILD-Tenant, Accept-Language); the caller checks authorization before a lookup,
/// so a hit is served only to a client allowed to read it. A write through the gateway empties its API's entries.
/// </summary>
internal sealed class ResponseCache(IOptions<GatewayOptions> options, TimeProvider time)
{
    private static readonly string[] VaryHeaders = ["Accept", "Link", "NGSILD-Tenant", "Accept-Language"];
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    {
        "Set-Cookie", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Date", "Server",
        GatewayHeaders.GatewayLatency, GatewayHeaders.UpstreamLatency, GatewayHeaders.Cache,
    };

    private readonly GatewayLimitsOptions _limits = options.Value.Limits;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    internal sealed record Entry(string Api, int Status, KeyValuePair<string, StringValues>[] Headers, byte[] Body, DateTimeOffset Expires);

    public int MaxBodyBytes => _limits.MaxCachedBodyBytes;

    public static string Key(string api, HttpRequest request)
    {
        var key = new System.Text.StringBuilder(128).Append(api).Append('\n').Append(request.Path.Value).Append('\n').Append(request.QueryString.Value);
        foreach (var h in VaryHeaders)
        {
            key.Append('\n').Append(request.Headers[h].ToString());
        }
        return key.ToString();
    }

    public Entry? TryGet(string key)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (time.GetUtcNow() < entry.Expires)
            {
                return entry;
            }
            _entries.TryRemove(key, out _);
        }
        return null;
    }

    public void Store(string api, string key, HttpResponse response, byte[] body, TimeSpan duration)
    {
        if (_limits.MaxCacheEntries == 0 || response.Headers.ContainsKey("Set-Cookie")
            || response.Headers.CacheControl.ToString().Contains("no-store", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        if (_entries.Count >= _limits.MaxCacheEntries)
        {
            var now = time.GetUtcNow();
            foreach (var (k, e) in _entries)
            {
                if (e.Expires <= now)
                {
                    _entries.TryRemove(k, out _);
                }
            }
            if (_entries.Count >= _limits.MaxCacheEntries)
            {
                return; // full of live entries: do not evict them for this one
            }
        }
        var headers = response.Headers.Where(h => !Skipped.Contains(h.Key)).ToArray();
        _entries[key] = new Entry(api, response.StatusCode, headers, body, time.GetUtcNow() + duration);
    }

    /// <summary>Drops the entries of <paramref name="api"/> (after a write through the gateway).</summary>
    public void Invalidate(string api)
    {
        foreach (var (k, e) in _entries)
        {
            if (e.Api == api)
            {
                _entries.TryRemove(k, out _);
            }
        }
    }
}

/// <summary>A response body stream that also keeps a copy of what passes, up to a limit.</summary>
internal sealed class CapturingStream(Stream inner, int limit) : Stream
{
    private readonly MemoryStream _copy = new();

    public bool Overflowed { get; private set; }

    public byte[] Captured => _copy.ToArray();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Keep(buffer.AsSpan(offset, count));
        inner.Write(buffer, offset, count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Keep(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (Overflowed)
        {
            return;
        }
        if (_copy.Length + data.Length > limit)
        {
            Overflowed = true;
            _copy.SetLength(0);
            return;
        }
        _copy.Write(data);
    }
}
