using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Orchestration.Federation;

/// <summary>
/// The federation API of a domain host under <c>/federation/v1</c>: <c>GET domains</c> (known domains and their
/// sync state), <c>POST leave</c> (leave the continuum), <c>POST join</c> (join again after leaving), <c>POST sync</c> (a pass now; other federators call it after
/// registering their domain here). Errors are
/// problem details with the NGSI-LD error types.
/// </summary>
internal static partial class FederationApi
{
    public const string Root = "/federation/v1";
    private const string ErrorPrefix = "https://uri.etsi.org/ngsi-ld/errors/";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Root);
        api.MapGet("/domains", (HttpContext http) => Guard(http, () =>
        {
            var federator = http.RequestServices.GetRequiredService<DomainFederator>();
            return Results.Json(SnapshotJson(federator.Snapshot()), statusCode: 200);
        }));
        api.MapPost("/leave", (HttpContext http) => Guard(http, async () =>
        {
            var federator = http.RequestServices.GetRequiredService<DomainFederator>();
            var endpointsSet = http.RequestServices.GetRequiredService<FederationEndpoints>();
            if (endpointsSet.BrokerUrl is null)
            {
                return Problem(503, "OperationNotSupported", "The federator has not started yet; try again in a moment.");
            }
            var outcomes = await federator.LeaveAsync(http.RequestAborted);
            var result = new JsonObject
            {
                ["domain"] = federator.DomainName,
                ["domainStatus"] = ContinuumTerms.DomainStatusRemoved,
                ["domains"] = new JsonArray(outcomes.Select(o => (JsonNode?)new JsonObject
                {
                    ["name"] = o.Domain,
                    ["registrationsRemoved"] = o.RegistrationsRemoved,
                    ["error"] = o.Error,
                }).ToArray()),
            };
            return Results.Json(result, statusCode: 200);
        }));
        api.MapPost("/sync", (HttpContext http) => Guard(http, () =>
        {
            // Another domain just registered itself here: look at the continuum now rather than at the next resync.
            var federator = http.RequestServices.GetRequiredService<DomainFederator>();
            federator.Wake();
            return Results.Json(new JsonObject { ["domain"] = federator.DomainName, ["syncing"] = true }, statusCode: 202);
        }));
        api.MapPost("/join", (HttpContext http) => Guard(http, () =>
        {
            var federator = http.RequestServices.GetRequiredService<DomainFederator>();
            federator.Rejoin();
            return Results.Json(new JsonObject { ["domain"] = federator.DomainName, ["joining"] = true }, statusCode: 202);
        }));
    }

    private static JsonObject SnapshotJson(FederationSnapshot s) => new()
    {
        ["domain"] = s.Domain,
        ["domainId"] = ContinuumTerms.DomainId(s.Domain),
        ["publicUrl"] = s.PublicUrl?.AbsoluteUri,
        ["brokerUrl"] = s.BrokerUrl?.AbsoluteUri,
        ["contextSourceAlias"] = s.Alias,
        ["status"] = s.Left ? "left" : s.PublicUrl is null ? "starting" : "joined",
        ["lastPass"] = s.LastPass?.ToString("O"),
        ["lastPassComplete"] = s.LastPassComplete,
        ["nameConflict"] = s.NameConflict?.AbsoluteUri,
        ["domains"] = new JsonArray(s.Domains.Select(d => (JsonNode?)new JsonObject
        {
            ["name"] = d.Name,
            ["publicUrl"] = d.PublicUrl.AbsoluteUri,
            ["contextSourceAlias"] = d.Alias,
            ["state"] = d.State.ToString().ToLowerInvariant(),
            ["lastSuccess"] = d.LastSuccess?.ToString("O"),
            ["lastAttempt"] = d.LastAttempt?.ToString("O"),
            ["lastError"] = d.LastError,
        }).ToArray()),
        ["peers"] = new JsonArray(s.Peers.Select(p => (JsonNode?)new JsonObject
        {
            ["url"] = p.Url.AbsoluteUri,
            ["reachable"] = p.Reachable,
            ["lastAttempt"] = p.LastAttempt?.ToString("O"),
            ["lastError"] = p.LastError,
        }).ToArray()),
    };

    private static Task Guard(HttpContext http, Func<IResult> handler) => Guard(http, () => Task.FromResult(handler()));

    private static async Task Guard(HttpContext http, Func<Task<IResult>> handler)
    {
        var result = await RunAsync(http, handler);
        await result.ExecuteAsync(http);
    }

    private static async Task<IResult> RunAsync(HttpContext http, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (BrokerRequestException e)
        {
            // The own broker failed under the federator: not the client's fault, and not a crash either.
            return Problem(502, "InternalError", e.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Aeros.Orchestration.Federation.Api");
            LogUnexpected(logger, e, http.Request.Method, http.Request.Path);
            return Problem(500, "InternalError", "The federator failed unexpectedly; the failure is logged.");
        }
    }

    private static IResult Problem(int status, string type, string detail) =>
        Results.Json(new JsonObject
        {
            ["type"] = ErrorPrefix + type,
            ["title"] = type,
            ["status"] = status,
            ["detail"] = detail,
        }, statusCode: status, contentType: "application/json");

    [LoggerMessage(EventId = 3090, Level = LogLevel.Error, Message = "Unexpected failure in {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
