using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Errors;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Aeros.Broker.Api;

/// <summary>The media type a response is written in.</summary>
internal enum ResponseMediaType
{
    Json,
    LdJson,
    GeoJson,
}

/// <summary>A request body that passed the content-type, size and JSON checks.</summary>
internal sealed record RequestBody(JsonNode? Json, bool IsLdJson);

/// <summary>HTTP plumbing shared by the NGSI-LD endpoints: content negotiation, bodies, @context, parameters.</summary>
internal static class NgsiLdHttp
{
    public const string JsonLdContextRel = "http://www.w3.org/ns/json-ld#context";
    public const string ApplicationJson = "application/json";
    public const string ApplicationLdJson = "application/ld+json";
    public const string ApplicationGeoJson = "application/geo+json";
    public const string MergePatchJson = "application/merge-patch+json";
    public const string TenantHeader = "NGSILD-Tenant";

    /// <summary>Rejects URL parameters the operation does not define (§6.3.20: 400 InvalidRequest).</summary>
    public static void CheckParameters(HttpContext http, IReadOnlySet<string> allowed)
    {
        foreach (var key in http.Request.Query.Keys)
        {
            if (!allowed.Contains(key))
            {
                throw NgsiLdException.InvalidRequest($"Unknown URL parameter '{key}' for this operation.");
            }
        }
    }

    /// <summary>The query parameter's single value, or null; several values are an error.</summary>
    public static string? Param(HttpContext http, string name)
    {
        if (!http.Request.Query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return null;
        }
        if (values.Count > 1)
        {
            throw NgsiLdException.BadRequestData($"URL parameter '{name}' is given more than once.");
        }
        return values[0];
    }

    public static bool BoolParam(HttpContext http, string name)
    {
        var value = Param(http, name);
        return value switch
        {
            null => false,
            "true" => true,
            "false" => false,
            _ => throw NgsiLdException.BadRequestData($"URL parameter '{name}' must be true or false."),
        };
    }

    public static int? IntParam(HttpContext http, string name)
    {
        var value = Param(http, name);
        if (value is null)
        {
            return null;
        }
        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var result))
        {
            throw NgsiLdException.BadRequestData($"URL parameter '{name}' must be a non-negative integer.");
        }
        return result;
    }

    /// <summary>Chooses the response media type from Accept (§6.3.4); 406 when none is acceptable.</summary>
    public static ResponseMediaType Negotiate(HttpContext http, bool allowGeoJson)
    {
        var accept = http.Request.Headers.Accept;
        if (StringValues.IsNullOrEmpty(accept))
        {
            return ResponseMediaType.Json;
        }
        ResponseMediaType? best = null;
        var bestWeight = 0.0;
        var bestRank = int.MaxValue;
        foreach (var header in accept)
        {
            foreach (var item in (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = item.Split(';', StringSplitOptions.TrimEntries);
                var weight = 1.0;
                foreach (var p in parts.Skip(1))
                {
                    if (p.StartsWith("q=", StringComparison.Ordinal)
                        && double.TryParse(p.AsSpan(2), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var q))
                    {
                        weight = q;
                    }
                }
                (ResponseMediaType Type, int Rank)? candidate = parts[0].ToLowerInvariant() switch
                {
                    ApplicationJson => (ResponseMediaType.Json, 0),
                    ApplicationLdJson => (ResponseMediaType.LdJson, 1),
                    ApplicationGeoJson when allowGeoJson => (ResponseMediaType.GeoJson, 2),
                    "*/*" or "application/*" => (ResponseMediaType.Json, 3),
                    _ => null,
                };
                if (candidate is null || weight <= 0)
                {
                    continue;
                }
                if (weight > bestWeight || (weight == bestWeight && candidate.Value.Rank < bestRank))
                {
                    best = candidate.Value.Type;
                    bestWeight = weight;
                    bestRank = candidate.Value.Rank;
                }
            }
        }
        return best ?? throw NgsiLdException.NotAcceptable(allowGeoJson
            ? "This resource is available as application/json, application/ld+json or application/geo+json."
            : "This resource is available as application/json or application/ld+json.");
    }

    /// <summary>
    /// Reads and parses a JSON request body: 415 for other content types, 413 when too large, 400
    /// InvalidRequest when it is not JSON (or nests deeper than allowed).
    /// </summary>
    public static async Task<RequestBody> ReadBodyAsync(HttpContext http, BrokerOptions options, bool allowMergePatch, CancellationToken cancellationToken)
    {
        var contentType = http.Request.ContentType;
        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        var isLd = mediaType == ApplicationLdJson;
        if (mediaType is not (ApplicationJson or ApplicationLdJson) && !(allowMergePatch && mediaType == MergePatchJson))
        {
            throw NgsiLdException.UnsupportedMediaType(
                $"Content-Type '{contentType ?? "(none)"}' is not supported; use application/json or application/ld+json"
                + (allowMergePatch ? " (or application/merge-patch+json)." : "."));
        }
        if (http.Request.ContentLength > options.MaxRequestBodyBytes)
        {
            throw NgsiLdException.RequestTooLarge($"The body is larger than the broker accepts ({options.MaxRequestBodyBytes} bytes).");
        }
        // The body is read into pooled arrays: batch bodies are often megabytes, and fresh arrays that size would
        // all land on the large object heap. The parsed JSON holds its own copy, so the buffer goes back at once.
        var length = http.Request.ContentLength is > 0 and <= int.MaxValue ? (int)Math.Min(http.Request.ContentLength.Value, options.MaxRequestBodyBytes) : 0;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length + 1, 4096));
        var written = 0;
        try
        {
            var body = http.Request.Body;
            while (true)
            {
                if (written == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, written).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await body.ReadAsync(buffer.AsMemory(written), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                written += read;
                if (written > options.MaxRequestBodyBytes)
                {
                    throw NgsiLdException.RequestTooLarge($"The body is larger than the broker accepts ({options.MaxRequestBodyBytes} bytes).");
                }
            }
            if (written == 0)
            {
                throw NgsiLdException.InvalidRequest("The request has no body.");
            }
            try
            {
                var node = JsonNode.Parse(buffer.AsSpan(0, written), documentOptions: new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth });
                return new RequestBody(node, isLd);
            }
            catch (JsonException e)
            {
                throw NgsiLdException.InvalidRequest(e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                    ? $"The body nests deeper than the broker accepts ({options.MaxJsonDepth} levels)."
                    : $"The body is not valid JSON: {e.Message}");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The URL of the JSON-LD context Link header, or null when there is none.</summary>
    public static string? LinkContextUrl(HttpContext http)
    {
        foreach (var header in http.Request.Headers.Link)
        {
            foreach (var link in SplitLinks(header ?? ""))
            {
                var open = link.IndexOf('<');
                var close = link.IndexOf('>');
                if (open < 0 || close <= open)
                {
                    throw NgsiLdException.BadRequestData("The Link header is malformed; expected <URL>; rel=\"http://www.w3.org/ns/json-ld#context\".");
                }
                var parameters = link[(close + 1)..];
                if (parameters.Contains(JsonLdContextRel, StringComparison.Ordinal))
                {
                    var url = link[(open + 1)..close].Trim();
                    if (!Entities.NgsiNames.IsUri(url))
                    {
                        throw NgsiLdException.BadRequestData($"The @context link '{url}' is not a URI.");
                    }
                    return url;
                }
            }
        }
        return null;
    }

    private static IEnumerable<string> SplitLinks(string header)
    {
        // Commas separate links, but only outside <...>.
        var start = 0;
        var inUrl = false;
        for (var i = 0; i < header.Length; i++)
        {
            switch (header[i])
            {
                case '<': inUrl = true; break;
                case '>': inUrl = false; break;
                case ',' when !inUrl:
                    yield return header[start..i];
                    start = i + 1;
                    break;
            }
        }
        if (start < header.Length)
        {
            yield return header[start..];
        }
    }

    /// <summary>
    /// The user @context of a request (§6.3.5): the Link header for GET/DELETE and JSON bodies, the body's
    /// <c>@context</c> for JSON-LD bodies; mixes are BadRequestData.
    /// </summary>
    public static JsonNode? UserContext(HttpContext http, RequestBody? body)
    {
        var link = LinkContextUrl(http);
        if (body is null)
        {
            return link is null ? null : JsonValue.Create(link);
        }
        if (body.IsLdJson)
        {
            if (link is not null)
            {
                throw NgsiLdException.BadRequestData("A JSON-LD body carries its own @context; it must not come with a Link header.");
            }
            return null;
        }
        if (body.Json is JsonObject o && o.ContainsKey("@context"))
        {
            throw NgsiLdException.BadRequestData("An application/json body must not contain @context; use application/ld+json or a Link header.");
        }
        if (body.Json is JsonArray a && a.Any(e => e is JsonObject eo && eo.ContainsKey("@context")))
        {
            throw NgsiLdException.BadRequestData("An application/json body must not contain @context; use application/ld+json or a Link header.");
        }
        return link is null ? null : JsonValue.Create(link);
    }

    /// <summary>The <c>@context</c> member of a JSON-LD object, which it must have.</summary>
    public static JsonNode BodyContext(JsonNode? element)
    {
        if (element is JsonObject o && o.TryGetPropertyValue("@context", out var context) && context is not null)
        {
            return context;
        }
        throw NgsiLdException.BadRequestData("An application/ld+json body must contain @context.");
    }

    /// <summary>Resolves a context, turning JSON-LD failures into NGSI-LD errors.</summary>
    public static async ValueTask<JsonLdContext> ResolveAsync(IJsonLdContextResolver resolver, JsonNode? userContext, CancellationToken cancellationToken)
    {
        try
        {
            return await resolver.ResolveAsync(userContext, cancellationToken);
        }
        catch (JsonLdException e)
        {
            throw ToNgsiLd(e);
        }
    }

    public static NgsiLdException ToNgsiLd(JsonLdException e) => e.Kind switch
    {
        JsonLdErrorKind.NotAvailable => NgsiLdException.LdContextNotAvailable(e.Message, 503),
        JsonLdErrorKind.NotFound => NgsiLdException.NotFound(e.Message),
        _ => NgsiLdException.BadRequestData(e.Message),
    };

    /// <summary>The request's tenant: the NGSILD-Tenant header, or the default tenant.</summary>
    public static string Tenant(HttpContext http)
    {
        var header = http.Request.Headers[TenantHeader];
        if (StringValues.IsNullOrEmpty(header))
        {
            return Storage.Tenants.Default;
        }
        var tenant = header.ToString();
        if (tenant.Length > 128 || !tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/'))
        {
            throw NgsiLdException.BadRequestData("The NGSILD-Tenant header must be 1-128 letters, digits or _-.:/ characters.");
        }
        http.Response.Headers[TenantHeader] = tenant;
        return tenant;
    }

    /// <summary>The Link header value pointing at a context, absolute even for broker-hosted contexts.</summary>
    public static string ContextLinkHeader(HttpContext http, JsonLdContext context)
    {
        var url = context.LinkUrl;
        if (url.StartsWith('/'))
        {
            url = $"{http.Request.Scheme}://{http.Request.Host}{url}";
        }
        return $"<{url}>; rel=\"{JsonLdContextRel}\"; type=\"application/ld+json\"";
    }
}
