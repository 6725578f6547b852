using System.Text.Json.Nodes;
using Aeros.JsonLd.Tests.TestSupport;

namespace Aeros.JsonLd.Tests.Registry;

public sealed class JsonLdContextRegistryTests : IAsyncLifetime
{
    private const string Hosted = """{"@context":{"speed":"http://vehicle.example/speed"}}""";
    private ContextServer _server = null!;

    public async Task InitializeAsync() => _server = await ContextServer.StartAsync().Within("starting the context server");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void List_Fresh_ContainsOnlyTheCoreContextAsCached()
    {
        using var harness = JsonLdHarness.Create();

        var entry = Assert.Single(harness.Registry.List());

        Assert.Equal(JsonLdContext.CoreContextUrl, entry.Url);
        Assert.Equal(JsonLdContextKind.Cached, entry.Kind);
        Assert.Null(entry.ExpiresAt);
        Assert.Equal(JsonLdContext.CoreContextUrl, Assert.Single(harness.Registry.List(JsonLdContextKind.Cached)).Url);
        Assert.Empty(harness.Registry.List(JsonLdContextKind.Hosted));
        Assert.NotNull(entry.ParseBody()["@context"]?["@vocab"]);
    }

    [Fact]
    public async Task AddHostedAsync_ObjectContext_StoresHostedEntry()
    {
        using var harness = JsonLdHarness.Create();

        var entry = await harness.Registry.AddHostedAsync(JsonNode.Parse(Hosted)!, CancellationToken.None).Within("adding");

        Assert.Equal(JsonLdContextKind.Hosted, entry.Kind);
        Assert.Equal("/ngsi-ld/v1/jsonldContexts/" + entry.LocalId, entry.Url);
        Assert.Equal(Hosted, entry.BodyJson);
        Assert.Equal(harness.Time!.GetUtcNow(), entry.CreatedAt);
        Assert.Equal(0, entry.NumberOfHits);
        Assert.Null(entry.LastUsage);
        Assert.True(harness.Registry.TryGet(entry.LocalId, out var fetched));
        Assert.Equal(entry, fetched);
        Assert.Equal(entry, Assert.Single(harness.Registry.List(JsonLdContextKind.Hosted)));
    }

    [Fact]
    public async Task AddHostedAsync_SameBodyTwice_CreatesTwoEntries()
    {
        using var harness = JsonLdHarness.Create();

        var first = await harness.Registry.AddHostedAsync(JsonNode.Parse(Hosted)!, CancellationToken.None).Within("adding first");
        var second = await harness.Registry.AddHostedAsync(JsonNode.Parse(Hosted)!, CancellationToken.None).Within("adding second");

        Assert.NotEqual(first.LocalId, second.LocalId);
        Assert.Equal(2, harness.Registry.List(JsonLdContextKind.Hosted).Count);
    }

    [Fact]
    public async Task AddHostedAsync_ArrayWithUrls_DownloadsAndCachesThem()
    {
        _server.Serve("/a.jsonld", """{ "@context": { "a": "http://a.example/a" } }""");
        _server.Serve("/b.jsonld", """{ "@context": { "b": "http://b.example/b" } }""");
        using var harness = JsonLdHarness.Create();
        var body = JsonNode.Parse($$"""{ "@context": ["{{_server.Url("/a.jsonld")}}", "{{_server.Url("/b.jsonld")}}"] }""")!;

        var entry = await harness.Registry.AddHostedAsync(body, CancellationToken.None).Within("adding");

        Assert.Equal(JsonLdContextKind.Hosted, entry.Kind);
        var cached = harness.Registry.List(JsonLdContextKind.Cached).Select(e => e.Url).ToList();
        Assert.Contains(_server.Url("/a.jsonld"), cached);
        Assert.Contains(_server.Url("/b.jsonld"), cached);
        Assert.Equal(1, _server.Hits("/a.jsonld"));
    }

    [Fact]
    public async Task AddHostedAsync_UnreachableUrlInside_ThrowsNotAvailableAndStoresNothing()
    {
        using var harness = JsonLdHarness.Create();
        var body = JsonNode.Parse($$"""{ "@context": ["{{_server.Url("/missing.jsonld")}}"] }""")!;

        var e = await TestDeadline.ThrowsJsonLd(() => harness.Registry.AddHostedAsync(body, CancellationToken.None), "adding");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
        Assert.Empty(harness.Registry.List(JsonLdContextKind.Hosted));
    }

    [Theory]
    [InlineData("""[ { "@context": {} } ]""")]
    [InlineData("\"http://x.example/ctx\"")]
    [InlineData("""{ "context": {} }""")]
    [InlineData("""{ "@context": 42 }""")]
    [InlineData("""{ "@context": null }""")]
    [InlineData("""{ "@context": "not a url" }""")]
    [InlineData("""{ "@context": { "t": 42 } }""")]
    [InlineData("""{ "@context": { "t": { "@id": "http://x.example/t", "@context": {} } } }""")]
    [InlineData("""{ "@context": { "a": "b:x", "b": "a:y" } }""")]
    public async Task AddHostedAsync_MalformedBody_ThrowsInvalid(string json)
    {
        using var harness = JsonLdHarness.Create();

        var e = await TestDeadline.ThrowsJsonLd(() => harness.Registry.AddHostedAsync(JsonNode.Parse(json)!, CancellationToken.None), "adding");

        Assert.Equal(JsonLdErrorKind.Invalid, e.Kind);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.Empty(harness.Registry.List(JsonLdContextKind.Hosted));
    }

    [Fact]
    public void TryGet_UnknownId_ReturnsFalse()
    {
        using var harness = JsonLdHarness.Create();

        Assert.False(harness.Registry.TryGet("nope", out var entry));
        Assert.Null(entry);
    }

    [Fact]
    public async Task Delete_Hosted_RemovesIt()
    {
        using var harness = JsonLdHarness.Create();
        var entry = await harness.Registry.AddHostedAsync(JsonNode.Parse(Hosted)!, CancellationToken.None).Within("adding");

        harness.Registry.Delete(entry.LocalId);

        Assert.False(harness.Registry.TryGet(entry.LocalId, out _));
        Assert.Empty(harness.Registry.List(JsonLdContextKind.Hosted));
        var e = await TestDeadline.ThrowsJsonLd(
            () => harness.Resolver.ResolveAsync(JsonValue.Create(entry.Url), CancellationToken.None), "resolving the deleted context");
        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
    }

    [Fact]
    public void Delete_CoreContext_ThrowsCannotDelete()
    {
        using var harness = JsonLdHarness.Create();
        var core = Assert.Single(harness.Registry.List());

        var e = Assert.Throws<JsonLdException>(() => harness.Registry.Delete(core.LocalId));

        Assert.Equal(JsonLdErrorKind.CannotDelete, e.Kind);
        Assert.Single(harness.Registry.List());
    }

    [Fact]
    public void Delete_UnknownId_ThrowsNotFound()
    {
        using var harness = JsonLdHarness.Create();

        var e = Assert.Throws<JsonLdException>(() => harness.Registry.Delete("unknown"));

        Assert.Equal(JsonLdErrorKind.NotFound, e.Kind);
    }

    [Fact]
    public async Task ReloadAsync_Cached_DownloadsAgainAndKeepsHits()
    {
        _server.Serve("/ctx.jsonld", """{ "@context": { "t": "http://old.example/t" } }""");
        using var harness = JsonLdHarness.Create();
        var url = _server.Url("/ctx.jsonld");
        var before = await harness.Resolver.ResolveAsync(JsonValue.Create(url), CancellationToken.None).Within("resolving");
        var cached = Assert.Single(harness.Registry.List(JsonLdContextKind.Cached), e => e.Url == url);
        _server.Serve("/ctx.jsonld", """{ "@context": { "t": "http://new.example/t" } }""");
        harness.Time!.Advance(TimeSpan.FromMinutes(1));

        var reloaded = await harness.Registry.ReloadAsync(cached.LocalId, CancellationToken.None).Within("reloading");
        var after = await harness.Resolver.ResolveAsync(JsonValue.Create(url), CancellationToken.None).Within("resolving after reload");

        Assert.Equal(cached.LocalId, reloaded.LocalId);
        Assert.Equal(JsonLdContextKind.Cached, reloaded.Kind);
        Assert.Equal(harness.Time.GetUtcNow(), reloaded.CreatedAt);
        Assert.Equal(1, reloaded.NumberOfHits);
        Assert.Contains("new.example", reloaded.BodyJson, StringComparison.Ordinal);
        Assert.Equal("http://old.example/t", before.ExpandTerm("t"));
        Assert.Equal("http://new.example/t", after.ExpandTerm("t"));
        Assert.Equal(2, _server.Hits("/ctx.jsonld"));
    }

    [Fact]
    public async Task ReloadAsync_ServerNowFails_ThrowsNotAvailable()
    {
        _server.Serve("/ctx.jsonld", """{ "@context": { "t": "http://old.example/t" } }""");
        using var harness = JsonLdHarness.Create();
        await harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/ctx.jsonld")), CancellationToken.None).Within("resolving");
        var cached = Assert.Single(harness.Registry.List(JsonLdContextKind.Cached), e => e.Url == _server.Url("/ctx.jsonld"));
        _server.Serve("/ctx.jsonld", "gone", status: 500);

        var e = await TestDeadline.ThrowsJsonLd(() => harness.Registry.ReloadAsync(cached.LocalId, CancellationToken.None), "reloading");

        Assert.Equal(JsonLdErrorKind.NotAvailable, e.Kind);
        Assert.True(harness.Registry.TryGet(cached.LocalId, out _));
    }

    [Fact]
    public async Task ReloadAsync_HostedOrImplicit_ThrowsCannotReload()
    {
        using var harness = JsonLdHarness.Create();
        var hosted = await harness.Registry.AddHostedAsync(JsonNode.Parse(Hosted)!, CancellationToken.None).Within("adding");
        var inline = await harness.Resolver.ResolveAsync(JsonNode.Parse("""{ "x": "http://x.example/x" }"""), CancellationToken.None).Within("resolving");
        var implicitEntry = Assert.Single(harness.Registry.List(JsonLdContextKind.ImplicitlyCreated));

        var hostedError = await TestDeadline.ThrowsJsonLd(() => harness.Registry.ReloadAsync(hosted.LocalId, CancellationToken.None), "reloading hosted");
        var implicitError = await TestDeadline.ThrowsJsonLd(() => harness.Registry.ReloadAsync(implicitEntry.LocalId, CancellationToken.None), "reloading implicit");

        Assert.Equal(JsonLdErrorKind.CannotReload, hostedError.Kind);
        Assert.Equal(JsonLdErrorKind.CannotReload, implicitError.Kind);
        Assert.Equal(inline.LinkUrl, implicitEntry.Url);
    }

    [Fact]
    public async Task ReloadAsync_UnknownId_ThrowsNotFound()
    {
        using var harness = JsonLdHarness.Create();

        var e = await TestDeadline.ThrowsJsonLd(() => harness.Registry.ReloadAsync("unknown", CancellationToken.None), "reloading");

        Assert.Equal(JsonLdErrorKind.NotFound, e.Kind);
    }

    [Fact]
    public async Task ReloadAsync_CoreContext_ReturnsItUnchanged()
    {
        using var harness = JsonLdHarness.Create();
        var core = Assert.Single(harness.Registry.List());

        var reloaded = await harness.Registry.ReloadAsync(core.LocalId, CancellationToken.None).Within("reloading core");

        Assert.Equal(core, reloaded);
    }

    [Fact]
    public async Task GetOrFetchAsync_OverCapacity_EvictsLeastRecentlyUsed()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            _server.Serve($"/{name}.jsonld", $$"""{ "@context": { "{{name}}": "http://{{name}}.example/" } }""");
        }

        using var harness = JsonLdHarness.Create(o => o.CacheCapacity = 2);
        await harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/a.jsonld")), CancellationToken.None).Within("resolving a");
        harness.Time!.Advance(TimeSpan.FromSeconds(1));
        await harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/b.jsonld")), CancellationToken.None).Within("resolving b");
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        await harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/a.jsonld")), CancellationToken.None).Within("using a again");
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        await harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/c.jsonld")), CancellationToken.None).Within("resolving c");

        var cached = harness.Registry.List(JsonLdContextKind.Cached).Select(e => e.Url).ToList();
        Assert.Equal(3, cached.Count);
        Assert.Contains(_server.Url("/a.jsonld"), cached);
        Assert.Contains(_server.Url("/c.jsonld"), cached);
        Assert.DoesNotContain(_server.Url("/b.jsonld"), cached);
    }

    [Fact]
    public async Task List_CachedEntry_ShowsExpiryAndHidesItOnceExpired()
    {
        _server.Serve("/ctx.jsonld", """{ "@context": {} }""");
        using var harness = JsonLdHarness.Create(o => o.CacheDuration = TimeSpan.FromMinutes(30));
        await harness.Resolver.ResolveAsync(JsonValue.Create(_server.Url("/ctx.jsonld")), CancellationToken.None).Within("resolving");
        var entry = Assert.Single(harness.Registry.List(JsonLdContextKind.Cached), e => e.Url == _server.Url("/ctx.jsonld"));

        harness.Time!.Advance(TimeSpan.FromMinutes(31));

        Assert.Equal(entry.CreatedAt + TimeSpan.FromMinutes(30), entry.ExpiresAt);
        Assert.DoesNotContain(harness.Registry.List(JsonLdContextKind.Cached), e => e.Url == _server.Url("/ctx.jsonld"));
    }

    [Fact]
    public async Task AddHostedAsync_WithDataDirectory_PersistsAndReloadsAtStart()
    {
        var directory = Directory.CreateTempSubdirectory("aeros-jsonld-").FullName;
        try
        {
            JsonLdContextEntry added;
            JsonLdContextEntry removed;
            using (var first = JsonLdHarness.Create(o => o.DataDirectory = directory))
            {
                added = await first.Registry.AddHostedAsync(JsonNode.Parse(Hosted)!, CancellationToken.None).Within("adding");
                removed = await first.Registry.AddHostedAsync(JsonNode.Parse(Hosted)!, CancellationToken.None).Within("adding a second");
                first.Registry.Delete(removed.LocalId);
            }

            File.WriteAllText(Path.Combine(directory, "garbage.json"), "{ not json");
            using var second = JsonLdHarness.Create(o => o.DataDirectory = directory);

            Assert.True(second.Registry.TryGet(added.LocalId, out var reloaded));
            Assert.Equal(added.BodyJson, reloaded.BodyJson);
            Assert.Equal(added.CreatedAt, reloaded.CreatedAt);
            Assert.Equal(JsonLdContextKind.Hosted, reloaded.Kind);
            Assert.False(second.Registry.TryGet(removed.LocalId, out _));
            var context = await second.Resolver.ResolveAsync(JsonValue.Create(added.Url), CancellationToken.None).Within("resolving the reloaded context");
            Assert.Equal("http://vehicle.example/speed", context.ExpandTerm("speed"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task RegisterImplicit_OverCapacity_EvictsLeastRecentlyUsed()
    {
        using var harness = JsonLdHarness.Create(o => o.ImplicitContextCapacity = 2);

        for (var i = 0; i < 4; i++)
        {
            harness.Time!.Advance(TimeSpan.FromSeconds(1));
            await harness.Resolver.ResolveAsync(JsonNode.Parse($$"""{ "t{{i}}": "http://t.example/{{i}}" }"""), CancellationToken.None).Within($"resolve {i}");
        }

        Assert.Equal(2, harness.Registry.List(JsonLdContextKind.ImplicitlyCreated).Count);
    }
}
