using System.Globalization;
using System.Text.Json.Nodes;
using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;
using Aeros.Agent.SelfApi.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Agent.SelfApi;

/// <summary>
/// The node's own API under <c>/self/v1</c>: <c>info</c>, <c>metrics</c>, <c>metrics/history</c>, <c>health</c>,
/// <c>config</c> (GET/PUT) and <c>openapi.json</c>. Errors are problem details. Transport-neutral routes: Kestrel
/// (<see cref="KestrelSelfApi"/>) and the agent's own HTTP/1.1 server serve the same handlers.
/// </summary>
internal static class SelfApiEndpoints
{
    public const string Root = "/self/v1";
    public const int DefaultHistorySeconds = 60;
    public const int MaxHistorySeconds = 86_400;
    private const long MaxConfigBodyBytes = 64 * 1024;

    /// <summary>The self-API's routes (the workload API adds its own under <c>/self/v1/workloads</c>).</summary>
    public static IReadOnlyList<SelfApiRoute> Routes { get; } =
    [
        new("GET", Root + "/info", Info),
        new("GET", Root + "/metrics", Metrics),
        new("GET", Root + "/metrics/history", History),
        new("GET", Root + "/health", Health),
        new("GET", Root + "/config", request => Json(AgentJson.Config(request.Services.GetRequiredService<AgentConfigStore>().Current))),
        new("PUT", Root + "/config", PutConfigAsync),
        new("GET", Root + "/openapi.json", _ => ValueTask.FromResult(SelfApiResponse.Text(200, "application/json; charset=utf-8", OpenApiDocument.Json))),
        // Unknown paths under /self/v1 answer with a problem too, not an empty 404.
        new(SelfApiRoute.AnyMethod, Root + "/{**path}", request => ValueTask.FromResult(SelfApiResponse.Problem(404, "Not Found",
            $"No self-API resource at {request.Path}; see {Root}/openapi.json.", instance: request.Path))),
    ];

    private static ValueTask<SelfApiResponse> Info(SelfApiRequest request)
    {
        var s = request.Services;
        var sampler = s.GetRequiredService<NodeSampler>();
        return Json(AgentJson.Info(s.GetRequiredService<AgentIdentity>(), sampler.Collector, sampler.Latest, s.GetRequiredService<AgentConfigStore>().Current));
    }

    private static ValueTask<SelfApiResponse> Metrics(SelfApiRequest request) =>
        request.Services.GetRequiredService<INodeAwareness>().Latest is { } latest ? Json(AgentJson.Snapshot(latest)) : NotYet();

    private static ValueTask<SelfApiResponse> History(SelfApiRequest request)
    {
        var seconds = DefaultHistorySeconds;
        if (request.TryGetQuery("seconds", out var values))
        {
            if (values.Count != 1 || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds is < 1 or > MaxHistorySeconds)
            {
                return BadRequest([$"seconds must be a whole number from 1 to {MaxHistorySeconds} (was '{string.Join(",", values)}')."], request);
            }
        }
        var history = request.Services.GetRequiredService<INodeAwareness>().History(TimeSpan.FromSeconds(seconds));
        return Json(new JsonObject
        {
            ["seconds"] = seconds,
            ["count"] = history.Count,
            ["samples"] = new JsonArray(history.Select(h => (JsonNode?)AgentJson.Snapshot(h)).ToArray()),
        });
    }

    private static ValueTask<SelfApiResponse> Health(SelfApiRequest request) =>
        request.Services.GetRequiredService<ISelfDiagnosis>().Current() is { } report ? Json(AgentJson.Health(report)) : NotYet();

    private static async ValueTask<SelfApiResponse> PutConfigAsync(SelfApiRequest request)
    {
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return SelfApiResponse.Problem(415, "Unsupported Media Type", "Send the configuration as application/json.", instance: request.Path);
        }
        if (request.ContentLength > MaxConfigBodyBytes)
        {
            return SelfApiResponse.Problem(413, "Content Too Large", $"The configuration must be at most {MaxConfigBodyBytes} bytes.", instance: request.Path);
        }
        string body;
        using (var reader = new StreamReader(request.Body))
        {
            var buffer = new char[MaxConfigBodyBytes + 1];
            var read = await reader.ReadBlockAsync(buffer, request.Aborted);
            if (read > MaxConfigBodyBytes)
            {
                return SelfApiResponse.Problem(413, "Content Too Large", $"The configuration must be at most {MaxConfigBodyBytes} bytes.", instance: request.Path);
            }
            body = new string(buffer, 0, read);
        }
        var store = request.Services.GetRequiredService<AgentConfigStore>();
        var (config, errors) = ConfigRequest.Apply(store.Current, body);
        if (config is null)
        {
            return await BadRequest(errors, request);
        }
        var rejected = store.TrySet(config);
        return rejected.Count > 0 ? await BadRequest(rejected, request) : await Json(AgentJson.Config(config));
    }

    private static ValueTask<SelfApiResponse> BadRequest(IReadOnlyList<string> errors, SelfApiRequest request) =>
        ValueTask.FromResult(SelfApiResponse.Problem(400, "Bad Request", errors.Count == 1 ? errors[0] : $"The request has {errors.Count} errors.", errors, request.Path));

    private static ValueTask<SelfApiResponse> Json(JsonObject body) => ValueTask.FromResult(SelfApiResponse.Json(200, body));

    private static ValueTask<SelfApiResponse> NotYet() =>
        ValueTask.FromResult(SelfApiResponse.Problem(503, "Service Unavailable", "The node has not been sampled yet; try again in a moment."));
}
