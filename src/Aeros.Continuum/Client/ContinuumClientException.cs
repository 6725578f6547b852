using System.Net;
using System.Text.Json.Nodes;

namespace Aeros.Continuum;

/// <summary>
/// A broker operation failed: the broker answered with an error (<see cref="Status"/> set, with its problem
/// details), or it could not be reached or did not answer in time after every attempt (<see cref="Status"/> null).
/// </summary>
public sealed class ContinuumClientException : AerosException
{
    /// <summary>Creates the exception.</summary>
    public ContinuumClientException(string message, HttpStatusCode? status = null, JsonObject? problem = null, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Problem = problem;
    }

    /// <summary>The HTTP status the broker answered, or null if no answer came.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The problem details (RFC 9457 / NGSI-LD error) the broker answered, if any.</summary>
    public JsonObject? Problem { get; }

    /// <summary>The problem <c>type</c>, e.g. <c>https://uri.etsi.org/ngsi-ld/errors/BadRequestData</c>.</summary>
    public string? ProblemType => Text("type");

    /// <summary>The problem <c>title</c>.</summary>
    public string? Title => Text("title");

    /// <summary>The problem <c>detail</c>.</summary>
    public string? Detail => Text("detail");

    /// <summary>Whether trying again later may succeed (no answer, a timeout, 5xx or 429).</summary>
    public bool IsTransient => Status is null or HttpStatusCode.TooManyRequests || (int)Status >= 500;

    private string? Text(string name) => Problem?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
