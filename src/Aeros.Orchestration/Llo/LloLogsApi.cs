using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// <c>GET /llo/v1/components/{componentId}/logs?tail=N</c>: reads the component from the broker, finds its element's
/// agent and the LLO's workload name for its generation (<see cref="WorkloadNaming"/>), and returns the agent's
/// <c>/self/v1/workloads/{name}/logs</c> as <c>{componentId, infrastructureElement, workload, tail, lines}</c>.
/// 404 for an unknown component or a workload the agent does not have, 409 while it is not placed, 502/503 when the
/// agent or broker does not answer; all RFC 9457 problems.
/// </summary>
internal static partial class LloLogsApi
{
    public const int DefaultTail = 100;
    public const int MaxTail = 10_000;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(LloApi.Root + "/components/{componentId}/logs", async (HttpContext http, string componentId) =>
        {
            var services = http.RequestServices;
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LloLogsApi).FullName!);
            var errors = new List<string>();
            var tail = DefaultTail;
            if (http.Request.Query.TryGetValue("tail", out var tailText)
                && (tailText.Count != 1 || !int.TryParse(tailText[0], NumberStyles.None, CultureInfo.InvariantCulture, out tail) || tail is < 1 or > MaxTail))
            {
                errors.Add($"'tail' '{tailText}' is not an integer from 1 to {MaxTail}.");
            }
            if (!componentId.StartsWith("urn:", StringComparison.Ordinal))
            {
                errors.Add($"'{componentId}' is not a component id (urn:ngsi-ld:Service:<name>:Component:<node>).");
            }
            if (errors.Count > 0)
            {
                return Problem(400, "invalid-query", "Invalid request", $"The request has {errors.Count} error(s).", errors);
            }
            ServiceComponent? component;
            InfrastructureElement? element = null;
            try
            {
                var broker = await services.GetRequiredService<LloBroker>().ClientAsync(http.RequestAborted);
                component = await broker.GetAsync<ServiceComponent>(componentId, http.RequestAborted);
                if (component?.InfrastructureElement is { } elementId)
                {
                    element = await broker.GetAsync<InfrastructureElement>(elementId, http.RequestAborted);
                }
            }
            catch (Exception e) when (e is ContinuumClientException or HttpRequestException or Polly.Timeout.TimeoutRejectedException
                || (e is OperationCanceledException && !http.RequestAborted.IsCancellationRequested))
            {
                LogBrokerFailed(logger, componentId, e.Message);
                return Problem(503, "broker-unavailable", "Broker unavailable", $"The domain broker did not answer: {e.Message}", []);
            }
            if (component is null)
            {
                return Problem(404, "not-found", "Unknown component", $"No ServiceComponent {componentId}.", []);
            }
            if (component.InfrastructureElement is null)
            {
                return Problem(409, "not-placed", "Not placed", $"{componentId} is {component.ServiceComponentStatus?.ToString() ?? "not placed"}: it runs on no element yet.", []);
            }
            if (string.IsNullOrWhiteSpace(element?.SelfApiUrl) || !Uri.TryCreate(element.SelfApiUrl.TrimEnd('/') + "/", UriKind.Absolute, out var root))
            {
                return Problem(502, "agent-unknown", "Agent unknown", $"The element {component.InfrastructureElement} has no agent URL (selfApiUrl) in the broker.", []);
            }
            var workload = WorkloadNaming.Name(componentId, component.Generation ?? 0);
            var timeout = services.GetRequiredService<IOptions<LloOptions>>().Value.AgentRequestTimeout;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            cts.CancelAfter(timeout);
            try
            {
                var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(AgentClient.HttpClientName);
                using var response = await client.GetAsync(new Uri(root, string.Create(CultureInfo.InvariantCulture,
                    $"self/v1/workloads/{Uri.EscapeDataString(workload)}/logs?tail={tail}")), cts.Token);
                var text = await response.Content.ReadAsStringAsync(cts.Token);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return Problem(404, "not-found", "No workload", $"The agent of {component.InfrastructureElement} has no workload {workload} (generation {component.Generation ?? 0}) for {componentId}.", []);
                }
                var body = response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(text) : null;
                if (body?["lines"] is not JsonArray lines)
                {
                    LogAgentFailed(logger, componentId, component.InfrastructureElement, $"answered {(int)response.StatusCode}");
                    return Problem(502, "agent-failed", "Agent failed", $"The agent at {element.SelfApiUrl} answered {(int)response.StatusCode} for the logs of {workload}.", []);
                }
                return Results.Json(new JsonObject
                {
                    ["componentId"] = componentId,
                    ["infrastructureElement"] = component.InfrastructureElement,
                    ["workload"] = workload,
                    ["tail"] = tail,
                    ["lines"] = lines.DeepClone(),
                }, statusCode: 200);
            }
            catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !http.RequestAborted.IsCancellationRequested))
            {
                LogAgentFailed(logger, componentId, component.InfrastructureElement, e.Message);
                return Problem(502, "agent-unreachable", "Agent unreachable", $"The agent at {element.SelfApiUrl} did not answer: {e.Message}", []);
            }
        });
    }

    private static IResult Problem(int status, string kind, string title, string detail, IReadOnlyList<string> errors)
    {
        var body = new JsonObject
        {
            ["type"] = "urn:aeros:problem:" + kind,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors.Count > 0)
        {
            body["errors"] = new JsonArray(errors.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray());
        }
        return Results.Json(body, statusCode: status, contentType: "application/problem+json");
    }

    [LoggerMessage(EventId = 5500, Level = LogLevel.Warning, Message = "Logs of {ComponentId}: the broker did not answer: {Error}")]
    private static partial void LogBrokerFailed(ILogger logger, string componentId, string error);

    [LoggerMessage(EventId = 5501, Level = LogLevel.Warning, Message = "Logs of {ComponentId}: the agent of {ElementId} failed: {Error}")]
    private static partial void LogAgentFailed(ILogger logger, string componentId, string elementId, string error);
}
