using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Gateway.OpenApi;

/// <summary>
/// <c>GET /openapi.json</c>: one OpenAPI 3.1 document made of the backends' own documents (those with an
/// <see cref="BackendOptions.OpenApiPath"/>): their paths (the gateway serves them at the same paths) and component
/// schemas, with the bearer-token security scheme the gateway enforces. A backend that does not answer is listed
/// under <c>x-aeros-sources</c> with its error instead of failing the document. The policy's cache entry for
/// <c>openapi</c> keeps backends from being asked on every call.
/// </summary>
internal sealed class OpenApiAggregator(IOptions<GatewayOptions> options, IHttpClientFactory httpClients, ILogger<OpenApiAggregator> logger)
{
    public const string Path = "/openapi.json";

    public async Task HandleAsync(HttpContext http)
    {
        var document = await BuildAsync(http.RequestAborted);
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(document.ToJsonString(), Encoding.UTF8, http.RequestAborted);
    }

    public async Task<JsonObject> BuildAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var paths = new JsonObject();
        var schemas = new JsonObject();
        var sources = new JsonArray();
        var client = httpClients.CreateClient(GatewayServiceCollectionExtensions.BackendHttpClientName);
        var fetches = o.Backends()
            .Where(b => b.Backend.OpenApiPath is not null && b.Backend.Destinations.Count > 0)
            .Select(async b =>
            {
                var url = new Uri(b.Backend.Destinations[0], b.Backend.OpenApiPath);
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(5));
                    using var response = await client.GetAsync(url, timeout.Token);
                    if (!response.IsSuccessStatusCode)
                    {
                        return (b.Api, url, (JsonObject?)null, $"HTTP {(int)response.StatusCode}");
                    }
                    var text = await response.Content.ReadAsStringAsync(timeout.Token);
                    return (b.Api, url, JsonNode.Parse(text) as JsonObject, (string?)null);
                }
#pragma warning disable CA1031 // One backend's failure is reported in the document, not thrown.
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    GatewayLog.OpenApiFailed(logger, b.Api, url.ToString(), e.Message);
                    return (b.Api, url, null, e.Message);
                }
            })
            .ToList();
        foreach (var (api, url, doc, error) in await Task.WhenAll(fetches))
        {
            var source = new JsonObject { ["api"] = api, ["url"] = url.ToString() };
            if (doc is null)
            {
                source["error"] = error ?? "not a JSON object";
                sources.Add(source);
                continue;
            }
            var added = 0;
            if (doc["paths"] is JsonObject docPaths)
            {
                foreach (var (path, item) in docPaths.ToList())
                {
                    if (!paths.ContainsKey(path))
                    {
                        paths[path] = item?.DeepClone();
                        added++;
                    }
                }
            }
            if (doc["components"]?["schemas"] is JsonObject docSchemas)
            {
                foreach (var (name, schema) in docSchemas.ToList())
                {
                    if (!schemas.ContainsKey(name))
                    {
                        schemas[name] = schema?.DeepClone();
                    }
                }
            }
            source["paths"] = added;
            sources.Add(source);
        }
        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = $"Aeros domain {o.DomainName} (through its gateway)",
                ["version"] = "1",
                ["description"] = "The APIs of the domain's backends, as served by its gateway: every call needs a bearer token (docs/security.md).",
            },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas,
                ["securitySchemes"] = new JsonObject
                {
                    ["bearer"] = new JsonObject { ["type"] = "http", ["scheme"] = "bearer", ["bearerFormat"] = "JWT" },
                },
            },
            ["security"] = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() }),
            ["x-aeros-sources"] = sources,
        };
    }
}
