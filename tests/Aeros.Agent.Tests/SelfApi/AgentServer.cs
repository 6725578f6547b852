using Aeros.Agent.Tests.TestSupport;
using Aeros.Agent.Diagnose;
using Aeros.Agent.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Agent.Tests.SelfApi;

/// <summary>A real agent host on Kestrel at 127.0.0.1:0 with its own state directory; stopped and deleted on dispose.</summary>
internal sealed class AgentServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AgentServer(WebApplication app, string state, FakeDiagnoseInputs inputs)
    {
        _app = app;
        State = state;
        Inputs = inputs;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(10) };
    }

    public HttpClient Http { get; }

    public string State { get; }

    public FakeDiagnoseInputs Inputs { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<AgentServer> StartAsync(Action<AgentOptions>? configure = null)
    {
        var state = Path.Combine(Path.GetTempPath(), "aeros-agent-api-" + Guid.NewGuid().ToString("N"));
        var inputs = new FakeDiagnoseInputs();
        var app = AgentHost.Create("http://127.0.0.1:0", o =>
        {
            o.Broker = new Uri("http://127.0.0.1:9");
            o.Domain = "test";
            o.StateDirectory = state;
            o.SamplingPeriod = TimeSpan.FromMilliseconds(200);
            configure?.Invoke(o);
        }, configureServices: (services, _) => services.AddSingleton<IDiagnoseInputs>(inputs));
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
