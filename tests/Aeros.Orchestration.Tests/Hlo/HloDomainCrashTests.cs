using System.Net;
using System.Text;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Orchestration.Llo;
using Aeros.Orchestration.Tests.Llo;
using Aeros.Orchestration.Tests.TestSupport;

namespace Aeros.Orchestration.Tests.Hlo;

/// <summary>Crash-only: a real <c>aeros domain</c> process killed with SIGKILL right after accepting services.</summary>
[Trait("Category", "Slow")]
public sealed class HloDomainCrashTests
{
    private static readonly Dictionary<string, string> Settings = new(DomainHostProcess.FastLlo)
    {
        ["Hlo__MinHealthScore"] = "0",
        ["Hlo__RescanPeriod"] = "00:00:01",
    };

    [Fact]
    public async Task DomainHost_KilledMidDeploy_ServicesConvergeAfterRestart()
    {
        var data = Path.Combine(Path.GetTempPath(), "aeros-hlo-crash-" + Guid.NewGuid().ToString("N"));
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
                await HloTestbed.RelaxAsync(agent.Url, agent.ElementId, client);
            }
            var services = Enumerable.Range(0, 4).Select(i => $"crash{i}").ToList();
            foreach (var service in services)
            {
                using var content = new StringContent(HloTestbed.Blueprint(), Encoding.UTF8, "application/yaml");
                using var response = await http.PostAsync($"hlo/v1/services/{service}", content).Within($"posting {service}");
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }
            // Mid-deploy: right after the last 202, whatever was placed or started by then.
            await host.DisposeAsync();

            host = await StartHostAsync(port, data);

            var ids = services.Select(s => HloTestbed.ComponentId(s, "web")).ToList();
            await TestDeadline.Until(async () => (await client.QueryAsync<ServiceComponent>()).Count(c => ids.Contains(c.Id) && c.ServiceComponentStatus == ServiceComponentStatus.Running) == ids.Count,
                "every component is Running after the restart", TimeSpan.FromSeconds(120),
                async () => string.Join('\n', (await client.QueryRawAsync("ServiceComponent")).Select(c => c.ToJsonString())) + "\n" + host.Output);
            // Exactly one copy of each component, of its current generation on its element.
            var components = await client.QueryAsync<ServiceComponent>().Within("reading the components");
            var workloads = new List<string>();
            foreach (var agent in agents)
            {
                workloads.AddRange((await agent.LloWorkloadsAsync()).Select(w => w.Name));
            }
            Assert.Equal(components.Select(c => WorkloadNaming.Name(c.Id, c.Generation ?? 0)).Order(StringComparer.Ordinal), workloads.Order(StringComparer.Ordinal));
            Assert.All(components, c => Assert.Equal(1, c.Generation));
        }
        finally
        {
            await DomainHostProcess.CleanUpAsync(agents, host, data);
        }
    }

    private static Task<AerosProcess> StartHostAsync(int port, string data) => DomainHostProcess.StartAsync(Settings, port, data, "hlo/v1/status");
}
