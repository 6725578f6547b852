using System.Globalization;
using System.Text.Json.Nodes;
using Aeros.Agent.Diagnose;
using Aeros.Agent.Reporting;
using Aeros.Testing;
using Aeros.Continuum;
using Xunit.Abstractions;

namespace Aeros.Agent.Tests.Reporting;

/// <summary>The broker reporter of a real agent host against the real broker, with scripted samples.</summary>
[Trait("Category", "Slow")]
public sealed class BrokerReporterTests(ITestOutputHelper output)
{
    // The reporting scheme scaled down 10x (samples every 100 ms, heartbeat 0.5 s, maximum interval 3 s) so that a
    // minute of the scheme measured in docs/agent.md (1 s samples, 5 s heartbeat, 30 s) runs in 6 s with the same number of samples per heartbeat.
    private static readonly Dictionary<string, string?> FastReporting = new()
    {
        ["Agent:Reporting:HeartbeatPeriod"] = "00:00:00.5",
        ["Agent:Reporting:MaxInterval"] = "00:00:03",
        ["Agent:Reporting:RetryInitialDelay"] = "00:00:00.2",
        ["Agent:Reporting:RetryMaxDelay"] = "00:00:01",
        // Generous: on a loaded 2-core machine a 1 s request timeout fails now and then, which these tests do not exercise.
        ["Agent:Reporting:RequestTimeout"] = "00:00:03",
    };

    [Fact]
    public async Task Start_BrokerUp_RegistersTheEntityWithUrnEnumerations()
    {
        await using var broker = await TestBroker.StartAsync().Within("starting the broker");
        await using var agent = await ReportingAgent.StartAsync(broker.Url, FastReporting).Within("starting the agent");
        using var http = broker.CreateHttpClient();
        var client = new ContinuumClient(http, new ContinuumClientOptions(), TimeProvider.System);
        agent.Awareness.Push(ScriptedAwareness.Steady());

        JsonObject? entity = null;
        await TestDeadline.Until(async () => (entity = await client.GetRawAsync(ReportingAgent.IeId)) is not null,
            "the IE entity is in the broker", TimeSpan.FromSeconds(15)); // the 2 s requirement is checked end to end in AgentScenarioTests

        Assert.Equal("InfrastructureElement", entity!["type"]!.GetValue<string>());
        AssertRelationship(entity, "domain", "urn:ngsi-ld:Domain:rep");
        AssertRelationship(entity, "infrastructureElementStatus", "urn:ngsi-ld:InfrastructureElementStatus:Ready");
        AssertRelationship(entity, "cpuArchitecture", "urn:ngsi-ld:CpuArchitecture:AMD64");
        AssertRelationship(entity, "infrastructureElementTier", "urn:ngsi-ld:InfrastructureElementTier:Edge");
        Assert.StartsWith("urn:ngsi-ld:LowLevelOrchestrator:rep:", entity["lowLevelOrchestrator"]!["object"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(4, entity["cpuCores"]!["value"]!.GetValue<int>());
        Assert.Equal(10, entity["currentCpuUsage"]!["value"]!.GetValue<double>());
        Assert.Equal(1000, entity["ramCapacity"]!["value"]!.GetValue<double>());
        Assert.Equal("aa:bb:cc:dd:ee:ff", entity["macAddress"]!["value"]!.GetValue<string>());
        Assert.InRange(entity["healthScore"]!["value"]!.GetValue<double>(), 0.99, 1.0);
        Assert.NotNull(entity["healthBreakdown"]);
        Assert.NotNull(entity["heartbeat"]);
        Assert.Equal(BrokerReachability.Reachable, agent.Stats.Reachability);
        Assert.Equal(1, agent.Stats.Reports(ReportKind.Registration));
        Assert.True(agent.Stats.FullReportBytes > 500, $"full report of {agent.Stats.FullReportBytes} bytes");
    }

    [Fact]
    public async Task Samples_Steady_SendHeartbeatsAndIntervalReportsOnly_FarBelowFixedFullReports()
    {
        await using var broker = await TestBroker.StartAsync().Within("starting the broker");
        await using var agent = await ReportingAgent.StartAsync(broker.Url, FastReporting).Within("starting the agent");
        agent.Awareness.Push(ScriptedAwareness.Steady());
        await TestDeadline.Until(() => Task.FromResult(agent.Stats.Reports(ReportKind.Registration) == 1), "the agent registered");

        const int samples = 60;
        using (var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100)))
        {
            for (var i = 0; i < samples; i++)
            {
                await pace.WaitForNextTickAsync().AsTask().Within("pacing the samples");
                // Noise below every threshold: ±2 CPU points.
                agent.Awareness.Push(ScriptedAwareness.Steady(cpu: 10 + (2 * Math.Sin(i))));
            }
        }
        var stats = agent.Stats;
        var kinds = Enum.GetValues<ReportKind>();
        var adaptive = kinds.Sum(stats.Bytes);
        var fixedFull = (samples + 1) * stats.FullReportBytes;
        output.WriteLine(string.Join(", ", kinds.Select(k => $"{k}: {stats.Reports(k)} reports, {stats.Attributes(k)} attributes, {stats.Bytes(k)} B")));
        output.WriteLine($"adaptive {adaptive} B vs fixed full reports {fixedFull} B: {100.0 * adaptive / fixedFull:0.0} %");

        Assert.Equal(0, stats.Reports(ReportKind.Change));
        Assert.Equal(1, stats.Reports(ReportKind.Registration));
        Assert.InRange(stats.Reports(ReportKind.Heartbeat), 6, 14);
        Assert.InRange(stats.Reports(ReportKind.Interval), 1, 2);
        Assert.Equal(stats.Reports(ReportKind.Heartbeat), stats.Attributes(ReportKind.Heartbeat));
        Assert.True(adaptive * 4 < fixedFull, $"adaptive {adaptive} B is not below a quarter of {fixedFull} B");
        Assert.Equal(0, stats.Failures);
    }

    [Fact]
    public async Task Sample_CpuJump_IsReportedAtOnceAsAChange()
    {
        await using var broker = await TestBroker.StartAsync().Within("starting the broker");
        await using var agent = await ReportingAgent.StartAsync(broker.Url, FastReporting).Within("starting the agent");
        using var http = broker.CreateHttpClient();
        var client = new ContinuumClient(http, new ContinuumClientOptions(), TimeProvider.System);
        agent.Awareness.Push(ScriptedAwareness.Steady());
        await TestDeadline.Until(() => Task.FromResult(agent.Stats.Reports(ReportKind.Registration) == 1), "the agent registered");

        agent.Awareness.Push(ScriptedAwareness.Steady(cpu: 40));

        await TestDeadline.Until(() => Task.FromResult(agent.Stats.Reports(ReportKind.Change) == 1), "the change is reported", TimeSpan.FromSeconds(5));
        var entity = await client.GetRawAsync(ReportingAgent.IeId).Within("reading the entity");
        Assert.Equal(40, entity!["currentCpuUsage"]!["value"]!.GetValue<double>());
        // A report is a merge: what it does not carry (the static facts) stays.
        Assert.Equal(4, entity["cpuCores"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Broker_DownThenBack_OneOutageAndTheEntityRegisteredAgain()
    {
        await using var broker = await TestBroker.StartAsync().Within("starting the broker");
        await using var agent = await ReportingAgent.StartAsync(broker.Url, FastReporting).Within("starting the agent");
        using var http = broker.CreateHttpClient();
        var client = new ContinuumClient(http, new ContinuumClientOptions(), TimeProvider.System);
        agent.Awareness.Push(ScriptedAwareness.Steady());
        await TestDeadline.Until(() => Task.FromResult(agent.Stats.Reports(ReportKind.Registration) == 1), "the agent registered");
        using var pacing = new CancellationTokenSource();
        var pacer = PaceAsync(agent.Awareness, pacing.Token);
        try
        {
            var before = DateTimeOffset.Parse(HeartbeatOf((await client.GetRawAsync(ReportingAgent.IeId).Within("reading the entity"))!), CultureInfo.InvariantCulture);
            // Another component's attribute on the IE (the trust manager's score) must survive the re-registration.
            await client.MergeAsync(ReportingAgent.IeId, new Dictionary<string, object?> { ["trustScore"] = 0.58 }).Within("writing a trust score");
            await broker.StopAsync().Within("stopping the broker");
            await TestDeadline.Until(() => Task.FromResult(agent.Stats.Reachability == BrokerReachability.Unreachable), "the agent sees the broker down", TimeSpan.FromSeconds(5));
            var health = JsonNode.Parse(await agent.Http.GetStringAsync("/self/v1/health").Within("reading the health"))!;
            var brokerFactor = health["factors"]!.AsArray().Single(f => f!["name"]!.GetValue<string>() == "broker")!;
            Assert.Equal(0, brokerFactor["value"]!.GetValue<double>());

            await broker.RestartAsync().Within("restarting the broker");

            await TestDeadline.Until(() => Task.FromResult(agent.Stats.Reports(ReportKind.Registration) == 2), "the agent registers again", TimeSpan.FromSeconds(5));
            var after = await client.GetRawAsync(ReportingAgent.IeId).Within("reading the entity");
            Assert.True(DateTimeOffset.Parse(HeartbeatOf(after!), CultureInfo.InvariantCulture) > before, "the heartbeat did not advance");
            Assert.Equal(0.58, after!["trustScore"]!["value"]!.GetValue<double>());
            Assert.Equal(1, agent.Stats.Outages);
            Assert.Equal(BrokerReachability.Reachable, agent.Stats.Reachability);
            var metrics = await agent.Http.GetStringAsync("/metrics").Within("reading /metrics");
            Assert.Contains("aeros_broker_outages_total 1\n", metrics, StringComparison.Ordinal);
            Assert.Contains("aeros_reports_total{kind=\"registration\"} 2\n", metrics, StringComparison.Ordinal);
            Assert.Contains("aeros_broker_reachable 1\n", metrics, StringComparison.Ordinal);
        }
        finally
        {
            await pacing.CancelAsync();
            await pacer.Within("stopping the pacer");
        }
    }

    [Fact]
    public async Task Entity_DeletedInTheBroker_IsRegisteredAgainWithoutAnOutage()
    {
        await using var broker = await TestBroker.StartAsync().Within("starting the broker");
        await using var agent = await ReportingAgent.StartAsync(broker.Url, FastReporting).Within("starting the agent");
        using var http = broker.CreateHttpClient();
        var client = new ContinuumClient(http, new ContinuumClientOptions(), TimeProvider.System);
        agent.Awareness.Push(ScriptedAwareness.Steady());
        await TestDeadline.Until(() => Task.FromResult(agent.Stats.Reports(ReportKind.Registration) == 1), "the agent registered");

        Assert.True(await client.DeleteAsync(ReportingAgent.IeId).Within("deleting the entity"));
        agent.Awareness.Push(ScriptedAwareness.Steady(cpu: 60));

        await TestDeadline.Until(() => Task.FromResult(agent.Stats.Reports(ReportKind.Registration) == 2), "the agent registers again", TimeSpan.FromSeconds(5));
        Assert.NotNull(await client.GetRawAsync(ReportingAgent.IeId).Within("reading the entity"));
        Assert.Equal(0, agent.Stats.Outages);
    }

    private static string HeartbeatOf(JsonObject entity)
    {
        var value = entity["heartbeat"]!["value"]!;
        return value is JsonObject o ? o["@value"]!.GetValue<string>() : value.GetValue<string>();
    }

    [Fact]
    public async Task Registration_PortZero_AdvertisesTheBoundSelfApiUrl()
    {
        await using var broker = await TestBroker.StartAsync().Within("starting the broker");
        await using var agent = await ReportingAgent.StartAsync(broker.Url, FastReporting).Within("starting the agent");
        using var http = broker.CreateHttpClient();
        var client = new ContinuumClient(http, new ContinuumClientOptions(), TimeProvider.System);
        agent.Awareness.Push(ScriptedAwareness.Steady());

        Abstractions.Continuum.InfrastructureElement? ie = null;
        await TestDeadline.Until(async () => (ie = await client.GetAsync<Abstractions.Continuum.InfrastructureElement>(ReportingAgent.IeId)) is not null,
            "the IE entity is in the broker", TimeSpan.FromSeconds(10));

        var expected = agent.Http.BaseAddress!.ToString().TrimEnd('/');
        Assert.Equal(expected, ie!.SelfApiUrl);
        Assert.NotEqual(0, new Uri(ie.SelfApiUrl!).Port);
        using var health = await new HttpClient().GetAsync(ie.SelfApiUrl + "/self/v1/health").Within("calling the advertised self-API");
        Assert.True(health.IsSuccessStatusCode, $"GET {ie.SelfApiUrl}/self/v1/health answered {(int)health.StatusCode}");
    }

    [Fact]
    public void Defaults_Heartbeat_IsOneSecond() => Assert.Equal(TimeSpan.FromSeconds(1), new ReportingOptions().HeartbeatPeriod);

    private static void AssertRelationship(JsonObject entity, string name, string target)
    {
        Assert.Equal("Relationship", entity[name]!["type"]!.GetValue<string>());
        Assert.Equal(target, entity[name]!["object"]!.GetValue<string>());
    }

    private static async Task PaceAsync(ScriptedAwareness awareness, CancellationToken cancellationToken)
    {
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        // Bounded: at most 10 minutes of samples.
        for (var i = 0; i < 6000; i++)
        {
            try
            {
                await pace.WaitForNextTickAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            awareness.Push(ScriptedAwareness.Steady());
        }
    }
}
