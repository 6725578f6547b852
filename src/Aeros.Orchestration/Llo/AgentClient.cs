using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Llo;

/// <summary>One workload as an agent reports it (<c>GET /self/v1/workloads</c>), with what the LLO reads from its spec.</summary>
/// <param name="Name">The workload name.</param>
/// <param name="State">Pending, Starting, Running, Exited, CrashLoop, Failed or Stopped.</param>
/// <param name="LastError">The agent's last error, if any.</param>
/// <param name="LastExitCode">The last exit code, if it ended.</param>
/// <param name="Restarts">Restarts so far.</param>
/// <param name="WaitingForRestart">Whether a restart is due (<c>nextRestartAt</c> set).</param>
/// <param name="ComponentId">The component of an LLO workload (<see cref="WorkloadNaming.ComponentIdVariable"/>), else null.</param>
/// <param name="Generation">The generation of an LLO workload, else null.</param>
internal sealed record AgentWorkload(string Name, string State, string? LastError, int? LastExitCode, int Restarts, bool WaitingForRestart,
    string? ComponentId, long? Generation)
{
    public static AgentWorkload? From(JsonObject? status)
    {
        if (status?["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var name))
        {
            return null;
        }
        var env = status["spec"]?["env"] as JsonObject;
        var componentId = Text(env?[WorkloadNaming.ComponentIdVariable]);
        long? generation = long.TryParse(Text(env?[WorkloadNaming.GenerationVariable]), NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : null;
        if (generation is null && WorkloadNaming.TryParse(name, out _, out var fromName))
        {
            generation = fromName;
        }
        return new AgentWorkload(name, Text(status["state"]) ?? "", Text(status["lastError"]), Int(status["lastExitCode"]), Int(status["restarts"]) ?? 0,
            Text(status["nextRestartAt"]) is not null, componentId, generation);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static int? Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
}

/// <summary>What an agent call gave: a value, an agent that could not be reached, or a request it refused (4xx).</summary>
internal readonly record struct AgentResult<T>(T? Value, string? Unreachable, string? Rejected)
{
    public bool Ok => Unreachable is null && Rejected is null;

    public static AgentResult<T> Success(T? value) => new(value, null, null);

    public static AgentResult<T> Down(string reason) => new(default, reason, null);

    public static AgentResult<T> Refused(string reason) => new(default, null, reason);
}

/// <summary>
/// Calls the workload API of IE agents (docs/agent.md "Workload API") at their <c>selfApiUrl</c>. Expected failures
/// (no answer, 5xx, a refused spec) are result values; each request is bounded by <see cref="LloOptions.AgentRequestTimeout"/>
/// and made once: the reconcile loop's backoff is the retry.
/// </summary>
internal sealed class AgentClient(IHttpClientFactory httpClients, IOptions<LloOptions> options)
{
    /// <summary>The name of the <see cref="HttpClient"/> used for agents.</summary>
    public const string HttpClientName = "Aeros.Llo.Agent";

    private const string Workloads = "self/v1/workloads";

    /// <summary>Every workload of the agent.</summary>
    public async Task<AgentResult<IReadOnlyList<AgentWorkload>>> ListAsync(string selfApiUrl, CancellationToken cancellationToken)
    {
        var (status, body, error) = await SendAsync(HttpMethod.Get, selfApiUrl, Workloads, null, cancellationToken);
        if (error is not null)
        {
            return AgentResult<IReadOnlyList<AgentWorkload>>.Down(error);
        }
        if (status != HttpStatusCode.OK || body?["workloads"] is not JsonArray list)
        {
            return AgentResult<IReadOnlyList<AgentWorkload>>.Down($"GET {Workloads} answered {(int)status!}: {Describe(body)}");
        }
        return AgentResult<IReadOnlyList<AgentWorkload>>.Success(list.OfType<JsonObject>().Select(AgentWorkload.From).OfType<AgentWorkload>().ToList());
    }

    /// <summary>Creates or updates the workload <paramref name="name"/>; a refused spec gives the agent's error list.</summary>
    public async Task<AgentResult<AgentWorkload>> PutAsync(string selfApiUrl, string name, JsonObject spec, CancellationToken cancellationToken)
    {
        var (status, body, error) = await SendAsync(HttpMethod.Put, selfApiUrl, Workloads + "/" + Uri.EscapeDataString(name), spec, cancellationToken);
        if (error is not null)
        {
            return AgentResult<AgentWorkload>.Down(error);
        }
        if (status is HttpStatusCode.OK or HttpStatusCode.Created && AgentWorkload.From(body as JsonObject) is { } workload)
        {
            return AgentResult<AgentWorkload>.Success(workload);
        }
        if ((int)status! is >= 400 and < 500)
        {
            return AgentResult<AgentWorkload>.Refused($"the agent refused the workload ({(int)status}): {Describe(body)}");
        }
        return AgentResult<AgentWorkload>.Down($"PUT {name} answered {(int)status}: {Describe(body)}");
    }

    /// <summary>Stops and removes the workload; true when it existed.</summary>
    public async Task<AgentResult<bool>> DeleteAsync(string selfApiUrl, string name, CancellationToken cancellationToken)
    {
        var (status, body, error) = await SendAsync(HttpMethod.Delete, selfApiUrl, Workloads + "/" + Uri.EscapeDataString(name), null, cancellationToken);
        if (error is not null)
        {
            return AgentResult<bool>.Down(error);
        }
        return status switch
        {
            HttpStatusCode.NoContent or HttpStatusCode.OK => AgentResult<bool>.Success(true),
            HttpStatusCode.NotFound => AgentResult<bool>.Success(false),
            _ => AgentResult<bool>.Down($"DELETE {name} answered {(int)status!}: {Describe(body)}"),
        };
    }

    /// <summary>The problem's <c>errors</c> list (or its detail, or the body) in one line.</summary>
    internal static string Describe(JsonNode? body)
    {
        if (body?["errors"] is JsonArray { Count: > 0 } errors)
        {
            return string.Join("; ", errors.Select(e => e?.ToString()));
        }
        return body?["detail"]?.ToString() ?? body?["title"]?.ToString() ?? body?.ToJsonString() ?? "(no body)";
    }

    private async Task<(HttpStatusCode? Status, JsonNode? Body, string? Error)> SendAsync(HttpMethod method, string selfApiUrl, string path,
        JsonObject? content, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(selfApiUrl.TrimEnd('/') + "/", UriKind.Absolute, out var root))
        {
            return (null, null, $"selfApiUrl '{selfApiUrl}' is not an absolute URL");
        }
        var timeout = options.Value.AgentRequestTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(method, new Uri(root, path));
            if (content is not null)
            {
                request.Content = new StringContent(content.ToJsonString(), Encoding.UTF8, "application/json");
            }
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cts.Token);
            var text = await response.Content.ReadAsStringAsync(cts.Token);
            JsonNode? body = null;
            try
            {
                body = text.Length == 0 ? null : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                body = JsonValue.Create(text.Length > 200 ? text[..200] : text);
            }
            return (response.StatusCode, body, null);
        }
        catch (HttpRequestException e)
        {
            return (null, null, $"the agent at {selfApiUrl} is unreachable: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, null, $"the agent at {selfApiUrl} did not answer within {timeout.TotalSeconds} s");
        }
    }
}
