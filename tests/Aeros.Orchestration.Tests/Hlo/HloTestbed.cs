using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Orchestration.Hlo;
using Aeros.Orchestration.Llo;
using Aeros.Orchestration.Tests.Llo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Orchestration.Tests.Hlo;

/// <summary>
/// A domain for HLO tests: a real broker, the HLO (and, when asked, the LLO with fast timings) in-process on Kestrel at
/// 127.0.0.1:0, elements written as entities or real <c>aeros agent</c> processes. Everything is stopped on dispose.
/// </summary>
internal sealed class HloTestbed : IAsyncDisposable
{
    public const string Domain = LloTestbed.Domain;

    private readonly List<TestAgent> _agents = [];
    private WebApplication? _app;

    private HloTestbed(TestBroker broker)
    {
        Broker = broker;
        BrokerHttp = broker.CreateHttpClient();
        Client = new ContinuumClient(BrokerHttp, new ContinuumClientOptions(), TimeProvider.System);
    }

    public TestBroker Broker { get; }

    public HttpClient BrokerHttp { get; }

    public ContinuumClient Client { get; }

    public HttpClient Api { get; private set; } = null!;

    public RecordingLoggerProvider Logs { get; } = new();

    public static async Task<HloTestbed> StartAsync() => new(await TestBroker.StartAsync().Within("starting the broker"));

    /// <summary>Starts the HLO (rescan every 500 ms) and, with <paramref name="withLlo"/>, the LLO with <see cref="LloTestbed.Fast"/> timings.</summary>
    public async Task StartHloAsync(bool withLlo = false, Action<HloOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder([]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(Logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.AddAerosHlo(o =>
        {
            o.DomainName = Domain;
            o.BrokerUrl = Broker.Url;
            o.RescanPeriod = TimeSpan.FromMilliseconds(500);
            // The agents' health scores are low on a saturated test machine.
            o.MinHealthScore = 0;
            configure?.Invoke(o);
        });
        if (withLlo)
        {
            builder.Services.AddAerosLlo(o =>
            {
                LloTestbed.Fast(o);
                o.BrokerUrl = Broker.Url;
            });
        }
        var app = builder.Build();
        app.MapAerosHlo();
        if (withLlo)
        {
            app.MapAerosLlo();
        }
        await app.StartAsync().Within("starting the HLO");
        _app = app;
        Api = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task StopHloAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.StopAsync(cts.Token);
            await app.DisposeAsync();
            Api.Dispose();
        }
    }

    public T Service<T>() where T : notnull => _app!.Services.GetRequiredService<T>();

    /// <summary>
    /// Starts an agent and relaxes its overload thresholds: on a saturated 2-core test machine every element would
    /// otherwise report Overloaded, which the placement (rightly) refuses.
    /// </summary>
    public async Task<TestAgent> StartAgentAsync(string name)
    {
        var agent = TestAgent.Create(name);
        _agents.Add(agent);
        await agent.StartAsync(Broker.Url, Client);
        await RelaxAsync(agent.Url, agent.ElementId, Client);
        return agent;
    }

    /// <summary>The <c>PUT /self/v1/config</c> body that switches an agent's overload checks off.</summary>
    public const string RelaxedConfig = """{"thresholds": {"overloadCpu": 100, "overloadMemory": 100, "overloadScore": 0, "zeroFactorCap": 1}}""";

    /// <summary>Relaxes an agent's overload thresholds (see <see cref="StartAgentAsync"/>) and waits until its element is Ready.</summary>
    public static async Task RelaxAsync(Uri agentUrl, string elementId, ContinuumClient client)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var body = new StringContent(RelaxedConfig, Encoding.UTF8, "application/json");
        using var response = await http.PutAsync(new Uri(agentUrl, "self/v1/config"), body).Within($"relaxing the agent of {elementId}");
        Assert.True(response.IsSuccessStatusCode, $"PUT config of {elementId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await TestDeadline.Until(async () => (await client.GetAsync<InfrastructureElement>(elementId))?.InfrastructureElementStatus == InfrastructureElementStatus.Ready,
            $"{elementId} reports Ready", TimeSpan.FromSeconds(60));
    }

    /// <summary>Writes a Ready, reachable element of this domain (no agent behind it).</summary>
    public Task WriteElementAsync(string name, int cores = 4, double ramMb = 8192, CpuArchitecture arch = CpuArchitecture.AMD64) =>
        Client.UpsertAsync(new InfrastructureElement
        {
            Id = ElementId(name),
            Domain = ContinuumIds.Domain(Domain),
            CpuArchitecture = arch,
            CpuCores = cores,
            CurrentCpuUsage = 5,
            RamCapacity = ramMb,
            AvailableRam = ramMb - 512,
            InfrastructureElementStatus = InfrastructureElementStatus.Ready,
            HealthScore = 1,
        }).Within($"writing element {name}");

    public static string ElementId(string name) => $"urn:ngsi-ld:InfrastructureElement:{Domain}:{name}";

    public static string ComponentId(string service, string name) => $"urn:ngsi-ld:Service:{service}:Component:{name}";

    public Task<HttpResponseMessage> PostAsync(string id, string yaml, string contentType = "application/yaml") =>
        SendAsync(HttpMethod.Post, id, yaml, contentType);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string id, string? body, string contentType = "application/yaml")
    {
        using var request = new HttpRequestMessage(method, "/hlo/v1/services/" + Uri.EscapeDataString(id));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return await Api.SendAsync(request).Within($"{method} {id}");
    }

    public async Task<JsonObject> GetServiceAsync(string id)
    {
        using var response = await Api.GetAsync("/hlo/v1/services/" + Uri.EscapeDataString(id)).Within($"GET {id}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {id}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public Task<ServiceComponent?> ComponentAsync(string id) => Client.GetAsync<ServiceComponent>(id).Within($"reading {id}");

    /// <summary>Waits until <paramref name="condition"/> holds for the component; the timeout message shows it and the log.</summary>
    public Task WaitForComponentAsync(string id, Func<ServiceComponent, bool> condition, string phase, TimeSpan? deadline = null) =>
        TestDeadline.Until(async () => await ComponentAsync(id) is { } c && condition(c), phase, deadline ?? TimeSpan.FromSeconds(60),
            async () => $"component: {(await Client.GetRawAsync(id))?.ToJsonString()}\nlog:\n{Logs.Text}");

    /// <summary>
    /// A one-component process blueprint; <paramref name="hostProperties"/> are extra node_filter host properties
    /// (e.g. <c>"cpu_arch: { equal: arm64 }"</c>).
    /// </summary>
    public static string Blueprint(string name = "web", string[]? hostProperties = null, int? port = null, string args = "[sleep, \"3600\"]")
    {
        var lines = new List<string>
        {
            "tosca_definitions_version: tosca_simple_yaml_1_3",
            "node_templates:",
            $"  {name}:",
            "    type: tosca.nodes.Container.Application",
            "    requirements:",
            "      - host:",
            "          node_filter:",
            "            capabilities:",
            "              - host:",
            "                  properties:",
            "                    mem_size: { greater_or_equal: 64 MB }",
        };
        lines.AddRange((hostProperties ?? []).Select(h => "                    " + h));
        if (port is { } p)
        {
            lines.AddRange([
                "      - network:",
                "          properties:",
                "            ports:",
                "              http:",
                "                properties:",
                "                  protocol: [tcp]",
                $"                  source: {p}",
            ]);
        }
        lines.AddRange([
            "    resources:",
            "      cpu: 0.5",
            "      memory: 64 MB",
            "    artifacts:",
            "      proc:",
            "        type: aeros.artifacts.Deployment.Process",
            "        file: /bin/busybox",
            $"        args: {args}",
            "    interfaces:",
            "      Standard:",
            "        create:",
            "          implementation: proc",
        ]);
        return string.Join('\n', lines) + "\n";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }
        await StopHloAsync();
        BrokerHttp.Dispose();
        await Broker.DisposeAsync();
    }
}
