using System.Net;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Orchestration.Llo;
using Aeros.Orchestration.Tests.TestSupport;

namespace Aeros.Orchestration.Tests.Llo;

/// <summary>Crash-only: a real <c>aeros domain</c> process killed with SIGKILL while its LLO starts components.</summary>
[Trait("Category", "Slow")]
public sealed class DomainHostCrashTests
{
    [Fact]
    public async Task DomainHost_KilledMidReconcile_ConvergesAfterRestartWithExactlyOneWorkloadPerComponent()
    {
        var data = Path.Combine(Path.GetTempPath(), "aeros-llo-crash-" + Guid.NewGuid().ToString("N"));
        var port = AerosProcess.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        AerosProcess? host = null;
        var agents = new List<TestAgent>();
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        var client = new ContinuumClient(http, new ContinuumClientOptions(), TimeProvider.System);
        try
        {
            host = await StartHostAsync(port, data);
            agents.Add(TestAgent.Create("n1"));
            agents.Add(TestAgent.Create("n2"));
            foreach (var agent in agents)
            {
                await agent.StartAsync(url, client);
            }
            var components = Enumerable.Range(0, 8).Select(i => new ServiceComponent
            {
                Id = $"urn:ngsi-ld:Service:crash:Component:c{i}",
                InfrastructureElement = agents[i % 2].ElementId,
                ServiceComponentStatus = ServiceComponentStatus.Starting,
                Generation = 1,
                ProcessCommand = "sleep",
                ProcessArgs = ["3600"],
            }).ToList();

            await client.UpsertManyAsync(components).Within("writing the components");
            // Mid-reconcile: as soon as the first workload exists on an agent.
            await TestDeadline.Until(async () => (await agents[0].LloWorkloadsAsync()).Count + (await agents[1].LloWorkloadsAsync()).Count > 0,
                "the LLO started a first workload", TimeSpan.FromSeconds(60), async () => host.Output);
            await host.DisposeAsync();

            host = await StartHostAsync(port, data);

            await TestDeadline.Until(async () => (await client.QueryAsync<ServiceComponent>()).Count(c => c.ServiceComponentStatus == ServiceComponentStatus.Running) == components.Count,
                "every component is Running after the restart", TimeSpan.FromSeconds(90), async () => host.Output);
            // Two more resyncs (1 s each) must not change anything.
            var status = await LloStatusAsync(http);
            await TestDeadline.Until(async () => (await LloStatusAsync(http)) > status + 2 * components.Count, "two more resyncs ran");
            for (var a = 0; a < agents.Count; a++)
            {
                var expected = components.Where((_, i) => i % 2 == a).Select(c => (WorkloadNaming.Name(c.Id, 1), "Running")).Order().ToList();
                Assert.Equal(expected, await agents[a].LloWorkloadsAsync());
            }
        }
        finally
        {
            await DomainHostProcess.CleanUpAsync(agents, host, data);
        }
    }

    private static Task<AerosProcess> StartHostAsync(int port, string data) => DomainHostProcess.StartAsync(DomainHostProcess.FastLlo, port, data, "llo/v1/status");

    private static async Task<long> LloStatusAsync(HttpClient http)
    {
        using var response = await http.GetAsync("llo/v1/status").Within("reading the LLO status");
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return body["reconciles"]!.GetValue<long>();
    }
}
