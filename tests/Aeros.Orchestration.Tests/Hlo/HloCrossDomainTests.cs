using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Hosting;
using Aeros.Orchestration.Hlo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Orchestration.Tests.Hlo;

/// <summary>Two federated domain hosts (broker, federator, HLO, LLO) in-process and an agent in the second domain.</summary>
[Trait("Category", "Slow")]
public sealed class HloCrossDomainTests
{
    /// <summary>A domain host with fast federation passes and a health threshold of 0 (the test machine is saturated).</summary>
    private sealed class Domain : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly string _data;

        private Domain(string name, WebApplication app, Uri url, string data)
        {
            Name = name;
            _app = app;
            _data = data;
            Url = url;
            Http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
            Client = new ContinuumClient(Http, new ContinuumClientOptions(), TimeProvider.System);
        }

        public string Name { get; }

        public Uri Url { get; }

        public HttpClient Http { get; }

        public ContinuumClient Client { get; }

        public static async Task<Domain> StartAsync(string name, params Domain[] peers)
        {
            var data = Path.Combine(Path.GetTempPath(), "aeros-hlo-" + name + "-" + Guid.NewGuid().ToString("N"));
            var app = DomainHost.Create("http://127.0.0.1:0", broker => broker.DataDirectory = data, federation =>
            {
                federation.DomainName = name;
                federation.Peers = peers.Select(p => p.Url).ToList();
                federation.ResyncInterval = TimeSpan.FromSeconds(1);
                federation.RetryBaseDelay = TimeSpan.FromMilliseconds(200);
                federation.RetryMaxDelay = TimeSpan.FromSeconds(1);
                federation.RequestTimeout = TimeSpan.FromSeconds(3);
                federation.ForwardTimeout = TimeSpan.FromSeconds(2);
            }, settings: [new("Hlo:MinHealthScore", "0"), new("Hlo:RescanPeriod", "00:00:00.500")]);
            await app.StartAsync().Within($"starting domain {name}");
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Domain(name, app, new Uri(address), data);
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _app.StopAsync(cts.Token);
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task Post_PinnedToAnotherDomain_IsHandedOffAndRunsThere()
    {
        await using var d1 = await Domain.StartAsync("hd1");
        await using var d2 = await Domain.StartAsync("hd2", d1);
        var elementId = "urn:ngsi-ld:InfrastructureElement:hd2:n1";
        var state = Path.Combine(Path.GetTempPath(), "aeros-hlo-agent-" + Guid.NewGuid().ToString("N"));
        var port = AerosProcess.FreePort();
        await using var agent = AerosProcess.Start("agent", "--broker", d2.Url.ToString(), "--domain", "hd2", "--ie-id", elementId,
            "--urls", $"http://127.0.0.1:{port}", "--state-dir", state);
        try
        {
            await TestDeadline.Until(async () => (await d2.Client.GetAsync<InfrastructureElement>(elementId))?.SelfApiUrl is not null,
                "the agent of hd2 registered", TimeSpan.FromSeconds(60), async () => agent.Output);
            await HloTestbed.RelaxAsync(new Uri($"http://127.0.0.1:{port}/"), elementId, d2.Client);
            // hd1 sees hd2's element through the federation.
            await TestDeadline.Until(async () => (await d1.Client.QueryAsync<InfrastructureElement>()).Any(e => e.Id == elementId
                    && e.InfrastructureElementStatus == InfrastructureElementStatus.Ready),
                "hd1 sees hd2's Ready element", TimeSpan.FromSeconds(60));

            using var request = new HttpRequestMessage(HttpMethod.Post, "/hlo/v1/services/far")
            {
                Content = new StringContent(HloTestbed.Blueprint(hostProperties: ["domain_id: { equal: hd2 }"]), Encoding.UTF8, "application/yaml"),
            };
            using var response = await d1.Http.SendAsync(request).Within("posting to hd1");

            Assert.True(HttpStatusCode.Accepted == response.StatusCode, await response.Content.ReadAsStringAsync());
            var componentId = "urn:ngsi-ld:Service:far:Component:web";
            await TestDeadline.Until(async () => (await d2.Client.GetAsync<ServiceComponent>(componentId, local: true))?.ServiceComponentStatus == ServiceComponentStatus.Running,
                "the component Running in hd2", TimeSpan.FromSeconds(90),
                async () => $"hd1: {(await d1.Client.GetRawAsync(componentId, local: true))?.ToJsonString()}\nhd2: {(await d2.Client.GetRawAsync(componentId, local: true))?.ToJsonString()}");
            var local = await d1.Client.GetAsync<Service>("urn:ngsi-ld:Service:far", local: true).Within("reading hd1's service");
            Assert.Equal("urn:ngsi-ld:Domain:hd2", local!.DomainHandler);
            Assert.Null(await d1.Client.GetRawAsync(componentId, local: true).Within("reading hd1's component"));
            var there = await d2.Client.GetRawAsync("urn:ngsi-ld:Service:far", local: true).Within("reading hd2's service");
            Assert.Equal("hd1", HloOrchestrator.StringAttribute(there!, HloOrchestrator.HandoffFromAttribute));
            Assert.Equal(elementId, (await d2.Client.GetAsync<ServiceComponent>(componentId, local: true))!.InfrastructureElement);
            // hd1's view of the service shows hd2's component.
            using var view = await d1.Http.GetAsync("/hlo/v1/services/far").Within("GET on hd1");
            var json = JsonNode.Parse(await view.Content.ReadAsStringAsync())!;
            Assert.Equal("urn:ngsi-ld:Domain:hd2", json["domainHandler"]!.GetValue<string>());
            Assert.Equal(elementId, json["components"]!.AsArray().Single()!["infrastructureElement"]!.GetValue<string>());

            // Deleting on hd1 removes it in hd2 too.
            using var delete = await d1.Http.DeleteAsync("/hlo/v1/services/far").Within("DELETE on hd1");
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
            await TestDeadline.Until(async () => await d2.Client.GetRawAsync(componentId, local: true) is null, "the component is gone in hd2", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await agent.DisposeAsync();
            try
            {
                Directory.Delete(state, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
