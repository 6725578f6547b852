using System.Text;
using System.Text.Json.Nodes;

namespace Aeros.Agent.SelfApi.Transport;

/// <summary>A self-API response: status, content type, body and the few headers the self-API sets.</summary>
internal sealed record SelfApiResponse
{
    /// <summary>The media type of problem details (RFC 9457).</summary>
    public const string ProblemContentType = "application/problem+json";

    /// <summary>The status code.</summary>
    public required int Status { get; init; }

    /// <summary>The <c>Content-Type</c> (with charset), or null without a body.</summary>
    public string? ContentType { get; init; }

    /// <summary>The body bytes (empty for none).</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The <c>Location</c> header, if any.</summary>
    public string? Location { get; init; }

    /// <summary>The <c>Allow</c> header of a 405, if any.</summary>
    public string? Allow { get; init; }

    /// <summary>The <c>WWW-Authenticate</c> header of a 401 (RFC 6750 §3), if any.</summary>
    public string? WwwAuthenticate { get; init; }

    /// <summary>A JSON body (<c>application/json; charset=utf-8</c>).</summary>
    public static SelfApiResponse Json(int status, JsonNode body, string? location = null) =>
        Text(status, "application/json; charset=utf-8", body.ToJsonString(), location);

    /// <summary>A text body of <paramref name="contentType"/>, UTF-8 encoded.</summary>
    public static SelfApiResponse Text(int status, string contentType, string body, string? location = null) =>
        new() { Status = status, ContentType = contentType, Body = Encoding.UTF8.GetBytes(body), Location = location };

    /// <summary>204 without a body.</summary>
    public static SelfApiResponse NoContent() => new() { Status = 204 };

    /// <summary>
    /// An RFC 9457 problem: <paramref name="type"/> (<c>about:blank</c> unless the API has its own types), a short
    /// title, a detail, optionally the request path as <c>instance</c> and, for bad input, every error in <c>errors</c>.
    /// </summary>
    public static SelfApiResponse Problem(int status, string title, string detail, IReadOnlyList<string>? errors = null, string? instance = null,
        string type = "about:blank", string? allow = null)
    {
        var body = new JsonObject
        {
            ["type"] = type,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (instance is not null)
        {
            body["instance"] = instance;
        }
        if (errors is not null)
        {
            body["errors"] = new JsonArray(errors.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray());
        }
        return new() { Status = status, ContentType = ProblemContentType, Body = Encoding.UTF8.GetBytes(body.ToJsonString()), Allow = allow };
    }
}
