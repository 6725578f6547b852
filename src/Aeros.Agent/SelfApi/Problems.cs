using Aeros.Agent.SelfApi.Transport;
using Microsoft.AspNetCore.Http;

namespace Aeros.Agent.SelfApi;

/// <summary>
/// RFC 9457 problem details in the self-API's shape, for ASP.NET Core code in front of the self-API on Kestrel
/// (middleware, filters); the self-API's own handlers answer through the transport-neutral response, same body.
/// </summary>
public static class Problems
{
    /// <summary>The media type of problem details.</summary>
    public const string ContentType = SelfApiResponse.ProblemContentType;

    /// <summary>A problem with <paramref name="status"/>, a short title, a detail and, for bad input, every error.</summary>
    public static IResult Create(int status, string title, string detail, IReadOnlyList<string>? errors = null, string? instance = null)
    {
        var problem = SelfApiResponse.Problem(status, title, detail, errors is { Count: > 0 } ? errors : null, instance);
        return Results.Text(System.Text.Encoding.UTF8.GetString(problem.Body.Span), ContentType, System.Text.Encoding.UTF8, status);
    }

    /// <summary>400 listing every error of the request.</summary>
    public static IResult BadRequest(IReadOnlyList<string> errors, string? instance = null) =>
        Create(400, "Bad Request", errors.Count == 1 ? errors[0] : $"The request has {errors.Count} errors.", errors, instance);
}
