using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aeros.Testing;
using Aeros.Continuum;

namespace Aeros.Agent.Tests.Scenarios;

/// <summary>
/// A real broker (in-process) and a real agent process started exactly as an operator does:
/// <c>aeros agent --broker URL --domain NAME --urls http://127.0.0.1:PORT --state-dir DIR</c> (or the same options to the
/// agent-only executable <c>aeros-agent</c>). Disposing kills the
/// agent (and its process workloads), stops the broker and deletes the state directory.
/// </summary>
internal sealed class AgentNode : IAsyncDisposable
{
    private AgentNode(TestBroker broker, AerosProcess agent, string state, int port)
    {
        Broker = broker;
        Agent = agent;
        State = state;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        BrokerHttp = broker.CreateHttpClient();
        Client = new ContinuumClient(BrokerHttp, new ContinuumClientOptions(), TimeProvider.System);
    }

    public const string Domain = "scn";

    public TestBroker Broker { get; }

    public AerosProcess Agent { get; }

    public string State { get; }

    /// <summary>The agent's self-API and /metrics.</summary>
    public HttpClient Http { get; }

    public HttpClient BrokerHttp { get; }

    /// <summary>A client of the broker for the test's own reads.</summary>
    public ContinuumClient Client { get; }

    /// <summary>The IE id the agent reports (from <c>/self/v1/info</c>).</summary>
    public string IeId { get; private set; } = "";

    /// <summary>When the agent says it started (<c>/self/v1/info</c> <c>startedAt</c>).</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>When the self-API first answered, on the test's clock.</summary>
    public DateTimeOffset AnsweredAt { get; private set; }

    public static async Task<AgentNode> StartAsync(IReadOnlyDictionary<string, string>? environment = null, bool agentOnlyExecutable = false)
    {
        var broker = await TestBroker.StartAsync().Within("starting the broker");
        var state = Path.Combine(Path.GetTempPath(), "aeros-scn-" + Guid.NewGuid().ToString("N"));
        var port = AerosProcess.FreePort();
        string[] options = ["--broker", broker.Url.ToString().TrimEnd('/'), "--domain", Domain, "--urls", $"http://127.0.0.1:{port}", "--state-dir", state];
        var agent = agentOnlyExecutable
            ? AerosProcess.StartProgram(AerosProcess.AerosAgentDll, environment, options)
            : AerosProcess.Start(environment, ["agent", .. options]);
        var node = new AgentNode(broker, agent, state, port);
        try
        {
            JsonNode? info = null;
            await TestDeadline.Until(async () =>
            {
                if (agent.HasExited)
                {
                    throw new InvalidOperationException("aeros agent exited:\n" + agent.Output);
                }
                try
                {
                    info = JsonNode.Parse(await node.Http.GetStringAsync("/self/v1/info"));
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the agent's self-API answers", describe: () => Task.FromResult(agent.Output));
            node.AnsweredAt = DateTimeOffset.UtcNow;
            node.IeId = info!["id"]!.GetValue<string>();
            node.StartedAt = DateTimeOffset.Parse(info["startedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public Task<JsonObject?> EntityAsync() => Client.GetRawAsync(IeId);

    public async Task<JsonObject> WorkloadAsync(string name) =>
        (JsonObject)JsonNode.Parse(await Http.GetStringAsync($"/self/v1/workloads/{name}").Within("GET workload " + name))!;

    public async Task PutWorkloadAsync(string name, string json)
    {
        using var response = await Http.PutAsync($"/self/v1/workloads/{name}", new StringContent(json, Encoding.UTF8, "application/json")).Within("PUT workload " + name);
        var body = await response.Content.ReadAsStringAsync().Within("reading the PUT answer");
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"PUT {name}: {(int)response.StatusCode} {body}");
    }

    /// <summary>The value of an unlabelled or labelled sample in <c>/metrics</c>, e.g. <c>aeros_reports_total{kind="registration"}</c>.</summary>
    public async Task<double?> MetricAsync(string sample)
    {
        var text = await Http.GetStringAsync("/metrics").Within("GET /metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(sample + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(sample.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    public static DateTimeOffset Heartbeat(JsonObject entity)
    {
        var value = entity["heartbeat"]!["value"]!;
        var text = value is JsonObject o ? o["@value"]!.GetValue<string>() : value.GetValue<string>();
        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>How many times the agent logged the event <paramref name="eventId"/>.</summary>
    public int LogCount(int eventId) => EventPattern(eventId).Matches(Agent.Output).Count;

    private static Regex EventPattern(int eventId) => new($@"\[{eventId}\]", RegexOptions.CultureInvariant);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await Agent.DisposeAsync();
        }
        finally
        {
            BrokerHttp.Dispose();
            await Broker.DisposeAsync();
            try
            {
                Directory.Delete(State, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
