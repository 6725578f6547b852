using System.Text.Json.Nodes;
using Aeros.JsonLd.Tests.TestSupport;

namespace Aeros.JsonLd.Tests.Resolution;

public sealed class JsonLdContextResolverTests : IAsyncLifetime
{
    private const string TempContext = """{ "@context": { "ex": "http://example.org/", "temperature": "ex:temperature" } }""";
    private ContextServer _server = null!;

    public async Task InitializeAsync() => _server = await ContextServer.StartAsync().Within("starting the context server");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ResolveAsync_Null_ReturnsCore()
    {
        using var harness = JsonLdHarness.Create();

        var context = await harness.PublicResolver.ResolveAsync(null, CancellationToken.None).Within("resolving null");

        Assert.Same(JsonLdContext.Core, context);
    }

    [Fact]
    public async Task ResolveAsync_RemoteUrl_FetchesAndExpands()
    {
        _server.Serve("/ctx.jsonld", TempContext);
        using var harness = JsonLdHarness.Create();
        var url = _server.Url("/ctx.jsonld");

        var context = await harness.Resolver.ResolveAsync(JsonValue.Create(url), CancellationToken.None).Within("resolving the remote URL");

        Assert.Equal("http://example.org/temperature", context.ExpandTerm("temperature"));
        Assert.Equal("temperature", context.CompactIri("http://example.org/temperature"));
        Assert.Equal(url, context.LinkUrl);
        Assert.Equal(url, context.Source!.GetValue<string>());
        Assert.Equal(1, _server.Hits("/ctx.jsonld"));
        var cached = Assert.Single(harness.Registry.List(JsonLdContextKind.Cached), e => e.Url == url);
        Assert.Equal(TempContext, cached.BodyJson);
        Assert.Equal(1, cached.NumberOfHits);
    }

    [Fact]
    public async Task ResolveAsync_OneElementArrayOfUrl_LinkUrlIsThatUrlAndSourceIsTheArray()
    {
        _server.Serve("/ctx.jsonld", TempContext);
        using var harness = JsonLdHarness.Create();
        var url = _server.Url("/ctx.jsonld");

        var context = await harness.Resolver.ResolveAsync(new JsonArray(url), CancellationToken.None).Within("resolving [url]");

        Assert.Equal(url, context.LinkUrl);
        Assert.Equal($"[\"{url}\"]", context.Source!.ToJsonString());
        Assert.Empty(harness.Registry.List(JsonLdContextKind.ImplicitlyCreated));
    }

    [Fact]
    public async Task ResolveAsync_SameUrlRepeatedly_FetchesOnceAndReusesResolvedContext()
    {
        _server.Serve("/ctx.jsonld", TempContext);
        using var harness = JsonLdHarness.Create();
        var url = _server.Url("/ctx.jsonld");

        var first = await harness.Resolver.ResolveAsync(JsonValue.Create(url), CancellationToken.None).Within("first resolve");
        var second = await harness.Resolver.ResolveAsync(JsonValue.Create(url), CancellationToken.None).Within("second resolve");
        var other = await harness.Resolver.ResolveAsync(
            JsonNode.Parse($$"""["{{url}}", { "x": "http://x.example/x" }]"""), CancellationToken.None).Within("resolving an array with the URL");

        Assert.Same(first, second);
        Assert.Equal("http://example.org/temperature", other.ExpandTerm("temperature"));
        Assert.Equal(1, _server.Hits("/ctx.jsonld"));
        Assert.Equal(3, Assert.Single(harness.Registry.List(JsonLdContextKind.Cached), e => e.Url == url).NumberOfHits);
    }

    [Fact]
    public async Task ResolveAsync_ConcurrentResolvesOfOneUrl_ShareOneDownload()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.ServeAfter("/slow.jsonld", release.Task, TempContext);
        using var harness = JsonLdHarness.Create();
        var url = _server.Url("/slow.jsonld");

        var resolves = Enumerable.Range(0, 5)
            .Select(i => harness.Resolver.ResolveAsync(
                JsonNode.Parse($$"""["{{url}}", { "n{{i}}": "http://n.example/{{i}}" }]"""), CancellationToken.None).AsTask())
            .ToList();
        await TestDeadline.Until(() => _server.Hits("/slow.jsonld") == 1, "the first download reached the server");
        release.SetResult();
        var contexts = await Task.WhenAll(resolves).Within("waiting for the shared download");

        Assert.All(contexts, c => Assert.Equal("http://example.org/temperature", c.ExpandTerm("temperature")));
        Assert.Equal(1, _server.Hits("/slow.jsonld"));
    }

    [Fact]
    public async Task ResolveAsync_CacheEntryExpired_FetchesAgain()
    {
        _server.Serve("/ctx.jsonld", TempContext);
        using var harness = JsonLdHarness.Create(o => o.CacheDuration = TimeSpan.FromMinutes(10));
        var url = JsonValue.Create(_server.Url("/ctx.jsonld"));

        var first = await harness.Resolver.ResolveAsync(url, CancellationToken.None).Within("first resolve");
        harness.Time!.Advance(TimeSpan.FromMinutes(5));
        var beforeExpiry = await harness.Resolver.ResolveAsync(url, CancellationToken.None).Within("resolve before expiry");
        _server.Serve("/ctx.jsonld", """{ "@context": { "temperature": "http://changed.example/temperature" } }""");
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        var afterExpiry = await harness.Resolver.ResolveAsync(url, CancellationToken.None).Within("resolve after expiry");

        Assert.Same(first, beforeExpiry);
        Assert.NotSame(first, afterExpiry);
        Assert.Equal("http://changed.example/temperature", afterExpiry.ExpandTerm("temperature"));
        Assert.Equal(2, _server.Hits("/ctx.jsonld"));
    }

    [Fact]
    public async Task ResolveAsync_CachedEntryDeleted_FetchesAgain()
    {
        _server.Serve("/ctx.jsonld", TempContext);
        using var harness = JsonLdHarness.Create();
        var url = _server.Url("/ctx.jsonld");
        await harness.Resolver.ResolveAsync(JsonValue.Create(url), CancellationToken.None).Within("first resolve");

        harness.Registry.Delete(Assert.Single(harness.Registry.List(JsonLdContextKind.Cached), e => e.Url == url).LocalId);
        await harness.Resolver.ResolveAsync(JsonValue.Create(url), CancellationToken.None).Within("resolve after delete");

        Assert.Equal(2, _server.Hits("/ctx.jsonld"));
    }

    [Fact]
    public async Task ResolveAsync_RemoteNotFound_ThrowsNotAvailable()
    {
        using var harness = JsonLdHarness.Create();

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/missing.jsonld")), CancellationToken.None), "resolving a 404 URL");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
        Assert.Contains("404", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_RemoteUnreachable_ThrowsNotAvailable()
    {
        using var harness = JsonLdHarness.Create();
        var closedPort = _server.Url("/x.jsonld");
        await _server.DisposeAsync();
        _server = await ContextServer.StartAsync().Within("restarting the server for DisposeAsync");

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(closedPort), CancellationToken.None), "resolving an unreachable URL");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
    }

    [Theory]
    [InlineData("this is { not json")]
    [InlineData("""{ "no": "context member" }""")]
    [InlineData("""[ { "@context": {} } ]""")]
    [InlineData("""{ "@context": 42 }""")]
    [InlineData("""{ "@context": { "t": { "@id": "http://x.example/t", "@context": {} } } }""")]
    public async Task ResolveAsync_RemoteDocumentNotAContext_ThrowsInvalid(string body)
    {
        _server.Serve("/bad.jsonld", body);
        using var harness = JsonLdHarness.Create();

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/bad.jsonld")), CancellationToken.None), "resolving a bad document");

        Assert.Equal(JsonLdErrorKind.Invalid, e.Kind);
        Assert.DoesNotContain(harness.Registry.List(JsonLdContextKind.Cached), c => c.Url.EndsWith("/bad.jsonld", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResolveAsync_RemoteTooLarge_ThrowsInvalid()
    {
        _server.Serve("/big.jsonld", """{ "@context": { "a": "http://x.example/""" + new string('a', 2000) + "\" } }");
        using var harness = JsonLdHarness.Create(o => o.MaxContextBytes = 1000);

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/big.jsonld")), CancellationToken.None), "resolving a large document");

        Assert.Equal(JsonLdErrorKind.Invalid, e.Kind);
    }

    [Fact]
    public async Task ResolveAsync_RemoteTooSlow_ThrowsNotAvailableAfterTimeout()
    {
        _server.Hang("/hang.jsonld");
        using var harness = JsonLdHarness.Create(o => o.RemoteFetchTimeout = TimeSpan.FromMilliseconds(300), realTime: true);

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/hang.jsonld")), CancellationToken.None), "resolving a hanging URL");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
        Assert.Contains("within", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_RemoteContextsDisallowed_ThrowsNotAvailableWithoutFetching()
    {
        _server.Serve("/ctx.jsonld", TempContext);
        using var harness = JsonLdHarness.Create(o => o.AllowRemoteContexts = false);

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/ctx.jsonld")), CancellationToken.None), "resolving a disallowed URL");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
        Assert.Contains("restricted by configuration", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, _server.Hits("/ctx.jsonld"));
    }

    [Fact]
    public async Task ResolveAsync_HostNotInAllowedHosts_ThrowsNotAvailable()
    {
        _server.Serve("/ctx.jsonld", TempContext);
        using var denied = JsonLdHarness.Create(o => o.AllowedRemoteHosts = ["contexts.example.org"]);
        using var allowed = JsonLdHarness.Create(o => o.AllowedRemoteHosts = ["127.0.0.1"]);
        var url = JsonValue.Create(_server.Url("/ctx.jsonld"));

        var e = await TestDeadline.ThrowsJsonLd(() => denied.Resolver.ResolveAsync(url, CancellationToken.None), "resolving a denied host");
        var context = await allowed.Resolver.ResolveAsync(url, CancellationToken.None).Within("resolving an allowed host");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
        Assert.Contains("restricted by configuration", e.Message, StringComparison.Ordinal);
        Assert.Equal("http://example.org/temperature", context.ExpandTerm("temperature"));
    }

    [Fact]
    public async Task ResolveAsync_RedirectToAllowedHost_FollowsIt()
    {
        _server.Serve("/ctx.jsonld", TempContext);
        _server.Redirect("/moved.jsonld", "/ctx.jsonld");
        using var harness = JsonLdHarness.Create(o => o.AllowedRemoteHosts = ["127.0.0.1"]);

        var context = await harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/moved.jsonld")), CancellationToken.None).Within("resolving");

        Assert.Equal("http://example.org/temperature", context.ExpandTerm("temperature"));
        Assert.Equal(1, _server.Hits("/ctx.jsonld"));
    }

    [Fact]
    public async Task ResolveAsync_RedirectToDisallowedHost_ThrowsNotAvailable()
    {
        _server.Redirect("/moved.jsonld", "http://contexts.example.org/ctx.jsonld");
        using var harness = JsonLdHarness.Create(o => o.AllowedRemoteHosts = ["127.0.0.1"]);

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/moved.jsonld")), CancellationToken.None), "resolving");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
        Assert.Contains("restricted by configuration", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_RedirectLoop_ThrowsNotAvailable()
    {
        _server.Redirect("/loop.jsonld", "/loop.jsonld");
        using var harness = JsonLdHarness.Create();

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/loop.jsonld")), CancellationToken.None), "resolving");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
        Assert.Equal(6, _server.Hits("/loop.jsonld"));
    }

    [Theory]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld")]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld")]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld")]
    [InlineData("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld")]
    public async Task ResolveAsync_KnownCoreUrl_ServedFromEmbeddedCopy(string url)
    {
        using var harness = JsonLdHarness.Create(o => o.AllowRemoteContexts = false);

        var context = await harness.Resolver.ResolveAsync(JsonValue.Create(url), CancellationToken.None).Within("resolving a core URL");

        Assert.Equal(url, context.LinkUrl);
        Assert.Equal("https://uri.etsi.org/ngsi-ld/location", context.ExpandTerm("location"));
        Assert.Equal("https://uri.etsi.org/ngsi-ld/default-context/name", context.ExpandTerm("name"));
    }

    [Fact]
    public async Task ResolveAsync_NonExistingCoreLookingUrl_ThrowsNotAvailable()
    {
        using var harness = JsonLdHarness.Create(o => o.AllowedRemoteHosts = ["127.0.0.1"]);

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(
                JsonValue.Create("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-non-existing.jsonld"), CancellationToken.None),
            "resolving the non-existing core URL");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("\"not a url\"")]
    [InlineData("\"urn:ngsi-ld:ctx\"")]
    [InlineData("[[\"http://127.0.0.1:1/a\"]]")]
    [InlineData("""{ "t": { "@id": "http://x.example/t", "@context": { "a": "http://x.example/a" } } }""")]
    [InlineData("""[ { "t": { "@id": "http://x.example/t", "@context": {} } } ]""")]
    [InlineData("""{ "a": "b:x", "b": "a:y" }""")]
    public async Task ResolveAsync_InvalidUserContext_ThrowsInvalidAndRegistersNothing(string json)
    {
        using var harness = JsonLdHarness.Create();

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonNode.Parse(json), CancellationToken.None), "resolving an invalid context");

        Assert.Equal(JsonLdErrorKind.Invalid, e.Kind);
        Assert.Empty(harness.Registry.List(JsonLdContextKind.ImplicitlyCreated));
    }

    [Fact]
    public async Task ResolveAsync_InlineObject_RegistersOneImplicitContextPerDistinctContent()
    {
        using var harness = JsonLdHarness.Create();
        const string Inline = """{ "speed": "http://vehicle.example/speed" }""";

        var first = await harness.Resolver.ResolveAsync(JsonNode.Parse(Inline), CancellationToken.None).Within("first inline resolve");
        var again = await harness.Resolver.ResolveAsync(JsonNode.Parse(Inline), CancellationToken.None).Within("second inline resolve");
        var other = await harness.Resolver.ResolveAsync(
            JsonNode.Parse("""{ "speed": "http://other.example/speed" }"""), CancellationToken.None).Within("other inline resolve");

        Assert.StartsWith("/ngsi-ld/v1/jsonldContexts/", first.LinkUrl, StringComparison.Ordinal);
        Assert.Equal(first.LinkUrl, again.LinkUrl);
        Assert.NotEqual(first.LinkUrl, other.LinkUrl);
        Assert.Equal("http://vehicle.example/speed", first.ExpandTerm("speed"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Inline), first.Source));
        var implicitEntries = harness.Registry.List(JsonLdContextKind.ImplicitlyCreated);
        Assert.Equal(2, implicitEntries.Count);
        var entry = Assert.Single(implicitEntries, e => e.Url == first.LinkUrl);
        Assert.Equal(2, entry.NumberOfHits);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse($$"""{ "@context": {{Inline}} }"""), entry.ParseBody()));
    }

    [Fact]
    public async Task ResolveAsync_ImplicitContextDeleted_RegistersItAgain()
    {
        using var harness = JsonLdHarness.Create();
        var inline = JsonNode.Parse("""{ "speed": "http://vehicle.example/speed" }""");
        var first = await harness.Resolver.ResolveAsync(inline, CancellationToken.None).Within("first resolve");

        harness.Registry.Delete(first.LinkUrl[(first.LinkUrl.LastIndexOf('/') + 1)..]);
        var second = await harness.Resolver.ResolveAsync(inline, CancellationToken.None).Within("resolve after delete");

        Assert.NotSame(first, second);
        Assert.Equal(first.LinkUrl, second.LinkUrl);
        Assert.Single(harness.Registry.List(JsonLdContextKind.ImplicitlyCreated));
    }

    [Fact]
    public async Task ResolveAsync_ArrayOfUrlAndObject_LaterEntriesOverrideAndCoreWins()
    {
        _server.Serve("/ctx.jsonld", TempContext);
        using var harness = JsonLdHarness.Create();
        var json = $$"""["{{_server.Url("/ctx.jsonld")}}", { "temperature": "http://override.example/t", "location": "http://x.example/l" }, "{{JsonLdContext.CoreContextUrl}}"]""";

        var context = await harness.Resolver.ResolveAsync(JsonNode.Parse(json), CancellationToken.None).Within("resolving the array");

        Assert.Equal("http://override.example/t", context.ExpandTerm("temperature"));
        Assert.Equal("https://uri.etsi.org/ngsi-ld/location", context.ExpandTerm("location"));
        Assert.StartsWith("/ngsi-ld/v1/jsonldContexts/", context.LinkUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_RemoteDocumentWithNestedUrls_FetchesAndCachesEach()
    {
        _server.Serve("/base.jsonld", """{ "@context": { "ex": "http://example.org/" } }""");
        _server.Serve("/compound.jsonld", $$"""{ "@context": ["{{_server.Url("/base.jsonld")}}", { "temperature": "ex:temperature" }] }""");
        using var harness = JsonLdHarness.Create();

        var context = await harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/compound.jsonld")), CancellationToken.None)
            .Within("resolving the compound context");

        Assert.Equal("http://example.org/temperature", context.ExpandTerm("temperature"));
        var cached = harness.Registry.List(JsonLdContextKind.Cached).Select(e => e.Url).ToList();
        Assert.Contains(_server.Url("/base.jsonld"), cached);
        Assert.Contains(_server.Url("/compound.jsonld"), cached);
    }

    [Fact]
    public async Task ResolveAsync_RemoteDocumentIncludingItself_ThrowsInvalid()
    {
        _server.Serve("/loop.jsonld", $$"""{ "@context": ["{{_server.Url("/loop.jsonld")}}"] }""");
        using var harness = JsonLdHarness.Create();

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/loop.jsonld")), CancellationToken.None), "resolving a self-including context");

        Assert.Equal(JsonLdErrorKind.Invalid, e.Kind);
    }

    [Fact]
    public async Task ResolveAsync_BrokerUrlOfHostedContext_ServedLocallyOnAnyHost()
    {
        using var harness = JsonLdHarness.Create(o => o.AllowRemoteContexts = false);
        var hosted = await harness.Registry.AddHostedAsync(
            JsonNode.Parse("""{ "@context": { "speed": "http://vehicle.example/speed" } }""")!, CancellationToken.None).Within("adding a hosted context");

        var relative = await harness.Resolver.ResolveAsync(JsonValue.Create(hosted.Url), CancellationToken.None).Within("resolving the relative URL");
        var absolute = await harness.Resolver.ResolveAsync(
            JsonValue.Create("http://broker.example:9090" + hosted.Url), CancellationToken.None).Within("resolving the absolute URL");
        var relativeAgain = await harness.Resolver.ResolveAsync(JsonValue.Create(hosted.Url), CancellationToken.None).Within("resolving again");

        Assert.Equal("http://vehicle.example/speed", relative.ExpandTerm("speed"));
        Assert.Equal("http://vehicle.example/speed", absolute.ExpandTerm("speed"));
        Assert.Same(relative, relativeAgain);
        Assert.True(harness.Registry.TryGet(hosted.LocalId, out var entry));
        Assert.Equal(3, entry.NumberOfHits);
        Assert.Equal(harness.Time!.GetUtcNow(), entry.LastUsage);
    }

    [Fact]
    public async Task ResolveAsync_UnknownRelativeBrokerUrl_ThrowsNotAvailable()
    {
        using var harness = JsonLdHarness.Create();

        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create("/ngsi-ld/v1/jsonldContexts/unknown"), CancellationToken.None), "resolving an unknown id");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
    }

    [Fact]
    public async Task ResolveAsync_AerosDataModelContextInline_ExpandsDataModelTerms()
    {
        using var harness = JsonLdHarness.Create();
        var document = JsonNode.Parse(await File.ReadAllTextAsync(TestSupport.SharedFixtures.Path("aeros-datamodel/context.jsonld")).Within("reading the fixture"))!;

        var context = await harness.Resolver.ResolveAsync(document["@context"]!.DeepClone(), CancellationToken.None).Within("resolving the aerOS context");

        Assert.Equal("https://smartdatamodels.org/dataModel.IT/InfrastructureElement", context.ExpandTerm("InfrastructureElement"));
        Assert.Equal("InfrastructureElement", context.CompactIri("https://smartdatamodels.org/dataModel.IT/InfrastructureElement"));
    }

    [Fact]
    public async Task ResolveAsync_ManyDistinctContexts_KeepsResolvedCacheBounded()
    {
        using var harness = JsonLdHarness.Create(o => o.ResolvedContextCacheCapacity = 8);

        for (var i = 0; i < 40; i++)
        {
            await harness.Resolver.ResolveAsync(JsonNode.Parse($$"""{ "t{{i}}": "http://t.example/{{i}}" }"""), CancellationToken.None).Within($"resolve {i}");
        }

        Assert.InRange(harness.Resolver.CachedCount, 1, 8);
    }

    [Fact]
    public async Task ResolveAsync_CallerCancels_ThrowsOperationCanceled()
    {
        _server.Hang("/hang.jsonld");
        using var harness = JsonLdHarness.Create(o => o.RemoteFetchTimeout = TimeSpan.FromSeconds(5), realTime: true);
        using var cancel = new CancellationTokenSource();

        var resolve = harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/hang.jsonld")), cancel.Token).AsTask();
        await TestDeadline.Until(() => _server.Hits("/hang.jsonld") == 1, "the request reached the server");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolve.WaitAsync(TestDeadline.Default));
    }
}
