using System.Buffers;
using System.Text;
using System.Text.Json;
using Aeros.Broker.Errors;
using Microsoft.AspNetCore.Http;

namespace Aeros.Broker.Api;

/// <summary>Writes NGSI-LD responses: JSON bodies and problem details.</summary>
internal static class NgsiLdResponses
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = true };

    /// <summary>Writes a JSON body produced by <paramref name="write"/> with the given status and content type.</summary>
    public static async Task WriteJsonAsync(HttpContext http, int status, string contentType, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }
        http.Response.StatusCode = status;
        http.Response.ContentType = contentType;
        http.Response.ContentLength = buffer.WrittenCount;
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }

    /// <summary>Writes problem details (always application/json, §6.3.2).</summary>
    public static Task WriteProblemAsync(HttpContext http, NgsiLdException error)
    {
        http.Response.Headers.Remove("Link");
        return WriteJsonAsync(http, error.Status, NgsiLdHttp.ApplicationJson, w => WriteProblem(w, error));
    }

    public static void WriteProblem(Utf8JsonWriter writer, NgsiLdException error)
    {
        writer.WriteStartObject();
        writer.WriteString("type", error.Type);
        writer.WriteString("title", error.Title);
        writer.WriteNumber("status", error.Status);
        writer.WriteString("detail", error.Detail);
        writer.WriteEndObject();
    }

    /// <summary>An empty 201 with a Location header (§6.3.6: no body, no Content-Type).</summary>
    public static void Created(HttpContext http, string location)
    {
        http.Response.StatusCode = StatusCodes.Status201Created;
        http.Response.Headers.Location = location;
    }

    /// <summary>An empty 204.</summary>
    public static void NoContent(HttpContext http) => http.Response.StatusCode = StatusCodes.Status204NoContent;

    /// <summary>
    /// The paging Link header of a GET listing (031_02_01..03):
    /// <c>&lt;/ngsi-ld/v1/...?limit=L&amp;offset=O&gt;;rel="prev|next";type="application/ld+json"</c>.
    /// </summary>
    internal static void AddPaginationLinks(HttpContext http, int limit, int offset, int returned, long? total)
    {
        if (limit == 0 || http.Request.Method != HttpMethods.Get)
        {
            return;
        }
        var links = new List<string>();
        if (offset > 0)
        {
            links.Add(PageLink(http, limit, Math.Max(0, offset - limit), "prev"));
        }
        var more = total is { } t ? offset + returned < t : returned == limit;
        if (more)
        {
            links.Add(PageLink(http, limit, offset + limit, "next"));
        }
        if (links.Count > 0)
        {
            http.Response.Headers.Append("Link", links.ToArray());
        }
    }

    private static string PageLink(HttpContext http, int limit, int offset, string rel)
    {
        var builder = new StringBuilder(http.Request.PathBase).Append(http.Request.Path).Append('?');
        foreach (var (key, values) in http.Request.Query)
        {
            if (key is "limit" or "offset")
            {
                continue;
            }
            foreach (var value in values)
            {
                builder.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value ?? "")).Append('&');
            }
        }
        builder.Append("limit=").Append(limit).Append("&offset=").Append(offset);
        return $"<{builder}>;rel=\"{rel}\";type=\"application/ld+json\"";
    }
}
