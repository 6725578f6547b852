using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Agent.Diagnose;
using Aeros.Agent.SelfApi.Transport;
using Aeros.Agent.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Agent.Tests.SelfApi;

/// <summary>The self-API over HTTP, run on both servers (<see cref="AgentHostKind"/>): the same handlers must answer alike.</summary>
public abstract class SelfApiTests
{
    /// <summary>The server under test.</summary>
    protected abstract AgentHostKind Host { get; }

    [Fact]
    public async Task Info_Started_IdentityAndStaticFacts()
    {
        await using var server = await AgentServer.StartAsync(Host);

        var info = await GetJsonAsync(server, "/self/v1/info");

        var mac = info["macAddress"]?.GetValue<string>();
        var expectedId = "urn:ngsi-ld:InfrastructureElement:test:" + (mac?.Replace(":", "", StringComparison.Ordinal) ?? info["hostname"]!.GetValue<string>());
        Assert.Equal(expectedId, info["id"]!.GetValue<string>());
        Assert.Equal("test", info["domain"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Domain:test", info["domainId"]!.GetValue<string>());
        Assert.Equal(File.ReadAllLines("/proc/stat").Count(l => l.Length > 3 && l.StartsWith("cpu", StringComparison.Ordinal) && char.IsDigit(l[3])), info["cpuCores"]!.GetValue<int>());
        Assert.StartsWith("urn:ngsi-ld:CpuArchitecture:", info["cpuArchitectureUrn"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Edge", info["infrastructureElementTier"]!.GetValue<string>());
    }

    [Fact]
    public async Task Info_IeIdConfigured_UsesIt()
    {
        await using var server = await AgentServer.StartAsync(Host, o => o.IeId = "urn:ngsi-ld:InfrastructureElement:test:custom");

        var info = await GetJsonAsync(server, "/self/v1/info");

        Assert.Equal("urn:ngsi-ld:InfrastructureElement:test:custom", info["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metrics_AfterSamples_SnapshotAndHistory()
    {
        await using var server = await AgentServer.StartAsync(Host);
        await WaitForSamplesAsync(server, 2);

        var metrics = await GetJsonAsync(server, "/self/v1/metrics");
        var history = await GetJsonAsync(server, "/self/v1/metrics/history?seconds=60");

        Assert.InRange(metrics["currentCpuUsage"]!.GetValue<double>(), 0, 100);
        Assert.True(metrics["ramCapacity"]!.GetValue<double>() > 0);
        Assert.Equal("Edge", metrics["infrastructureElementTier"]!.GetValue<string>());
        Assert.True(history["count"]!.GetValue<int>() >= 2);
        var samples = history["samples"]!.AsArray();
        Assert.Equal(history["count"]!.GetValue<int>(), samples.Count);
        var times = samples.Select(s => DateTimeOffset.Parse(s!["timestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Order().ToList(), times);
    }

    [Theory]
    [InlineData("seconds=0")]
    [InlineData("seconds=abc")]
    [InlineData("seconds=86401")]
    [InlineData("seconds=1&seconds=2")]
    public async Task History_BadSeconds_ProblemDetails400(string query)
    {
        await using var server = await AgentServer.StartAsync(Host);

        using var response = await server.Http.GetAsync("/self/v1/metrics/history?" + query).Within("GET history");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, 1);
    }

    [Fact]
    public async Task Health_WorkloadsFailing_BreakdownFromInputs()
    {
        await using var server = await AgentServer.StartAsync(Host);
        server.Inputs.Workloads = new WorkloadCounts(4, 2, 1, 1, 3);
        server.Inputs.Broker = BrokerReachability.Reachable;
        await WaitForSamplesAsync(server, 1);

        var health = await GetJsonAsync(server, "/self/v1/health");

        var factors = health["factors"]!.AsArray().ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!);
        Assert.Equal(6, factors.Count);
        Assert.Equal(0, factors["workloads"]["value"]!.GetValue<double>()); // 50 % failing = workloadFailureBad
        Assert.Equal(1, factors["broker"]["value"]!.GetValue<double>());
        Assert.True(health["healthScore"]!.GetValue<double>() <= 0.25, "a factor at 0 caps the score");
        Assert.StartsWith("urn:ngsi-ld:InfrastructureElementStatus:", health["infrastructureElementStatusUrn"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_PutValid_AppliedAndReturned()
    {
        await using var server = await AgentServer.StartAsync(Host);

        using var put = await PutAsync(server, """{"samplingPeriod": 0.5, "tier": "FarEdge", "location": {"latitude": 39.48, "longitude": -0.34}, "weights": {"broker": 0}, "maintenance": true}""");
        var config = await GetJsonAsync(server, "/self/v1/config");
        await WaitForSamplesAsync(server, 1);
        var health = await GetJsonAsync(server, "/self/v1/health");
        var info = await GetJsonAsync(server, "/self/v1/info");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(0.5, config["samplingPeriod"]!.GetValue<double>());
        Assert.Equal("FarEdge", config["tier"]!.GetValue<string>());
        Assert.Equal(39.48, config["location"]!["latitude"]!.GetValue<double>());
        Assert.Equal(0, config["weights"]!["broker"]!.GetValue<double>());
        Assert.Equal(0.25, config["weights"]!["cpu"]!.GetValue<double>()); // left out: unchanged
        Assert.Equal("Maintenance", health["infrastructureElementStatus"]!.GetValue<string>());
        Assert.Equal("FarEdge", info["infrastructureElementTier"]!.GetValue<string>());
        Assert.Equal(new JsonArray(-0.34, 39.48).ToJsonString(), info["location"]!["coordinates"]!.ToJsonString());
    }

    [Fact]
    public async Task Config_PutInvalid_400WithEveryErrorAndNothingChanged()
    {
        await using var server = await AgentServer.StartAsync(Host);

        using var put = await PutAsync(server, """{"samplingPeriod": "fast", "tier": "Moon", "colour": "red", "weights": {"cpu": -1}, "thresholds": {"cpuGood": 99, "cpuBad": 50}, "location": {"latitude": 100}}""");
        var config = await GetJsonAsync(server, "/self/v1/config");

        var problem = await AssertProblemAsync(put, HttpStatusCode.BadRequest, 6);
        var errors = problem["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains("samplingPeriod must be a number.", errors);
        Assert.Contains(errors, e => e.StartsWith("colour is not a configuration field", StringComparison.Ordinal));
        Assert.Contains("location.longitude is required.", errors);
        Assert.Contains(errors, e => e.StartsWith("tier 'Moon'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("weights.cpu", StringComparison.Ordinal));
        Assert.Contains("thresholds.cpuBad (50) must be above thresholds.cpuGood (99).", errors);
        Assert.Equal("Edge", config["tier"]!.GetValue<string>());
        Assert.Equal(0.2, config["samplingPeriod"]!.GetValue<double>(), 6); // the fixture's period, unchanged
    }

    [Theory]
    [InlineData("not json", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("[1]", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("{}", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task Config_PutBadBody_ProblemDetails(string body, string contentType, HttpStatusCode status)
    {
        await using var server = await AgentServer.StartAsync(Host);

        using var response = await server.Http.PutAsync("/self/v1/config", new StringContent(body, Encoding.UTF8, contentType)).Within("PUT config");

        await AssertProblemAsync(response, status, status == HttpStatusCode.BadRequest ? 1 : 0);
    }

    [Fact]
    public async Task UnknownPath_ProblemDetails404()
    {
        await using var server = await AgentServer.StartAsync(Host);

        using var response = await server.Http.GetAsync("/self/v1/nothing").Within("GET unknown");

        await AssertProblemAsync(response, HttpStatusCode.NotFound, 0);
    }

    [Fact]
    public async Task KnownPath_OtherMethod_ProblemDetails405WithAllow()
    {
        await using var server = await AgentServer.StartAsync(Host);

        using var response = await server.Http.PostAsync("/self/v1/config", new StringContent("{}", Encoding.UTF8, "application/json")).Within("POST config");

        await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, 0);
        Assert.Equal(["GET", "PUT"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Filter_Registered_RunsBeforeEveryHandlerWithTheHeaders()
    {
        await using var server = await AgentServer.StartAsync(Host, services: s => s.AddSingleton<ISelfApiFilter, HeaderGate>());

        using var refused = await server.Http.GetAsync("/self/v1/info").Within("GET info without the header");
        using var refusedFallback = await server.Http.GetAsync("/self/v1/nothing").Within("GET unknown without the header");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/self/v1/info");
        request.Headers.Add("X-Gate", "open");
        using var passed = await server.Http.SendAsync(request).Within("GET info with the header");

        await AssertProblemAsync(refused, HttpStatusCode.Forbidden, 0);
        await AssertProblemAsync(refusedFallback, HttpStatusCode.Forbidden, 0);
        Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
    }

    private sealed class HeaderGate : ISelfApiFilter
    {
        public ValueTask<SelfApiResponse?> CheckAsync(SelfApiRequest request) =>
            ValueTask.FromResult(request.Header("x-gate") == "open" ? null : SelfApiResponse.Problem(403, "Forbidden", "The gate is closed."));
    }

    [Fact]
    public async Task OpenApi_Document_Valid31CoveringEveryRoute()
    {
        await using var server = await AgentServer.StartAsync(Host);

        var doc = await GetJsonAsync(server, "/self/v1/openapi.json");

        Assert.Equal("3.1.0", doc["openapi"]!.GetValue<string>());
        var paths = doc["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var path in new[] { "/self/v1/info", "/self/v1/metrics", "/self/v1/metrics/history", "/self/v1/health", "/self/v1/config", "/self/v1/openapi.json",
            "/self/v1/workloads", "/self/v1/workloads/{name}", "/self/v1/workloads/{name}/logs", "/metrics" })
        {
            Assert.Contains(path, paths);
        }
        // Every local $ref resolves.
        var text = doc.ToJsonString();
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, "\"\\$ref\":\"#/components/(schemas|responses)/([A-Za-z]+)\""))
        {
            Assert.NotNull(doc["components"]![m.Groups[1].Value]![m.Groups[2].Value]);
        }
        Assert.Contains("put", doc["paths"]!["/self/v1/config"]!.AsObject().Select(p => p.Key));
    }

    internal static async Task WaitForSamplesAsync(AgentServer server, int count)
    {
        var awareness = (Aeros.Agent.Awareness.INodeAwareness)server.Services.GetService(typeof(Aeros.Agent.Awareness.INodeAwareness))!;
        for (var i = 0; i < count; i++)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await awareness.NextSampleAsync(cts.Token).Within($"waiting for sample {i + 1}");
        }
    }

    internal static async Task<JsonNode> GetJsonAsync(AgentServer server, string path)
    {
        using var response = await server.Http.GetAsync(path).Within("GET " + path);
        var text = await response.Content.ReadAsStringAsync().Within("reading " + path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!;
    }

    private static Task<HttpResponseMessage> PutAsync(AgentServer server, string json) =>
        server.Http.PutAsync("/self/v1/config", new StringContent(json, Encoding.UTF8, "application/json")).Within("PUT config");

    private static async Task<JsonNode> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, int errors)
    {
        var text = await response.Content.ReadAsStringAsync().Within("reading the problem");
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        if (errors > 0)
        {
            Assert.Equal(errors, problem["errors"]!.AsArray().Count);
        }
        return problem;
    }
}

/// <summary>The self-API on Kestrel (<c>aeros agent</c>).</summary>
public sealed class SelfApiOnKestrelTests : SelfApiTests
{
    protected override AgentHostKind Host => AgentHostKind.Kestrel;
}

/// <summary>The self-API on the agent's own HTTP/1.1 server (<c>aeros-agent</c>).</summary>
public sealed class SelfApiOnOwnServerTests : SelfApiTests
{
    protected override AgentHostKind Host => AgentHostKind.Own;
}
