using System.Net;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Testing;

namespace Aeros.Continuum.Tests.Client;

public sealed class ContinuumClientTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private ContinuumClient Client => fixture.Client;

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task UpsertAsync_EachRecordKind_GetReturnsTheSameRecord(string name)
    {
        var recordType = Fixtures.RecordTypes[name];
        var record = ContinuumMapper.FromNgsiLd(Fixtures.Example(name), recordType);

        await Client.UpsertManyAsync([record]).WaitAsync(Deadline);
        var raw = await Client.GetRawAsync(record.Id).WaitAsync(Deadline);

        Assert.NotNull(raw);
        var back = ContinuumMapper.FromNgsiLd(raw, recordType);
        var expected = ContinuumMapper.ToNgsiLd(record);
        var actual = ContinuumMapper.ToNgsiLd(back);
        foreach (var (attribute, value) in expected)
        {
            Assert.True(JsonNode.DeepEquals(value, actual[attribute]),
                $"{name}.{attribute}: wrote {value?.ToJsonString()}, read {actual[attribute]?.ToJsonString()}");
        }
        Assert.Equal(expected.Count, actual.Count);
    }

    [Theory]
    [InlineData("-f -p 8080")]
    [InlineData("one")]
    public async Task UpsertAsync_AerosExtensions_ReadBackUnchangedInOrder(string argLine)
    {
        var args = argLine.Split(' ');
        var component = new ServiceComponent
        {
            Id = $"urn:ngsi-ld:Service:ext{args.Length}:Component:web",
            ProcessCommand = "/bin/busybox",
            ProcessArgs = args,
            Generation = 3,
            StatusReason = "no element has cpuArchitecture arm64",
        };
        var requirements = new InfrastructureElementRequirements { Id = component.Id + ":InfrastructureElementRequirements", CpuRequest = 0.25, MemoryRequest = 64 };
        var ie = NewElement("ext" + args.Length) with { SelfApiUrl = "http://127.0.0.1:9100/" };

        await Client.UpsertManyAsync([component, requirements, ie]).WaitAsync(Deadline);

        var c = await Client.GetAsync<ServiceComponent>(component.Id).WaitAsync(Deadline);
        Assert.Equal("/bin/busybox", c!.ProcessCommand);
        Assert.Equal(args, c.ProcessArgs);
        Assert.Equal(3, c.Generation);
        Assert.Equal(component.StatusReason, c.StatusReason);
        var r = await Client.GetAsync<InfrastructureElementRequirements>(requirements.Id).WaitAsync(Deadline);
        Assert.Equal(0.25, r!.CpuRequest);
        Assert.Equal(64, r.MemoryRequest);
        var back = await Client.GetAsync<InfrastructureElement>(ie.Id).WaitAsync(Deadline);
        Assert.Equal("http://127.0.0.1:9100/", back!.SelfApiUrl);
    }

    [Fact]
    public async Task UpsertAsync_InfrastructureElement_EnumsAreUrnRelationshipsInTheBroker()
    {
        var ie = NewElement("enums") with
        {
            InfrastructureElementStatus = InfrastructureElementStatus.Ready,
            CpuArchitecture = CpuArchitecture.AMD64,
            InfrastructureElementTier = InfrastructureElementTier.Edge,
        };
        await Client.UpsertAsync(ie).WaitAsync(Deadline);

        // Without a Link header the broker answers with expanded names: this is what is stored, and shows the aerOS @context was applied.
        var raw = await ReadExpandedAsync(ie.Id);
        const string It = "https://smartdatamodels.org/dataModel.IT/";
        Assert.Equal("Relationship", raw[It + "infrastructureElementStatus"]!["type"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:InfrastructureElementStatus:Ready", raw[It + "infrastructureElementStatus"]!["object"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:CpuArchitecture:AMD64", raw[It + "cpuArchitecture"]!["object"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:InfrastructureElementTier:Edge", raw[It + "infrastructureElementTier"]!["object"]!.GetValue<string>());
        Assert.Equal(It + "InfrastructureElement", raw["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpsertAsync_Twice_ReplacesTheEntity()
    {
        var ie = NewElement("replace") with { Hostname = "a", CpuCores = 2 };
        await Client.UpsertAsync(ie).WaitAsync(Deadline);
        await Client.UpsertAsync(ie with { Hostname = "b", CpuCores = null }).WaitAsync(Deadline);

        var back = await Client.GetAsync<InfrastructureElement>(ie.Id).WaitAsync(Deadline);

        Assert.Equal("b", back!.Hostname);
        Assert.Null(back.CpuCores);
    }

    [Fact]
    public async Task UpsertAsync_UpdateMode_KeepsAttributesOthersWrote()
    {
        var ie = NewElement("update-mode") with { Hostname = "a", CpuCores = 2 };
        await Client.UpsertAsync(ie, UpsertMode.Update).WaitAsync(Deadline); // creates
        await Client.MergeAsync(ie.Id, new Dictionary<string, object?> { ["trustScore"] = 0.7 }).WaitAsync(Deadline); // another component

        await Client.UpsertAsync(ie with { Hostname = "b", CpuCores = null }, UpsertMode.Update).WaitAsync(Deadline);

        var back = await Client.GetAsync<InfrastructureElement>(ie.Id).WaitAsync(Deadline);
        Assert.Equal("b", back!.Hostname);
        Assert.Equal(0.7, back.TrustScore);
        Assert.Equal(2, back.CpuCores); // not in the record: kept, unlike Replace
    }

    [Fact]
    public async Task GetAsync_Missing_ReturnsNull()
    {
        Assert.Null(await Client.GetAsync<Domain>("urn:ngsi-ld:Domain:" + Guid.NewGuid().ToString("N")).WaitAsync(Deadline));
    }

    [Fact]
    public async Task QueryAsync_WithQ_ReturnsOnlyMatchingEntities()
    {
        var domain = ContinuumIds.Domain("q" + Guid.NewGuid().ToString("N")[..8]);
        var low = NewElement("low") with { Domain = domain, CurrentCpuUsage = 10, InfrastructureElementStatus = InfrastructureElementStatus.Ready };
        var high = NewElement("high") with { Domain = domain, CurrentCpuUsage = 90, InfrastructureElementStatus = InfrastructureElementStatus.Overloaded };
        var other = NewElement("other") with { CurrentCpuUsage = 10 };
        await Client.UpsertManyAsync([low, high, other]).WaitAsync(Deadline);

        var byCpu = await Client.QueryAsync<InfrastructureElement>($"currentCpuUsage<50;domain==\"{domain}\"").WaitAsync(Deadline);
        var byStatus = await Client.QueryAsync<InfrastructureElement>(
            $"infrastructureElementStatus==\"urn:ngsi-ld:InfrastructureElementStatus:Overloaded\";domain==\"{domain}\"").WaitAsync(Deadline);

        Assert.Equal([low.Id], byCpu.Select(e => e.Id));
        Assert.Equal([high.Id], byStatus.Select(e => e.Id));
        Assert.Equal(InfrastructureElementStatus.Overloaded, byStatus[0].InfrastructureElementStatus);
    }

    [Fact]
    public async Task QueryAsync_MoreEntitiesThanAPage_ReadsEveryPage()
    {
        var domain = ContinuumIds.Domain("p" + Guid.NewGuid().ToString("N")[..8]);
        var ports = Enumerable.Range(0, 7).Select(i => new NetworkPort { Id = $"{domain}:NetworkPort:{i}", PortNumber = 8000 + i, PortProtocol = PortProtocol.TCP, Description = domain }).ToList();
        await Client.UpsertManyAsync(ports).WaitAsync(Deadline);
        var client = new ContinuumClient(fixture.Http, new ContinuumClientOptions { PageSize = 2 }, TimeProvider.System);

        var all = await client.QueryAsync<NetworkPort>($"description==\"{domain}\"").WaitAsync(Deadline);
        var capped = await client.QueryAsync<NetworkPort>($"description==\"{domain}\"", maxResults: 3).WaitAsync(Deadline);

        Assert.Equal(ports.Select(p => p.PortNumber).Order(), all.Select(p => p.PortNumber).Order());
        Assert.Equal(3, capped.Count);
    }

    [Fact]
    public async Task MergeAsync_Attributes_ChangesThemAndKeepsTheOthers()
    {
        var ie = NewElement("merge") with { Hostname = "h1", CpuCores = 4, InfrastructureElementStatus = InfrastructureElementStatus.Ready, TrustScore = 0.5 };
        await Client.UpsertAsync(ie).WaitAsync(Deadline);
        var heartbeat = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

        await Client.MergeAsync(ie.Id, new Dictionary<string, object?>
        {
            ["infrastructureElementStatus"] = InfrastructureElementStatus.Overloaded,
            ["healthScore"] = 0.42,
            ["heartbeat"] = heartbeat,
            ["trustScore"] = null,
        }).WaitAsync(Deadline);
        var back = await Client.GetAsync<InfrastructureElement>(ie.Id).WaitAsync(Deadline);

        Assert.Equal("h1", back!.Hostname);
        Assert.Equal(4, back.CpuCores);
        Assert.Equal(InfrastructureElementStatus.Overloaded, back.InfrastructureElementStatus);
        Assert.Equal(0.42, back.HealthScore);
        Assert.Equal(heartbeat, back.Heartbeat);
        Assert.Null(back.TrustScore);
    }

    [Fact]
    public async Task MergeAsync_PartialRecord_WritesOnlyItsAttributes()
    {
        var component = new ServiceComponent
        {
            Id = ContinuumIds.ServiceComponent("urn:ngsi-ld:Service:" + Guid.NewGuid().ToString("N"), "web"),
            ContainerImage = "busybox",
            ServiceComponentStatus = ServiceComponentStatus.Starting,
            EnvVars = [new KeyValueEntry("A", "1")],
        };
        await Client.UpsertAsync(component).WaitAsync(Deadline);

        await Client.MergeAsync(new ServiceComponent { Id = component.Id, ServiceComponentStatus = ServiceComponentStatus.Running }).WaitAsync(Deadline);
        var back = await Client.GetAsync<ServiceComponent>(component.Id).WaitAsync(Deadline);

        Assert.Equal(ServiceComponentStatus.Running, back!.ServiceComponentStatus);
        Assert.Equal("busybox", back.ContainerImage);
        Assert.Equal([new KeyValueEntry("A", "1")], back.EnvVars);
    }

    [Fact]
    public async Task MergeAsync_MissingEntity_ThrowsWithProblemDetails()
    {
        var e = await Assert.ThrowsAsync<ContinuumClientException>(() =>
            Client.MergeAsync("urn:ngsi-ld:InfrastructureElement:none:" + Guid.NewGuid().ToString("N"), new Dictionary<string, object?> { ["cpuCores"] = 1 }).WaitAsync(Deadline));

        Assert.Equal(HttpStatusCode.NotFound, e.Status);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", e.ProblemType);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task QueryAsync_InvalidQ_ThrowsBadRequestWithDetail()
    {
        var e = await Assert.ThrowsAsync<ContinuumClientException>(() => Client.QueryAsync<InfrastructureElement>("cpuCores>>(").WaitAsync(Deadline));

        Assert.Equal(HttpStatusCode.BadRequest, e.Status);
        Assert.NotNull(e.ProblemType);
        Assert.False(string.IsNullOrEmpty(e.Detail ?? e.Title));
    }

    [Fact]
    public async Task UpsertAsync_InvalidId_ThrowsWithTheBrokersReason()
    {
        var e = await Assert.ThrowsAsync<ContinuumClientException>(() => Client.UpsertAsync(new Domain { Id = "not a uri" }).WaitAsync(Deadline));

        Assert.NotNull(e.Status);
        Assert.False(e.IsTransient);
        Assert.NotNull(e.ProblemType);
    }

    [Fact]
    public async Task DeleteAsync_ExistingThenMissing_ReturnsTrueThenFalse()
    {
        var domain = new Domain { Id = ContinuumIds.Domain("del" + Guid.NewGuid().ToString("N")[..8]), DomainStatus = DomainStatus.Functional, IsEntrypoint = false };
        await Client.UpsertAsync(domain).WaitAsync(Deadline);

        Assert.True(await Client.DeleteAsync(domain.Id).WaitAsync(Deadline));
        Assert.Null(await Client.GetAsync<Domain>(domain.Id).WaitAsync(Deadline));
        Assert.False(await Client.DeleteAsync(domain.Id).WaitAsync(Deadline));
    }

    [Fact]
    public async Task SubscribeAsync_MatchingChange_NotifiesTheListener()
    {
        await using var listener = await NotificationListener.StartAsync().WaitAsync(Deadline);
        var service = "urn:ngsi-ld:Service:" + Guid.NewGuid().ToString("N");
        var id = await Client.SubscribeAsync(ContinuumSubscription.For<ServiceComponent>(listener.Url) with
        {
            Q = "serviceComponentStatus==\"urn:ngsi-ld:ServiceComponentStatus:Running\";service==\"" + service + "\"",
            WatchedAttributes = ["serviceComponentStatus"],
        }).WaitAsync(Deadline);
        try
        {
            var component = new ServiceComponent { Id = ContinuumIds.ServiceComponent(service, "api"), Service = service, ServiceComponentStatus = ServiceComponentStatus.Starting };
            await Client.UpsertAsync(component).WaitAsync(Deadline);
            await Client.MergeAsync(component with { Service = null, ServiceComponentStatus = ServiceComponentStatus.Running }).WaitAsync(Deadline);

            var notification = await listener.WaitForAsync(n => n["subscriptionId"]?.GetValue<string>() == id, Deadline);
            var notified = ContinuumMapper.FromNotification<ServiceComponent>(notification);

            Assert.Equal([component.Id], notified.Select(c => c.Id));
            Assert.Equal(ServiceComponentStatus.Running, notified[0].ServiceComponentStatus);
        }
        finally
        {
            Assert.True(await Client.UnsubscribeAsync(id).WaitAsync(Deadline));
        }
        Assert.False(await Client.UnsubscribeAsync(id).WaitAsync(Deadline));
    }

    [Fact]
    public async Task Clients_SameBroker_ShareOneHostedContext()
    {
        var first = new ContinuumClient(fixture.Http, new ContinuumClientOptions(), TimeProvider.System);
        var second = new ContinuumClient(fixture.Http, new ContinuumClientOptions(), TimeProvider.System);
        await first.UpsertAsync(NewElement("ctx1")).WaitAsync(Deadline);
        await second.UpsertAsync(NewElement("ctx2")).WaitAsync(Deadline);

        using var response = await fixture.Http.GetAsync("ngsi-ld/v1/jsonldContexts?kind=Hosted").WaitAsync(Deadline);
        var hosted = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();

        Assert.Single(hosted);
    }

    [Fact]
    public async Task UpsertAsync_WithTenant_IsInvisibleToTheDefaultTenant()
    {
        var tenantClient = new ContinuumClient(fixture.Http, new ContinuumClientOptions { Tenant = "t" + Guid.NewGuid().ToString("N")[..6] }, TimeProvider.System);
        var ie = NewElement("tenant");

        await tenantClient.UpsertAsync(ie).WaitAsync(Deadline);

        Assert.NotNull(await tenantClient.GetAsync<InfrastructureElement>(ie.Id).WaitAsync(Deadline));
        Assert.Null(await Client.GetAsync<InfrastructureElement>(ie.Id).WaitAsync(Deadline));
    }

    [Fact]
    public async Task PingAsync_RunningBroker_ReturnsTrue()
    {
        Assert.True(await Client.PingAsync().WaitAsync(Deadline));
    }

    public static TheoryData<string> Examples() => Fixtures.Examples();

    private static InfrastructureElement NewElement(string label) => new()
    {
        Id = ContinuumIds.InfrastructureElement("test", Guid.NewGuid().ToString("N")[..12]),
        Hostname = label,
    };

    private async Task<JsonObject> ReadExpandedAsync(string id)
    {
        using var response = await fixture.Http.GetAsync("ngsi-ld/v1/entities/" + Uri.EscapeDataString(id)).WaitAsync(Deadline);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }
}
