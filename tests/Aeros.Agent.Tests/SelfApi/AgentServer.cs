using Aeros.Agent.Diagnose;
using Aeros.Agent.Hosting;
using Aeros.Agent.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Tests.SelfApi;

/// <summary>Which server carries the self-API in a test: Kestrel (<c>aeros agent</c>) or the agent's own HTTP/1.1 server (<c>aeros-agent</c>).</summary>
public enum AgentHostKind
{
    /// <summary><see cref="AgentHost.CreateKestrel"/>.</summary>
    Kestrel,

    /// <summary><see cref="AgentHost.CreateMinimal"/>.</summary>
    Own,
}

/// <summary>A real agent host at 127.0.0.1:0 (on either server) with its own state directory; stopped and deleted on dispose.</summary>
internal sealed class AgentServer : IAsyncDisposable
{
    private readonly IAgentHost _app;

    private AgentServer(IAgentHost app, string state, FakeDiagnoseInputs inputs)
    {
        _app = app;
        State = state;
        Inputs = inputs;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls[0]), Timeout = TimeSpan.FromSeconds(10) };
    }

    public HttpClient Http { get; }

    public string State { get; }

    public FakeDiagnoseInputs Inputs { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<AgentServer> StartAsync(Action<AgentOptions>? configure = null) => StartAsync(AgentHostKind.Kestrel, configure);

    public static async Task<AgentServer> StartAsync(AgentHostKind kind, Action<AgentOptions>? configure = null, Action<IServiceCollection>? services = null)
    {
        var state = Path.Combine(Path.GetTempPath(), "aeros-agent-api-" + Guid.NewGuid().ToString("N"));
        var inputs = new FakeDiagnoseInputs();
        void Configure(AgentOptions o)
        {
            o.Broker = new Uri("http://127.0.0.1:9");
            o.Domain = "test";
            o.StateDirectory = state;
            o.SamplingPeriod = TimeSpan.FromMilliseconds(200);
            configure?.Invoke(o);
        }
        void Services(IServiceCollection collection, Microsoft.Extensions.Configuration.IConfiguration _)
        {
            collection.AddSingleton<IDiagnoseInputs>(inputs);
            services?.Invoke(collection);
        }
        IAgentHost app = kind == AgentHostKind.Kestrel
            ? new WebApplicationAgentHost(AgentHost.Create("http://127.0.0.1:0", Configure, configureServices: Services))
            : AgentHost.CreateMinimalHost("http://127.0.0.1:0", Configure, null, LogLevel.Warning, Services);
        await TestAgentApp.StartAsync(app);
        return new AgentServer(app, state, inputs);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await TestAgentApp.StopAsync(_app, State);
    }
}

/// <summary>Workload counts and broker reachability set by the test, as the workload manager and reporter will.</summary>
internal sealed class FakeDiagnoseInputs : IDiagnoseInputs
{
    public WorkloadCounts Workloads { get; set; }

    public BrokerReachability Broker { get; set; }
}
