using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Orchestration.Llo;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Orchestration.Tests.Llo;

public sealed class WorkQueueTests
{
    [Fact]
    public async Task Add_SameKeyTwice_HandedOutOnce()
    {
        using var queue = new WorkQueue(TimeProvider.System, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1));
        queue.Add("a");
        queue.Add("a");
        queue.Add("b");

        Assert.Equal(2, queue.Depth);
        Assert.Equal("a", await queue.TakeAsync(CancellationToken.None).Within("taking a"));
        Assert.Equal("b", await queue.TakeAsync(CancellationToken.None).Within("taking b"));
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public async Task Add_WhileProcessing_QueuedAgainAfterDone()
    {
        using var queue = new WorkQueue(TimeProvider.System, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1));
        queue.Add("a");
        var key = await queue.TakeAsync(CancellationToken.None).Within("taking a");

        queue.Add("a");

        Assert.Equal(0, queue.Depth);
        queue.Done(key);
        Assert.Equal(1, queue.Depth);
        Assert.Equal("a", await queue.TakeAsync(CancellationToken.None).Within("taking a again"));
    }

    [Fact]
    public void AddRateLimited_RepeatedFailures_DoublesUpToTheMaximumAndForgetResets()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue(time, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500));

        var delays = Enumerable.Range(0, 5).Select(_ => queue.AddRateLimited("a").TotalMilliseconds).ToList();

        Assert.Equal([100, 200, 400, 500, 500], delays);
        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromSeconds(3), queue.FailingFor("a"));
        queue.Forget("a");
        Assert.Null(queue.FailingFor("a"));
        Assert.Equal(100, queue.AddRateLimited("a").TotalMilliseconds);
    }

    [Fact]
    public async Task AddAfter_Delay_KeyArrivesOnlyWhenDue()
    {
        var time = new FakeTimeProvider();
        using var queue = new WorkQueue(time, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

        queue.AddAfter("a", TimeSpan.FromSeconds(5));
        var take = queue.TakeAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(take.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("a", await take.Within("the delayed key arrives"));
    }
}

public sealed class WorkloadNamingTests
{
    [Theory]
    [InlineData("urn:ngsi-ld:Service:s1:Component:web", 1)]
    [InlineData("urn:ngsi-ld:Service:a-very-long-service-name-that-goes-on-and-on:Component:and-a-long-component-name", long.MaxValue)]
    public void Name_AnyComponent_FitsTheAgentRuleAndParsesBack(string componentId, long generation)
    {
        var name = WorkloadNaming.Name(componentId, generation);

        Assert.InRange(name.Length, 1, 63);
        Assert.Matches("^[A-Za-z0-9][A-Za-z0-9._-]*$", name);
        Assert.True(WorkloadNaming.TryParse(name, out var hash, out var parsed));
        Assert.Equal(WorkloadNaming.Hash(componentId), hash);
        Assert.Equal(generation, parsed);
    }

    [Fact]
    public void Name_DifferentComponentsOrGenerations_Differ()
    {
        Assert.NotEqual(WorkloadNaming.Name("a", 1), WorkloadNaming.Name("b", 1));
        Assert.NotEqual(WorkloadNaming.Name("a", 1), WorkloadNaming.Name("a", 2));
    }

    [Theory]
    [InlineData("web")]
    [InlineData("aeros-xyz-g1")]
    [InlineData("aeros-0123456789abcdef-g")]
    [InlineData("aeros-0123456789abcdef-x1")]
    [InlineData("aeros-0123456789ABCDEF-g1")]
    public void TryParse_OtherNames_False(string name) => Assert.False(WorkloadNaming.TryParse(name, out _, out _));
}

public sealed class WorkloadSpecBuilderTests
{
    [Fact]
    public void Build_Process_CommandArgsEnvAndDeclaredPorts()
    {
        var component = new ServiceComponent
        {
            Id = "c1", ProcessCommand = "/bin/busybox", ProcessArgs = ["httpd", "-f", "-p", "8080"],
            EnvVars = [new KeyValueEntry("MODE", "edge")],
        };

        var spec = WorkloadSpecBuilder.Build(component, 3, "urn:ie", [new NetworkPort { Id = "p", PortNumber = 8080 }], out var error)!;

        Assert.Null(error);
        Assert.Equal("Process", spec["kind"]!.GetValue<string>());
        Assert.Equal("/bin/busybox", spec["command"]!.GetValue<string>());
        Assert.Equal(["httpd", "-f", "-p", "8080"], spec["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("edge", spec["env"]!["MODE"]!.GetValue<string>());
        Assert.Equal("c1", spec["env"]![WorkloadNaming.ComponentIdVariable]!.GetValue<string>());
        Assert.Equal("3", spec["env"]![WorkloadNaming.GenerationVariable]!.GetValue<string>());
        Assert.Equal([8080], spec["declaredPorts"]!.AsArray().Select(p => p!.GetValue<int>()));
        Assert.Equal("Always", spec["restartPolicy"]!.GetValue<string>());
    }

    [Fact]
    public void Build_PrivateContainerJob_ImageArgsPortsCredentials()
    {
        var component = new ServiceComponent
        {
            Id = "c1", ContainerImage = "registry.example/app:1", CliArgs = [new KeyValueEntry("--level", "3"), new KeyValueEntry("--verbose", "")],
            IsJob = true, IsPrivate = true, RepoUsername = "u", RepoPassword = "p",
        };

        var spec = WorkloadSpecBuilder.Build(component, 1, "urn:ie", [new NetworkPort { Id = "p", PortNumber = 53, PortProtocol = PortProtocol.UDP }], out _)!;

        Assert.Equal("Container", spec["kind"]!.GetValue<string>());
        Assert.Equal(["--level", "3", "--verbose"], spec["args"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(["53:53/udp"], spec["ports"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("u", spec["credentials"]!["username"]!.GetValue<string>());
        Assert.True(spec["isJob"]!.GetValue<bool>());
        Assert.Equal("OnFailure", spec["restartPolicy"]!.GetValue<string>());
    }

    [Fact]
    public void Build_NeitherCommandNorImage_NullWithReason()
    {
        Assert.Null(WorkloadSpecBuilder.Build(new ServiceComponent { Id = "c1" }, 1, "urn:ie", [], out var error));
        Assert.Contains("neither processCommand nor containerImage", error, StringComparison.Ordinal);
    }
}

public sealed class LloOptionsTests
{
    [Fact]
    public void Validate_Defaults_WithDomain_Succeed() =>
        Assert.True(new LloOptionsValidator().Validate(null, new LloOptions { DomainName = "d1" }).Succeeded);

    [Fact]
    public void Validate_ManyBadValues_ListsEveryError()
    {
        var options = new LloOptions
        {
            DomainName = "bad name",
            BrokerUrl = new Uri("ftp://x"),
            HeartbeatGrace = TimeSpan.FromMilliseconds(200),
            CheckPeriod = TimeSpan.FromSeconds(1),
            MaxConcurrency = 0,
            FlapCount = 0,
            RetryBaseDelay = TimeSpan.FromSeconds(2),
            RetryMaxDelay = TimeSpan.FromSeconds(1),
        };

        var result = new LloOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        foreach (var part in new[] { "DomainName", "BrokerUrl", "CheckPeriod", "MaxConcurrency", "FlapCount", "RetryMaxDelay" })
        {
            Assert.Contains(failures, f => f.Contains(part, StringComparison.Ordinal));
        }
    }
}

/// <summary>The LLO's HTTP API on a real Kestrel.</summary>
[Trait("Category", "Slow")]
public sealed class LloApiTests
{
    [Fact]
    public async Task Notify_BadBody_400ListingEveryError()
    {
        await using var bed = await LloTestbed.StartAsync();
        await bed.StartLloAsync();
        using var http = new HttpClient { BaseAddress = bed.LloUrl, Timeout = TimeSpan.FromSeconds(30) };

        using var response = await http.PostAsync("llo/v1/notify", new StringContent("""{"data": [{"id": 1}, {}]}""", Encoding.UTF8, "application/json"))
            .Within("posting a bad notification");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(2, problem["errors"]!.AsArray().Count);
    }

    [Fact]
    public async Task Notify_NotJson_400()
    {
        await using var bed = await LloTestbed.StartAsync();
        await bed.StartLloAsync();
        using var http = new HttpClient { BaseAddress = bed.LloUrl, Timeout = TimeSpan.FromSeconds(30) };

        using var response = await http.PostAsync("llo/v1/notify", new StringContent("{", Encoding.UTF8, "application/json")).Within("posting broken JSON");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Reconcile_ElementWithoutSelfApiUrlOrUnknown_FailedWithReason()
    {
        await using var bed = await LloTestbed.StartAsync();
        await bed.Client.UpsertAsync(new InfrastructureElement
        {
            Id = "urn:ngsi-ld:InfrastructureElement:d1:bare", Domain = ContinuumIds.Domain(LloTestbed.Domain), Heartbeat = TimeProvider.System.GetUtcNow(),
        }).Within("writing an element without selfApiUrl");
        await bed.StartLloAsync(o => o.HeartbeatGrace = TimeSpan.FromMinutes(5));

        await bed.PlaceAsync("urn:c:bare", "urn:ngsi-ld:InfrastructureElement:d1:bare", 1);
        await bed.PlaceAsync("urn:c:unknown", "urn:ngsi-ld:InfrastructureElement:d1:nowhere", 1);

        await bed.WaitForStatusAsync("urn:c:bare", ServiceComponentStatus.Failed);
        await bed.WaitForStatusAsync("urn:c:unknown", ServiceComponentStatus.Failed);
        Assert.Contains("has no selfApiUrl", (await bed.ComponentAsync("urn:c:bare"))!.StatusReason, StringComparison.Ordinal);
        Assert.Equal("unknown element urn:ngsi-ld:InfrastructureElement:d1:nowhere", (await bed.ComponentAsync("urn:c:unknown"))!.StatusReason);
    }

    [Fact]
    public async Task Reconcile_AgentNeverAnswers_FailedAfterTheStartTimeout()
    {
        await using var bed = await LloTestbed.StartAsync();
        var deadPort = AerosProcess.FreePort();
        await bed.Client.UpsertAsync(new InfrastructureElement
        {
            Id = "urn:ngsi-ld:InfrastructureElement:d1:mute", Domain = ContinuumIds.Domain(LloTestbed.Domain), Heartbeat = TimeProvider.System.GetUtcNow(),
            SelfApiUrl = $"http://127.0.0.1:{deadPort}",
        }).Within("writing an element whose agent does not listen");
        await bed.StartLloAsync(o => o.HeartbeatGrace = TimeSpan.FromMinutes(5));

        await bed.PlaceAsync("urn:c:mute", "urn:ngsi-ld:InfrastructureElement:d1:mute", 1);

        await bed.WaitForStatusAsync("urn:c:mute", ServiceComponentStatus.Failed);
        Assert.StartsWith("agent of urn:ngsi-ld:InfrastructureElement:d1:mute unreachable for 4 s", (await bed.ComponentAsync("urn:c:mute"))!.StatusReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_NoHlo_LostElementsComponentBecomesMigrating()
    {
        await using var bed = await LloTestbed.StartAsync();
        var id = "urn:ngsi-ld:InfrastructureElement:d1:gone";
        // An element whose heartbeat stopped a minute ago (its agent is gone).
        await bed.Client.UpsertAsync(new InfrastructureElement
        {
            Id = id, Domain = ContinuumIds.Domain(LloTestbed.Domain), Heartbeat = TimeProvider.System.GetUtcNow().AddMinutes(-1),
            SelfApiUrl = $"http://127.0.0.1:{AerosProcess.FreePort()}",
        }).Within("writing a silent element");
        await bed.UpsertAsync(new ServiceComponent
        {
            Id = "urn:c:m", InfrastructureElement = id, ServiceComponentStatus = ServiceComponentStatus.Running, Generation = 1, ProcessCommand = "sleep", ProcessArgs = ["9"],
        });
        await bed.StartLloAsync();

        await bed.WaitForStatusAsync("urn:c:m", ServiceComponentStatus.Migrating);
        Assert.Equal($"element {id} lost", (await bed.ComponentAsync("urn:c:m"))!.StatusReason);
        var element = await bed.Client.GetAsync<InfrastructureElement>(id).Within("reading the element");
        Assert.False(element!.Reachable);
        Assert.NotNull(element.UnreachableSince);
        Assert.Contains(bed.Logs.Lines, l => l.Contains(" 5250 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Monitor_FlappingElement_HeldUnreachableAfterItReturns()
    {
        await using var bed = await LloTestbed.StartAsync();
        var id = "urn:ngsi-ld:InfrastructureElement:d1:flap";
        async Task Beat(DateTimeOffset at) => await bed.Client.MergeAsync(id, new Dictionary<string, object?> { ["heartbeat"] = at }).Within("writing a heartbeat");
        await bed.Client.UpsertAsync(new InfrastructureElement { Id = id, Domain = ContinuumIds.Domain(LloTestbed.Domain), Heartbeat = TimeProvider.System.GetUtcNow() })
            .Within("writing the element");
        await bed.StartLloAsync(o =>
        {
            o.HeartbeatGrace = TimeSpan.FromMilliseconds(600);
            o.CheckPeriod = TimeSpan.FromMilliseconds(100);
            o.FlapCount = 2;
            o.FlapHold = TimeSpan.FromMinutes(10);
        });
        async Task<bool?> Reachable() => (await bed.Client.GetAsync<InfrastructureElement>(id))?.Reachable;

        // First loss and return: not flapping yet.
        await TestDeadline.Until(async () => await Reachable() == false, "first loss", TimeSpan.FromSeconds(30));
        await TestDeadline.Until(async () =>
        {
            await Beat(TimeProvider.System.GetUtcNow());
            return await Reachable() == true;
        }, "first return", TimeSpan.FromSeconds(30));

        // Second loss: the element is now flapping and stays unreachable although its heartbeat is back.
        await TestDeadline.Until(async () => await Reachable() == false, "second loss", TimeSpan.FromSeconds(30));
        await TestDeadline.Until(async () =>
        {
            await Beat(TimeProvider.System.GetUtcNow());
            return bed.Logs.Lines.Any(l => l.Contains(" 5232 ", StringComparison.Ordinal));
        }, "the hold begins", TimeSpan.FromSeconds(30), async () => bed.Logs.Text);
        // Heartbeats keep coming for well over the grace (20 polls of ≥ 100 ms): still held unreachable.
        var beats = 0;
        await TestDeadline.Until(async () =>
        {
            await Beat(TimeProvider.System.GetUtcNow());
            return ++beats >= 20;
        }, "20 more heartbeats are written");
        Assert.False(await Reachable());
        Assert.DoesNotContain(bed.Logs.Lines.SkipWhile(l => !l.Contains(" 5232 ", StringComparison.Ordinal)), l => l.Contains(" 5231 ", StringComparison.Ordinal));
    }
}
