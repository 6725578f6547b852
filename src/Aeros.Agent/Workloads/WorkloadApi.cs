using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Workloads;

/// <summary>
/// The workload part of the self-API: <c>GET /self/v1/workloads</c>, <c>GET|PUT|DELETE /self/v1/workloads/{name}</c>,
/// <c>GET /self/v1/workloads/{name}/logs?tail=N</c>. JSON in and out; every error is an RFC 9457 problem
/// (<c>application/problem+json</c>), a bad spec a 400 that lists every error in <c>errors</c>.
/// </summary>
internal static partial class WorkloadApi
{
    public const string Root = "/self/v1/workloads";
    public const int DefaultTail = 100;
    public const int MaxTail = 10_000;
    private const int MaxBodyBytes = 1024 * 1024;
    private const string ProblemBase = "urn:aeros:problem:";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Root);
        api.MapGet("", (HttpContext http) => Guard(http, () =>
        {
            var manager = Manager(http);
            var list = new JsonArray(manager.List().Select(s => (JsonNode?)WithSpec(s, manager.GetSpec(s.Name))).ToArray());
            var summary = manager.Summary;
            return Json(200, new JsonObject
            {
                ["workloads"] = list,
                ["summary"] = new JsonObject
                {
                    ["total"] = summary.Total, ["running"] = summary.Running, ["failed"] = summary.Failed,
                    ["crashLooping"] = summary.CrashLooping, ["restarts"] = summary.Restarts,
                },
            });
        }));
        api.MapGet("/{name}", (HttpContext http, string name) => Guard(http, () =>
        {
            var manager = Manager(http);
            var status = manager.Get(name);
            return status is null ? NotFound(name) : Json(200, WithSpec(status, manager.GetSpec(name)));
        }));
        api.MapPut("/{name}", (HttpContext http, string name) => Guard(http, async () =>
        {
            if (!WorkloadSpec.IsValidName(name))
            {
                return Problem(400, "invalid-workload-spec", "Invalid workload spec", $"The workload name '{name}' in the URL is invalid.",
                    [$"Name '{name}' is invalid: use 1-{WorkloadSpec.MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit."]);
            }
            if (http.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return Problem(415, "unsupported-media-type", "Unsupported media type", "Send the workload spec as application/json.");
            }
            var (body, readError) = await ReadBodyAsync(http);
            if (readError is not null)
            {
                return readError;
            }
            var spec = WorkloadSpec.Parse(body, name, out var errors);
            if (spec is null)
            {
                return Problem(400, "invalid-workload-spec", "Invalid workload spec", $"The workload spec has {errors.Count} error(s).", errors);
            }
            var manager = Manager(http);
            var existed = manager.Get(name) is not null;
            var status = await manager.ApplyAsync(spec, http.RequestAborted);
            var result = WithSpec(status, spec);
            http.Response.Headers.Location = $"{Root}/{name}";
            return Json(existed ? 200 : 201, result);
        }));
        api.MapDelete("/{name}", (HttpContext http, string name) => Guard(http, async () =>
            await Manager(http).RemoveAsync(name, http.RequestAborted) ? Results.NoContent() : NotFound(name)));
        api.MapGet("/{name}/logs", (HttpContext http, string name) => Guard(http, async () =>
        {
            var tail = DefaultTail;
            if (http.Request.Query.TryGetValue("tail", out var tailText))
            {
                if (tailText.Count != 1 || !int.TryParse(tailText[0], NumberStyles.None, CultureInfo.InvariantCulture, out tail) || tail is < 1 or > MaxTail)
                {
                    return Problem(400, "invalid-query", "Invalid query", $"'tail' must be an integer from 1 to {MaxTail}.", [$"'tail' '{tailText}' is not an integer from 1 to {MaxTail}."]);
                }
            }
            var lines = await Manager(http).ReadLogsAsync(name, tail, http.RequestAborted);
            return lines is null
                ? NotFound(name)
                : Json(200, new JsonObject { ["name"] = name, ["tail"] = tail, ["lines"] = new JsonArray(lines.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()) });
        }));
    }

    private static IWorkloadManager Manager(HttpContext http) => http.RequestServices.GetRequiredService<IWorkloadManager>();

    private static JsonObject WithSpec(WorkloadStatus status, WorkloadSpec? spec)
    {
        var json = status.ToJson();
        if (spec is not null)
        {
            json["spec"] = spec.ToJson(includeSecrets: false);
        }
        return json;
    }

    private static async Task<(JsonNode? Body, IResult? Error)> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return (null, Problem(413, "payload-too-large", "Payload too large", $"A workload spec is at most {MaxBodyBytes} bytes."));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted);
            if (read == 0)
            {
                break;
            }
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, Problem(413, "payload-too-large", "Payload too large", $"A workload spec is at most {MaxBodyBytes} bytes."));
            }
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return (JsonNode.Parse(buffer.ToArray()), null);
        }
        catch (JsonException e)
        {
            return (null, Problem(400, "invalid-json", "Invalid JSON", "The body is not valid JSON: " + e.Message, ["The body is not valid JSON: " + e.Message]));
        }
    }

    private static IResult NotFound(string name) =>
        Problem(404, "workload-not-found", "Workload not found", $"There is no workload named '{name}'.");

    private static IResult Json(int status, JsonNode body) =>
        Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, status);

    /// <summary>An RFC 9457 problem; <paramref name="errors"/> lists every error of a bad request.</summary>
    internal static IResult Problem(int status, string type, string title, string detail, IReadOnlyList<string>? errors = null)
    {
        var body = new JsonObject
        {
            ["type"] = ProblemBase + type,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors is not null)
        {
            body["errors"] = new JsonArray(errors.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray());
        }
        return Results.Text(body.ToJsonString(), "application/problem+json", Encoding.UTF8, status);
    }

    private static Task Guard(HttpContext http, Func<IResult> handler) => Guard(http, () => Task.FromResult(handler()));

    private static async Task Guard(HttpContext http, Func<Task<IResult>> handler)
    {
        IResult result;
        try
        {
            result = await handler();
        }
        catch (WorkloadSpecException e)
        {
            result = Problem(400, "invalid-workload-spec", "Invalid workload spec", $"The workload spec has {e.Errors.Count} error(s).", e.Errors);
        }
        catch (ObjectDisposedException)
        {
            result = Problem(503, "agent-stopping", "Agent stopping", "The agent is shutting down; try again after it restarted.");
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Aeros.Agent.Workloads.Api");
            LogUnexpected(logger, e, http.Request.Method, http.Request.Path);
            result = Problem(500, "internal-error", "Internal error", "The workload API failed unexpectedly; the failure is logged.");
        }
        await result.ExecuteAsync(http);
    }

    [LoggerMessage(EventId = 4190, Level = LogLevel.Error, Message = "Unexpected failure in {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
