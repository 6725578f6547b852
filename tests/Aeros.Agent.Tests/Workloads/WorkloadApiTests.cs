using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Agent.Hosting;
using Aeros.Agent.Runtime;
using Aeros.Agent.Tests.SelfApi;
using Aeros.Agent.Workloads;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Tests.Workloads;

/// <summary>The workload API over HTTP at 127.0.0.1:0, run on both servers (<see cref="AgentHostKind"/>).</summary>
public abstract class WorkloadApiTests : IAsyncLifetime
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), "aeros-wlapi-" + Guid.NewGuid().ToString("N"));
    private IAgentHost? _app;
    private HttpClient _http = null!;

    /// <summary>The server under test.</summary>
    protected abstract AgentHostKind Host { get; }

    public async Task InitializeAsync()
    {
        void Configure(WorkloadOptions o)
        {
            o.StateDirectory = _state;
            o.InitialBackoff = TimeSpan.FromMilliseconds(100);
            o.StopTimeout = TimeSpan.FromSeconds(2);
            o.StopContainersOnShutdown = true;
        }
        if (Host == AgentHostKind.Kestrel)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Services.AddWorkloads(Configure);
            var web = builder.Build();
            web.MapWorkloadApi();
            _app = new WebApplicationAgentHost(web);
        }
        else
        {
            var services = new ServiceCollection();
            services.AddWorkloads(Configure);
            _app = MinimalAgentHost.Create(services, "http://127.0.0.1:0", WorkloadApi.Routes);
        }
        await _app.StartAsync().Within("starting the API host");
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls[0]), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync().Within("stopping the API host");
            await _app.DisposeAsync();
        }
        Directory.Delete(_state, recursive: true);
    }

    private Task<HttpResponseMessage> Put(string name, string json) =>
        _http.PutAsync($"/self/v1/workloads/{name}", new StringContent(json, Encoding.UTF8, "application/json")).Within("PUT " + name);

    private async Task<JsonObject> Json(HttpResponseMessage response) =>
        (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync().Within("reading the body"))!;

    [Fact]
    public async Task Put_ValidProcessSpec_CreatesRunsListsLogsAndDeletes()
    {
        var created = await Put("echo", """{"kind":"Process","command":"/bin/sh","args":["-c","echo api-says-hi; exec sleep 30"]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/self/v1/workloads/echo", created.Headers.Location!.OriginalString);
        Assert.Equal("echo", (await Json(created))["name"]!.GetValue<string>());

        JsonObject? one = null;
        await TestDeadline.Until(() => (one = Json(_http.GetAsync("/self/v1/workloads/echo").Result).Result)["state"]!.GetValue<string>() == "Running",
            "the workload runs", () => one?.ToJsonString() ?? "");
        Assert.True(one!["pid"]!.GetValue<int>() > 0);
        Assert.Equal("/bin/sh", one["spec"]!["command"]!.GetValue<string>());

        var list = await Json(await _http.GetAsync("/self/v1/workloads").Within("listing"));
        Assert.Equal("echo", list["workloads"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(1, list["summary"]!["running"]!.GetValue<int>());

        JsonObject? logs = null;
        await TestDeadline.Until(() => (logs = Json(_http.GetAsync("/self/v1/workloads/echo/logs?tail=5").Result).Result)["lines"]!.AsArray().Count == 1,
            "the output is in the logs", () => logs?.ToJsonString() ?? "");
        Assert.Equal("api-says-hi", logs!["lines"]![0]!.GetValue<string>());

        var again = await Put("echo", """{"kind":"Process","command":"/bin/sh","args":["-c","echo api-says-hi; exec sleep 30"]}""");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);

        var deleted = await _http.DeleteAsync("/self/v1/workloads/echo").Within("deleting");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var missing = await _http.GetAsync("/self/v1/workloads/echo").Within("getting a deleted workload");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Put_InvalidSpec_400ProblemListingEveryError()
    {
        var response = await Put("web", """{"kind":"Container","ports":["x"],"cpuLimit":"lots","memoryLimit":1,"restartPolicy":"Maybe"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await Json(response);
        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.Equal("urn:aeros:problem:invalid-workload-spec", problem["type"]!.GetValue<string>());
        var errors = problem["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToArray();
        Assert.Equal(5, errors.Length);
        Assert.Contains(errors, e => e.StartsWith("'restartPolicy' 'Maybe'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Port 'x'", StringComparison.Ordinal));
        Assert.Contains("'cpuLimit' must be a number of cores.", errors);
        Assert.Contains(errors, e => e.StartsWith("'memoryLimit' 1 bytes", StringComparison.Ordinal));
        Assert.Contains("A container workload needs an 'image'.", errors);
        var list = await Json(await _http.GetAsync("/self/v1/workloads").Within("listing"));
        Assert.Empty(list["workloads"]!.AsArray());
    }

    [Theory]
    [InlineData("{ nope", "application/json", HttpStatusCode.BadRequest, "invalid-json")]
    [InlineData("[1]", "application/json", HttpStatusCode.BadRequest, "invalid-workload-spec")]
    [InlineData("kind=Process", "text/plain", HttpStatusCode.UnsupportedMediaType, "unsupported-media-type")]
    public async Task Put_BadBody_ProblemNot500(string body, string contentType, HttpStatusCode expected, string type)
    {
        var response = await _http.PutAsync("/self/v1/workloads/w", new StringContent(body, Encoding.UTF8, contentType)).Within("PUT");

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("urn:aeros:problem:" + type, (await Json(response))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Put_InvalidNameInUrl_400()
    {
        var response = await Put("bad%20name", """{"kind":"Process","command":"true"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Single((await Json(response))["errors"]!.AsArray());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("100001")]
    public async Task Logs_BadTail_400(string tail)
    {
        await Put("t", """{"kind":"Process","command":"sleep","args":["30"]}""");

        var response = await _http.GetAsync($"/self/v1/workloads/t/logs?tail={tail}").Within("reading logs");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("urn:aeros:problem:invalid-query", (await Json(response))["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownWorkload_GetLogsDelete_404Problems()
    {
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/self/v1/workloads/none"), (HttpMethod.Get, "/self/v1/workloads/none/logs"), (HttpMethod.Delete, "/self/v1/workloads/none") })
        {
            var response = await _http.SendAsync(new HttpRequestMessage(method, path)).Within($"{method} {path}");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("urn:aeros:problem:workload-not-found", (await Json(response))["type"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task RuntimeDetection_ThisNode_ProcessAvailableAndPodmanAsInstalled()
    {
        var detection = _app!.Services.GetRequiredService<RuntimeDetection>();

        var availability = await detection.DetectAsync(CancellationToken.None).Within("detecting runtimes");

        Assert.True(availability.Process);
        Assert.Equal(PodmanEnvironment.PodmanPath is not null, availability.Podman);
        Assert.Equal(availability.Podman ? "Podman" : null, availability.ContainerTechnology);
        Assert.Same(availability, detection.Current);
    }
}

/// <summary>The workload API on Kestrel.</summary>
public sealed class WorkloadApiOnKestrelTests : WorkloadApiTests
{
    protected override AgentHostKind Host => AgentHostKind.Kestrel;
}

/// <summary>The workload API on the agent's own HTTP/1.1 server.</summary>
public sealed class WorkloadApiOnOwnServerTests : WorkloadApiTests
{
    protected override AgentHostKind Host => AgentHostKind.Own;
}
