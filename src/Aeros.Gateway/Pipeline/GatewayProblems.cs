using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Aeros.Gateway.Pipeline;

/// <summary>Writes the gateway's own errors as RFC 9457 problem details (<c>application/problem+json</c>).</summary>
internal static class GatewayProblems
{
    public const string ContentType = "application/problem+json";

    /// <summary>The <c>WWW-Authenticate</c> challenge of a request without a token (RFC 6750 §3).</summary>
    public const string MissingTokenChallenge = "Bearer realm=\"aeros\"";

    public static Task WriteAsync(HttpContext http, int status, string title, string detail, IReadOnlyList<string>? errors = null)
    {
        var response = http.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "about:blank");
            json.WriteString("title", title);
            json.WriteNumber("status", status);
            json.WriteString("detail", detail);
            json.WriteString("instance", http.Request.Path.Value);
            if (errors is { Count: > 0 })
            {
                json.WriteStartArray("errors");
                foreach (var e in errors)
                {
                    json.WriteStringValue(e);
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        response.ContentLength = buffer.Length;
        return response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).AsTask();
    }

    public static Task Unauthorized(HttpContext http, string? error)
    {
        // The reason goes to the client (it names no secret) but the challenge keeps to RFC 6750's fixed vocabulary.
        http.Response.Headers.WWWAuthenticate = error is null
            ? MissingTokenChallenge
            : "Bearer realm=\"aeros\", error=\"invalid_token\", error_description=\"" + error.Replace("\"", "'", StringComparison.Ordinal) + "\"";
        return WriteAsync(http, 401, "Unauthorized", error ?? "A bearer access token is required (Authorization: Bearer <token>).");
    }

    public static Task TooMany(HttpContext http, int status, TimeSpan retryAfter, string detail)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return WriteAsync(http, status, status == 429 ? "Too Many Requests" : "Service Unavailable", detail);
    }
}
