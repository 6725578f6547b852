using System.Net;
using Aeros.Broker.Tests.TestSupport;

namespace Aeros.Broker.Tests.Cli;

/// <summary>The broker's command-line switches for remote @context fetching reach the JSON-LD module.</summary>
public sealed class RemoteContextOptionTests : IAsyncLifetime
{
    private readonly ContextServer _contexts = new();
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "aeros-ctxopt-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => _contexts.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _contexts.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private async Task<HttpStatusCode> GetWithLinkAsync(params string[] brokerArgs)
    {
        var url = _contexts.Serve("ctx.jsonld", """{"@context": {"Thing": "https://example.org/Thing"}}""");
        await using var broker = await BrokerProcess.StartBrokerAsync(Path.Combine(_dataDirectory, Guid.NewGuid().ToString("N")), brokerArgs);
        using var client = new HttpClient { BaseAddress = broker.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities?type=Thing");
        request.Headers.TryAddWithoutValidation("Link", $"<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Broker_Default_FetchesRemoteContexts()
    {
        Assert.Equal(HttpStatusCode.OK, await GetWithLinkAsync());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Broker_NoRemoteContexts_AnswersLdContextNotAvailable()
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await GetWithLinkAsync("--no-remote-contexts"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Broker_ContextHostsWithoutThisHost_AnswersLdContextNotAvailable()
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await GetWithLinkAsync("--context-hosts", "contexts.example.org"));
    }
}
