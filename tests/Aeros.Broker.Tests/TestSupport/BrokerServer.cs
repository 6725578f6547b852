using Aeros.Testing;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Broker;
using Aeros.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.Tests.TestSupport;

/// <summary>A real broker on Kestrel at 127.0.0.1 with its store in a temporary directory.</summary>
public sealed class BrokerServer : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "aeros-test-" + Guid.NewGuid().ToString("N"));

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public Action<BrokerOptions>? Configure { get; init; }

    public async Task InitializeAsync()
    {
        _app = BrokerHost.Create("http://127.0.0.1:0", options =>
        {
            options.DataDirectory = DataDirectory;
            Configure?.Invoke(options);
            TestStore.Apply(options);
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StartAsync(cts.Token);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _app.StopAsync(cts.Token);
            await _app.DisposeAsync();
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Helpers for NGSI-LD requests in tests.</summary>
public static class Ngsi
{
    public const string Root = "/ngsi-ld/v1";

    public static StringContent Json(string json, string mediaType = "application/json") =>
        new(json, Encoding.UTF8, new MediaTypeHeaderValue(mediaType));

    public static StringContent Json(JsonNode node, string mediaType = "application/json") => Json(node.ToJsonString(), mediaType);

    public static HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content = null, string? link = null, string? accept = null, string? tenant = null)
    {
        var request = new HttpRequestMessage(method, Root + path) { Content = content };
        if (link is not null)
        {
            request.Headers.TryAddWithoutValidation("Link", $"<{link}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        }
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        if (tenant is not null)
        {
            request.Headers.TryAddWithoutValidation("NGSILD-Tenant", tenant);
        }
        return request;
    }

    public static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public static async Task<string> ErrorTypeAsync(HttpResponseMessage response) =>
        (await ReadJsonAsync(response))?["type"]?.GetValue<string>() ?? "(no body)";

    public static string NewId(string type = "Test") => $"urn:ngsi-ld:{type}:{Guid.NewGuid():N}";
}
