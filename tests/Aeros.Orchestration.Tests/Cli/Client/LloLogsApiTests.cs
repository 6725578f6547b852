using System.Net;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Orchestration.Llo;
using Aeros.Orchestration.Tests.Llo;

namespace Aeros.Orchestration.Tests.Cli.Client;

/// <summary><c>GET /llo/v1/components/{id}/logs</c> (what <c>aeros logs</c> calls) against a real broker, the LLO and a real agent.</summary>
[Trait("Category", "Slow")]
public sealed class LloLogsApiTests
{
    private const string ComponentId = "urn:ngsi-ld:Service:s1:Component:talker";

    [Fact]
    public async Task Logs_RunningComponent_ProxiesTheAgentsWorkloadLines()
    {
        await using var bed = await LloTestbed.StartAsync();
        var n1 = await bed.StartAgentAsync("n1");
        await bed.StartLloAsync();
        await bed.PlaceAsync(ComponentId, n1.ElementId, generation: 3, command: "sh", args: ["-c", "echo line-one; echo line-two; exec sleep 3600"]);
        await bed.WaitForStatusAsync(ComponentId, ServiceComponentStatus.Running);
        using var http = new HttpClient { BaseAddress = bed.LloUrl, Timeout = TimeSpan.FromSeconds(30) };
        var url = "llo/v1/components/" + Uri.EscapeDataString(ComponentId) + "/logs?tail=5";

        JsonNode? body = null;
        await TestDeadline.Until(async () =>
        {
            using var response = await http.GetAsync(new Uri(url, UriKind.Relative));
            body = response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
            return body?["lines"]?.AsArray().Count >= 2;
        }, "both lines are in the workload's log", TimeSpan.FromSeconds(60), async () => body?.ToJsonString() ?? bed.Logs.Text);

        Assert.Equal(ComponentId, (string?)body!["componentId"]);
        Assert.Equal(n1.ElementId, (string?)body["infrastructureElement"]);
        Assert.Equal(WorkloadNaming.Name(ComponentId, 3), (string?)body["workload"]);
        Assert.Equal(5, (int)body["tail"]!);
        var lines = body["lines"]!.AsArray().Select(l => (string)l!).ToList();
        Assert.Contains(lines, l => l.Contains("line-one", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("line-two", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logs_BadInputAndUnknownComponent_ProblemDetails()
    {
        await using var bed = await LloTestbed.StartAsync();
        await bed.StartLloAsync();
        using var http = new HttpClient { BaseAddress = bed.LloUrl, Timeout = TimeSpan.FromSeconds(30) };

        using var bad = await http.GetAsync(new Uri("llo/v1/components/not-a-urn/logs?tail=0", UriKind.Relative)).Within("bad request");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!;
        Assert.Equal(2, problem["errors"]!.AsArray().Count); // the tail and the id, both listed

        using var unknown = await http.GetAsync(new Uri("llo/v1/components/" + Uri.EscapeDataString("urn:ngsi-ld:Service:x:Component:y") + "/logs", UriKind.Relative)).Within("unknown");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        await bed.UpsertAsync(new ServiceComponent { Id = ComponentId, Service = "urn:ngsi-ld:Service:s1", ServiceComponentStatus = ServiceComponentStatus.Locating });
        using var unplaced = await http.GetAsync(new Uri("llo/v1/components/" + Uri.EscapeDataString(ComponentId) + "/logs", UriKind.Relative)).Within("unplaced");
        Assert.Equal(HttpStatusCode.Conflict, unplaced.StatusCode);
    }
}
