using Aeros.Agent.Tests.TestSupport;
using Aeros.Agent.Awareness;
using Aeros.Agent.Reporting;
using Aeros.Agent.Tests.Diagnose;
using Aeros.Agent.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Agent.Tests.Reporting;

/// <summary>
/// A real agent host (Kestrel at 127.0.0.1:0) reporting to a broker, whose snapshots come from the test
/// (<see cref="ScriptedAwareness"/>) so that what is significant is under the test's control. Stopped and its state
/// directory deleted on dispose.
/// </summary>
internal sealed class ReportingAgent : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ReportingAgent(WebApplication app, string state, ScriptedAwareness awareness)
    {
        _app = app;
        State = state;
        Awareness = awareness;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(10) };
    }

    public const string Domain = "rep";

    public const string IeId = "urn:ngsi-ld:InfrastructureElement:rep:n1";

    public HttpClient Http { get; }

    public string State { get; }

    public ScriptedAwareness Awareness { get; }

    public ReportingStats Stats => _app.Services.GetRequiredService<ReportingStats>();

    /// <summary>Starts the agent; <paramref name="settings"/> are configuration keys such as <c>Agent:Reporting:HeartbeatPeriod</c>.</summary>
    public static async Task<ReportingAgent> StartAsync(Uri broker, IDictionary<string, string?>? settings = null)
    {
        var state = Path.Combine(Path.GetTempPath(), "aeros-agent-rep-" + Guid.NewGuid().ToString("N"));
        var awareness = new ScriptedAwareness();
        var app = AgentHost.Create("http://127.0.0.1:0", o =>
        {
            o.Broker = broker;
            o.Domain = Domain;
            o.IeId = IeId;
            o.StateDirectory = state;
        }, settings, configureServices: (services, _) => services.AddSingleton<INodeAwareness>(awareness));
        await TestAgentApp.StartAsync(app);
        return new ReportingAgent(app, state, awareness);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await TestAgentApp.StopAsync(_app, State);
    }
}

/// <summary>Self-awareness whose samples the test pushes.</summary>
internal sealed class ScriptedAwareness : INodeAwareness
{
    private NodeSnapshot? _latest;
    private TaskCompletionSource<NodeSnapshot> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NodeSnapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>A steady node: 10 % CPU, 20 % RAM, 40 % disk, stamped now.</summary>
    public static NodeSnapshot Steady(double cpu = 10) => HealthCalculatorTests.Snapshot(cpu) with { Timestamp = TimeProvider.System.GetUtcNow() };

    public void Push(NodeSnapshot snapshot)
    {
        Volatile.Write(ref _latest, snapshot);
        Interlocked.Exchange(ref _next, new TaskCompletionSource<NodeSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(snapshot);
    }

    public IReadOnlyList<NodeSnapshot> History(TimeSpan window) => Latest is { } l ? [l] : [];

    public Task<NodeSnapshot> NextSampleAsync(CancellationToken cancellationToken) => Volatile.Read(ref _next).Task.WaitAsync(cancellationToken);
}
