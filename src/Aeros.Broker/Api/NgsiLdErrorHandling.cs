using System.Text.Json;
using Aeros.Broker.Errors;
using Aeros.Broker.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Api;

/// <summary>
/// Turns every failure of an NGSI-LD endpoint into problem details. Expected errors keep their status; anything
/// unexpected is logged and answered 500 InternalError — a bad request must never reach that branch.
/// </summary>
internal static partial class NgsiLdErrorHandling
{
    /// <summary>Wraps an endpoint so that its failures become NGSI-LD problem details.</summary>
    public static RequestDelegate Guard(RequestDelegate handler) => http => RunAsync(http, handler);

    private static async Task RunAsync(HttpContext http, RequestDelegate handler)
    {
        try
        {
            await handler(http);
        }
        catch (NgsiLdException e) when (!http.Response.HasStarted)
        {
            await NgsiLdResponses.WriteProblemAsync(http, e);
        }
        catch (UnknownTenantException e) when (!http.Response.HasStarted)
        {
            await NgsiLdResponses.WriteProblemAsync(http, NgsiLdException.NonexistentTenant(e.Tenant));
        }
        catch (StoreUnavailableException e) when (!http.Response.HasStarted)
        {
            // The database is away: fail fast and let the client retry; the store reconnects by itself.
            await NgsiLdResponses.WriteProblemAsync(http, new NgsiLdException(ErrorTypes.InternalError, "Service Unavailable", 503, e.Message));
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            var error = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? NgsiLdException.RequestTooLarge(e.Message)
                : NgsiLdException.InvalidRequest(e.Message);
            await NgsiLdResponses.WriteProblemAsync(http, error);
        }
        catch (JsonException e) when (!http.Response.HasStarted)
        {
            await NgsiLdResponses.WriteProblemAsync(http, NgsiLdException.InvalidRequest($"Invalid JSON: {e.Message}"));
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Aeros.Broker.Api");
            LogUnexpected(logger, e, http.Request.Method, http.Request.Path);
            await NgsiLdResponses.WriteProblemAsync(http, NgsiLdException.Internal("The broker failed unexpectedly; the failure is logged."));
        }
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unexpected failure in {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
