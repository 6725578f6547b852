using System.Net;

namespace Aeros.Broker.Errors;

/// <summary>
/// An NGSI-LD error: answered as problem details with the error type URI and the status the spec gives
/// (ETSI GS CIM 009 §5.5.2, §6.3.2). Thrown for bad input and expected failures, never for bugs.
/// </summary>
public sealed class NgsiLdException : AerosException
{
    /// <summary>The NGSI-LD error type URI, e.g. <c>https://uri.etsi.org/ngsi-ld/errors/BadRequestData</c>.</summary>
    public string Type { get; }

    /// <summary>The short summary of the error type.</summary>
    public string Title { get; }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>Creates an NGSI-LD error; <paramref name="detail"/> says what was wrong in this request.</summary>
    public NgsiLdException(string type, string title, int status, string detail) : base(detail)
    {
        Type = type;
        Title = title;
        Status = status;
    }

    /// <summary>The specific message of this occurrence.</summary>
    public string Detail => Message;

    internal static NgsiLdException InvalidRequest(string detail) =>
        new(ErrorTypes.InvalidRequest, "Invalid request", 400, detail);

    internal static NgsiLdException BadRequestData(string detail) =>
        new(ErrorTypes.BadRequestData, "Bad request data", 400, detail);

    internal static NgsiLdException NotFound(string detail) =>
        new(ErrorTypes.ResourceNotFound, "Resource not found", 404, detail);

    internal static NgsiLdException AlreadyExists(string detail) =>
        new(ErrorTypes.AlreadyExists, "Already exists", 409, detail);

    internal static NgsiLdException OperationNotSupported(string detail) =>
        new(ErrorTypes.OperationNotSupported, "Operation not supported", 422, detail);

    internal static NgsiLdException LdContextNotAvailable(string detail, int status) =>
        new(ErrorTypes.LdContextNotAvailable, "JSON-LD context not available", status, detail);

    internal static NgsiLdException TooManyResults(string detail) =>
        new(ErrorTypes.TooManyResults, "Too many results", 403, detail);

    internal static NgsiLdException NonexistentTenant(string tenant) =>
        new(ErrorTypes.NonexistentTenant, "Nonexistent tenant", 404, $"Tenant '{tenant}' does not exist.");

    internal static NgsiLdException RequestTooLarge(string detail) =>
        new(ErrorTypes.RequestEntityTooLarge, "Request entity too large", (int)HttpStatusCode.RequestEntityTooLarge, detail);

    internal static NgsiLdException UnsupportedMediaType(string detail) =>
        new(ErrorTypes.InvalidRequest, "Unsupported media type", 415, detail);

    internal static NgsiLdException NotAcceptable(string detail) =>
        new(ErrorTypes.InvalidRequest, "Not acceptable", 406, detail);

    internal static NgsiLdException Internal(string detail) =>
        new(ErrorTypes.InternalError, "Internal error", 500, detail);
}

/// <summary>The NGSI-LD error type URIs (ETSI GS CIM 009 Table 5.5.2-1).</summary>
public static class ErrorTypes
{
    private const string Prefix = "https://uri.etsi.org/ngsi-ld/errors/";
    /// <summary>The request is malformed (not JSON, unknown parameter, bad option).</summary>
    public const string InvalidRequest = Prefix + "InvalidRequest";
    /// <summary>The request is well formed but its content is not valid NGSI-LD.</summary>
    public const string BadRequestData = Prefix + "BadRequestData";
    /// <summary>The resource already exists.</summary>
    public const string AlreadyExists = Prefix + "AlreadyExists";
    /// <summary>The operation conflicts with the resource's state.</summary>
    public const string Conflict = Prefix + "Conflict";
    /// <summary>The broker cannot perform this operation.</summary>
    public const string OperationNotSupported = Prefix + "OperationNotSupported";
    /// <summary>The resource does not exist.</summary>
    public const string ResourceNotFound = Prefix + "ResourceNotFound";
    /// <summary>Unexpected failure.</summary>
    public const string InternalError = Prefix + "InternalError";
    /// <summary>The query is too complex.</summary>
    public const string TooComplexQuery = Prefix + "TooComplexQuery";
    /// <summary>The result set is too large.</summary>
    public const string TooManyResults = Prefix + "TooManyResults";
    /// <summary>A JSON-LD context could not be retrieved.</summary>
    public const string LdContextNotAvailable = Prefix + "LdContextNotAvailable";
    /// <summary>The tenant does not exist.</summary>
    public const string NonexistentTenant = Prefix + "NonexistentTenant";
    /// <summary>The request body is larger than the broker accepts (not in the spec's table; 413).</summary>
    public const string RequestEntityTooLarge = Prefix + "RequestEntityTooLarge";
}
