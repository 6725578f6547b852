using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Orchestration.Llo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Orchestration.Tests.Llo;

/// <summary>
/// A domain for LLO tests: a real broker (<see cref="TestBroker"/>), the LLO in-process on Kestrel at 127.0.0.1:0
/// (tuned: 1 s grace... see <see cref="Fast"/>), and real <c>aeros agent</c> processes started on demand. Everything
/// is stopped on dispose, also when the test failed.
/// </summary>
internal sealed class LloTestbed : IAsyncDisposable
{
    public const string Domain = "d1";

    private readonly List<TestAgent> _agents = [];
    private WebApplication? _llo;

    private LloTestbed(TestBroker broker)
    {
        Broker = broker;
        Http = broker.CreateHttpClient();
        Client = new ContinuumClient(Http, new ContinuumClientOptions(), TimeProvider.System);
    }

    public TestBroker Broker { get; }

    public HttpClient Http { get; }

    public ContinuumClient Client { get; }

    public Uri? LloUrl { get; private set; }

    public RecordingLoggerProvider Logs { get; } = new();

    /// <summary>Test timings: grace 2 s, checks every 200 ms, resync every 1 s, quick retries, 4 s start timeout, no recovery grace.</summary>
    public static void Fast(LloOptions o)
    {
        o.DomainName = Domain;
        o.HeartbeatGrace = TimeSpan.FromSeconds(2);
        o.CheckPeriod = TimeSpan.FromMilliseconds(200);
        o.ResyncPeriod = TimeSpan.FromSeconds(1);
        o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
        o.RetryMaxDelay = TimeSpan.FromSeconds(1);
        o.StartTimeout = TimeSpan.FromSeconds(4);
        o.AgentRequestTimeout = TimeSpan.FromSeconds(5);
        o.RecoveryGrace = TimeSpan.Zero;
    }

    public static async Task<LloTestbed> StartAsync()
    {
        var broker = await TestBroker.StartAsync().Within("starting the broker");
        return new LloTestbed(broker);
    }

    /// <summary>Starts the LLO (in-process) with <see cref="Fast"/> timings, <paramref name="configure"/> and an optional replacer.</summary>
    public async Task StartLloAsync(Action<LloOptions>? configure = null, IComponentReplacer? replacer = null)
    {
        var builder = WebApplication.CreateSlimBuilder([]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(Logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        if (replacer is not null)
        {
            builder.Services.AddSingleton(replacer);
        }
        builder.Services.AddAerosLlo(o =>
        {
            Fast(o);
            o.BrokerUrl = Broker.Url;
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.MapAerosLlo();
        await app.StartAsync().Within("starting the LLO");
        _llo = app;
        LloUrl = new Uri(app.Urls.First());
    }

    public T LloService<T>() where T : notnull => _llo!.Services.GetRequiredService<T>();

    /// <summary>Starts an <c>aeros agent</c> process for element <c>urn:ngsi-ld:InfrastructureElement:d1:{name}</c> and waits until it registered its selfApiUrl.</summary>
    public async Task<TestAgent> StartAgentAsync(string name, TestAgent? previous = null)
    {
        var agent = previous ?? TestAgent.Create(name);
        if (previous is null)
        {
            _agents.Add(agent);
        }
        await agent.StartAsync(Broker.Url, Client);
        return agent;
    }

    /// <summary>Writes a process component placed on <paramref name="elementId"/> with status Starting.</summary>
    public Task<ServiceComponent> PlaceAsync(string componentId, string elementId, long generation, string command = "sleep", string[]? args = null,
        IReadOnlyList<KeyValueEntry>? env = null, bool isJob = false)
    {
        var component = new ServiceComponent
        {
            Id = componentId,
            Service = "urn:ngsi-ld:Service:s1",
            InfrastructureElement = elementId,
            ServiceComponentStatus = ServiceComponentStatus.Starting,
            Generation = generation,
            ProcessCommand = command,
            ProcessArgs = args ?? ["3600"],
            EnvVars = env,
            IsJob = isJob,
        };
        return UpsertAsync(component);
    }

    public async Task<ServiceComponent> UpsertAsync(ServiceComponent component)
    {
        await Client.UpsertAsync(component).Within($"writing {component.Id}");
        return component;
    }

    public Task<ServiceComponent?> ComponentAsync(string id) => Client.GetAsync<ServiceComponent>(id).Within($"reading {id}");

    /// <summary>Waits until the component has <paramref name="status"/>; the timeout message shows the component and the LLO's log.</summary>
    public Task WaitForStatusAsync(string id, ServiceComponentStatus status, TimeSpan? deadline = null) =>
        TestDeadline.Until(async () => (await ComponentAsync(id))?.ServiceComponentStatus == status, $"{id} is {status}", deadline ?? TimeSpan.FromSeconds(60),
            async () => $"component: {(await Client.GetRawAsync(id))?.ToJsonString()}\nLLO log:\n{Logs.Text}");

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await agent.DisposeAsync();
        }
        if (_llo is { } app)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.StopAsync(cts.Token);
            await app.DisposeAsync();
        }
        Http.Dispose();
        await Broker.DisposeAsync();
    }
}

/// <summary>An <c>aeros agent</c> process with a fixed port and state directory (so it can be killed and started again as the same element).</summary>
internal sealed class TestAgent(string name, string elementId, int port, string stateDirectory) : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>An agent of element <c>urn:ngsi-ld:InfrastructureElement:d1:{name}</c> with a free port and a new state directory (not started).</summary>
    public static TestAgent Create(string name) => new(name, $"urn:ngsi-ld:InfrastructureElement:{LloTestbed.Domain}:{name}", AerosProcess.FreePort(),
        Path.Combine(Path.GetTempPath(), "aeros-llo-agent-" + name + "-" + Guid.NewGuid().ToString("N")));

    /// <summary>Starts (or restarts) the agent process and waits until it registered its selfApiUrl in the broker.</summary>
    public async Task StartAsync(Uri broker, ContinuumClient client)
    {
        Process = AerosProcess.Start("agent", "--broker", broker.ToString(), "--domain", LloTestbed.Domain, "--ie-id", ElementId,
            "--urls", $"http://127.0.0.1:{Port}", "--state-dir", StateDirectory);
        var started = TimeProvider.System.GetUtcNow();
        await TestDeadline.Until(async () =>
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"agent {Name} exited:\n{Process.Output}");
            }
            var ie = await client.GetAsync<InfrastructureElement>(ElementId);
            return ie?.SelfApiUrl == Url.ToString().TrimEnd('/') && ie.Heartbeat > started;
        }, $"agent {Name} registered with its selfApiUrl", TimeSpan.FromSeconds(60));
    }

    public string Name { get; } = name;

    public string ElementId { get; } = elementId;

    public int Port { get; } = port;

    public string StateDirectory { get; } = stateDirectory;

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public AerosProcess Process { get; set; } = null!;

    /// <summary>SIGKILL of the agent (and its children, as a crashed node takes its processes with it).</summary>
    public async Task KillAsync() => await Process.DisposeAsync();

    /// <summary>The names of the LLO's workloads (prefix <c>aeros-</c>) on this agent.</summary>
    public async Task<List<(string Name, string State)>> LloWorkloadsAsync()
    {
        using var response = await Http.GetAsync(new Uri(Url, "self/v1/workloads")).Within($"listing the workloads of {Name}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return body["workloads"]!.AsArray()
            .Select(w => (w!["name"]!.GetValue<string>(), w["state"]!.GetValue<string>()))
            .Where(w => w.Item1.StartsWith("aeros-", StringComparison.Ordinal))
            .OrderBy(w => w.Item1, StringComparer.Ordinal).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }
        try
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>The HLO's stand-in at the replacer boundary: records every call and moves the component to the next element with generation + 1.</summary>
internal sealed class MovingReplacer(ContinuumClient client, Func<string, string> nextElement) : IComponentReplacer
{
    public ConcurrentQueue<(string ComponentId, string LostElementId)> Calls { get; } = new();

    public async Task ReplaceAsync(string componentId, string lostElementId, CancellationToken cancellationToken)
    {
        Calls.Enqueue((componentId, lostElementId));
        var component = await client.GetAsync<ServiceComponent>(componentId, cancellationToken);
        if (component is null || component.InfrastructureElement != lostElementId)
        {
            return;
        }
        await client.UpsertAsync(component with
        {
            InfrastructureElement = nextElement(lostElementId),
            Generation = (component.Generation ?? 0) + 1,
            ServiceComponentStatus = ServiceComponentStatus.Starting,
            StatusReason = null,
        }, cancellationToken);
    }
}
