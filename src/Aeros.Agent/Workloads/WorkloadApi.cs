using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Agent.SelfApi.Transport;
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

    /// <summary>The workload API's routes.</summary>
    public static IReadOnlyList<SelfApiRoute> Routes { get; } =
    [
        new("GET", Root, request => Guard(request, List)),
        new("GET", Root + "/{name}", request => Guard(request, Get)),
        new("PUT", Root + "/{name}", request => Guard(request, PutAsync)),
        new("DELETE", Root + "/{name}", request => Guard(request, async r =>
            await Manager(r).RemoveAsync(r.Route("name"), r.Aborted) ? SelfApiResponse.NoContent() : NotFound(r.Route("name")))),
        new("GET", Root + "/{name}/logs", request => Guard(request, LogsAsync)),
    ];

    private static ValueTask<SelfApiResponse> List(SelfApiRequest request)
    {
        var manager = Manager(request);
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
    }

    private static ValueTask<SelfApiResponse> Get(SelfApiRequest request)
    {
        var name = request.Route("name");
        var manager = Manager(request);
        var status = manager.Get(name);
        return status is null ? ValueTask.FromResult(NotFound(name)) : Json(200, WithSpec(status, manager.GetSpec(name)));
    }

    private static async ValueTask<SelfApiResponse> PutAsync(SelfApiRequest request)
    {
        var name = request.Route("name");
        if (!WorkloadSpec.IsValidName(name))
        {
            return Problem(400, "invalid-workload-spec", "Invalid workload spec", $"The workload name '{name}' in the URL is invalid.",
                [$"Name '{name}' is invalid: use 1-{WorkloadSpec.MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit."]);
        }
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Problem(415, "unsupported-media-type", "Unsupported media type", "Send the workload spec as application/json.");
        }
        var (body, readError) = await ReadBodyAsync(request);
        if (readError is not null)
        {
            return readError;
        }
        var spec = WorkloadSpec.Parse(body, name, out var errors);
        if (spec is null)
        {
            return Problem(400, "invalid-workload-spec", "Invalid workload spec", $"The workload spec has {errors.Count} error(s).", errors);
        }
        var manager = Manager(request);
        var existed = manager.Get(name) is not null;
        var status = await manager.ApplyAsync(spec, request.Aborted);
        return SelfApiResponse.Json(existed ? 200 : 201, WithSpec(status, spec), location: $"{Root}/{name}");
    }

    private static async ValueTask<SelfApiResponse> LogsAsync(SelfApiRequest request)
    {
        var name = request.Route("name");
        var tail = DefaultTail;
        if (request.TryGetQuery("tail", out var tailText))
        {
            if (tailText.Count != 1 || !int.TryParse(tailText[0], NumberStyles.None, CultureInfo.InvariantCulture, out tail) || tail is < 1 or > MaxTail)
            {
                var shown = string.Join(",", tailText);
                return Problem(400, "invalid-query", "Invalid query", $"'tail' must be an integer from 1 to {MaxTail}.", [$"'tail' '{shown}' is not an integer from 1 to {MaxTail}."]);
            }
        }
        var lines = await Manager(request).ReadLogsAsync(name, tail, request.Aborted);
        return lines is null
            ? NotFound(name)
            : SelfApiResponse.Json(200, new JsonObject { ["name"] = name, ["tail"] = tail, ["lines"] = new JsonArray(lines.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()) });
    }

    private static IWorkloadManager Manager(SelfApiRequest request) => request.Services.GetRequiredService<IWorkloadManager>();

    private static JsonObject WithSpec(WorkloadStatus status, WorkloadSpec? spec)
    {
        var json = status.ToJson();
        if (spec is not null)
        {
            json["spec"] = spec.ToJson(includeSecrets: false);
        }
        return json;
    }

    private static async Task<(JsonNode? Body, SelfApiResponse? Error)> ReadBodyAsync(SelfApiRequest request)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, Problem(413, "payload-too-large", "Payload too large", $"A workload spec is at most {MaxBodyBytes} bytes."));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var read = await request.Body.ReadAsync(chunk, request.Aborted);
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

    private static SelfApiResponse NotFound(string name) =>
        Problem(404, "workload-not-found", "Workload not found", $"There is no workload named '{name}'.");

    private static ValueTask<SelfApiResponse> Json(int status, JsonNode body) => ValueTask.FromResult(SelfApiResponse.Json(status, body));

    /// <summary>An RFC 9457 problem of the workload API's own type; <paramref name="errors"/> lists every error of a bad request.</summary>
    internal static SelfApiResponse Problem(int status, string type, string title, string detail, IReadOnlyList<string>? errors = null) =>
        SelfApiResponse.Problem(status, title, detail, errors, type: ProblemBase + type);

    private static async ValueTask<SelfApiResponse> Guard(SelfApiRequest request, Func<SelfApiRequest, ValueTask<SelfApiResponse>> handler)
    {
        try
        {
            return await handler(request);
        }
        catch (WorkloadSpecException e)
        {
            return Problem(400, "invalid-workload-spec", "Invalid workload spec", $"The workload spec has {e.Errors.Count} error(s).", e.Errors);
        }
        catch (ObjectDisposedException)
        {
            return Problem(503, "agent-stopping", "Agent stopping", "The agent is shutting down; try again after it restarted.");
        }
        catch (OperationCanceledException) when (request.Aborted.IsCancellationRequested)
        {
            // The client is gone: nothing will read this.
            return Problem(499, "client-closed", "Client closed request", "The client closed the connection.");
        }
        catch (Exception e)
        {
            var logger = request.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Aeros.Agent.Workloads.Api");
            LogUnexpected(logger, e, request.Method, request.Path);
            return Problem(500, "internal-error", "Internal error", "The workload API failed unexpectedly; the failure is logged.");
        }
    }

    [LoggerMessage(EventId = 4190, Level = LogLevel.Error, Message = "Unexpected failure in {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
