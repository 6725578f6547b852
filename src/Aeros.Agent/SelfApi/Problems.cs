using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Aeros.Agent.SelfApi;

/// <summary>RFC 9457 problem details for every error of the self-API.</summary>
public static class Problems
{
    /// <summary>The media type of problem details.</summary>
    public const string ContentType = "application/problem+json";

    /// <summary>A problem with <paramref name="status"/>, a short title, a detail and, for bad input, every error.</summary>
    public static IResult Create(int status, string title, string detail, IReadOnlyList<string>? errors = null, string? instance = null)
    {
        var body = new JsonObject
        {
            ["type"] = "about:blank",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (instance is not null)
        {
            body["instance"] = instance;
        }
        if (errors is { Count: > 0 })
        {
            body["errors"] = new JsonArray(errors.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray());
        }
        return Results.Text(body.ToJsonString(), ContentType, System.Text.Encoding.UTF8, status);
    }

    /// <summary>400 listing every error of the request.</summary>
    public static IResult BadRequest(IReadOnlyList<string> errors, string? instance = null) =>
        Create(400, "Bad Request", errors.Count == 1 ? errors[0] : $"The request has {errors.Count} errors.", errors, instance);
}
