using System.Globalization;
using System.Text.Json.Nodes;
using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Agent.SelfApi;

/// <summary>
/// The node's own API under <c>/self/v1</c>: <c>info</c>, <c>metrics</c>, <c>metrics/history</c>, <c>health</c>,
/// <c>config</c> (GET/PUT) and <c>openapi.json</c>. Errors are problem details.
/// </summary>
internal static class SelfApiEndpoints
{
    public const string Root = "/self/v1";
    public const int DefaultHistorySeconds = 60;
    public const int MaxHistorySeconds = 86_400;
    private const long MaxConfigBodyBytes = 64 * 1024;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Root);
        api.MapGet("/info", (HttpContext http) =>
        {
            var s = http.RequestServices;
            var sampler = s.GetRequiredService<NodeSampler>();
            return Json(AgentJson.Info(s.GetRequiredService<AgentIdentity>(), sampler.Collector, sampler.Latest, s.GetRequiredService<AgentConfigStore>().Current));
        });
        api.MapGet("/metrics", (HttpContext http) =>
            http.RequestServices.GetRequiredService<INodeAwareness>().Latest is { } latest ? Json(AgentJson.Snapshot(latest)) : NotYet());
        api.MapGet("/metrics/history", (HttpContext http) =>
        {
            var seconds = DefaultHistorySeconds;
            if (http.Request.Query.TryGetValue("seconds", out var values))
            {
                if (values.Count != 1 || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds is < 1 or > MaxHistorySeconds)
                {
                    return Problems.BadRequest([$"seconds must be a whole number from 1 to {MaxHistorySeconds} (was '{values}')."], http.Request.Path);
                }
            }
            var history = http.RequestServices.GetRequiredService<INodeAwareness>().History(TimeSpan.FromSeconds(seconds));
            return Json(new JsonObject
            {
                ["seconds"] = seconds,
                ["count"] = history.Count,
                ["samples"] = new JsonArray(history.Select(h => (JsonNode?)AgentJson.Snapshot(h)).ToArray()),
            });
        });
        api.MapGet("/health", (HttpContext http) =>
            http.RequestServices.GetRequiredService<ISelfDiagnosis>().Current() is { } report ? Json(AgentJson.Health(report)) : NotYet());
        api.MapGet("/config", (HttpContext http) => Json(AgentJson.Config(http.RequestServices.GetRequiredService<AgentConfigStore>().Current)));
        api.MapPut("/config", async (HttpContext http) =>
        {
            if (http.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return Problems.Create(415, "Unsupported Media Type", "Send the configuration as application/json.", instance: http.Request.Path);
            }
            if (http.Request.ContentLength > MaxConfigBodyBytes)
            {
                return Problems.Create(413, "Content Too Large", $"The configuration must be at most {MaxConfigBodyBytes} bytes.", instance: http.Request.Path);
            }
            string body;
            using (var reader = new StreamReader(http.Request.Body))
            {
                var buffer = new char[MaxConfigBodyBytes + 1];
                var read = await reader.ReadBlockAsync(buffer, http.RequestAborted);
                if (read > MaxConfigBodyBytes)
                {
                    return Problems.Create(413, "Content Too Large", $"The configuration must be at most {MaxConfigBodyBytes} bytes.", instance: http.Request.Path);
                }
                body = new string(buffer, 0, read);
            }
            var store = http.RequestServices.GetRequiredService<AgentConfigStore>();
            var (config, errors) = ConfigRequest.Apply(store.Current, body);
            if (config is null)
            {
                return Problems.BadRequest(errors, http.Request.Path);
            }
            var rejected = store.TrySet(config);
            return rejected.Count > 0 ? Problems.BadRequest(rejected, http.Request.Path) : Json(AgentJson.Config(config));
        });
        api.MapGet("/openapi.json", () => Results.Text(OpenApiDocument.Json, "application/json", System.Text.Encoding.UTF8));
        // Unknown paths under /self/v1 answer with a problem too, not an empty 404.
        api.MapFallback((HttpContext http) => Problems.Create(404, "Not Found", $"No self-API resource at {http.Request.Path}; see {Root}/openapi.json.", instance: http.Request.Path));
    }

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json", System.Text.Encoding.UTF8);

    private static IResult NotYet() =>
        Problems.Create(503, "Service Unavailable", "The node has not been sampled yet; try again in a moment.");
}
