using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Aeros.Orchestration.Tests.Cli.Client;

/// <summary>
/// A hand-written HLO for the client commands: Kestrel on 127.0.0.1:0 answering the HLO contract (<c>/hlo/v1/services</c>)
/// and the LLO logs endpoint from scripted state. Each GET of a service advances its components one step along their
/// scripted status sequence, so the CLI sees real progress. Requests are recorded.
/// </summary>
internal sealed class FakeHlo : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeHlo(WebApplication app) => _app = app;

    public Uri Url => new(_app.Urls.First().TrimEnd('/') + "/");

    /// <summary>Status sequences per component name for the next submitted service (the last one repeats).</summary>
    public Dictionary<string, string[]> Script { get; } = new(StringComparer.Ordinal);

    /// <summary>An answer to give to the next POST instead of 202 (status, body).</summary>
    public (int Status, JsonObject Body)? SubmitAnswer { get; set; }

    /// <summary>Log lines served for any component id.</summary>
    public List<string> LogLines { get; } = [];

    public ConcurrentQueue<string> Requests { get; } = new();

    public ConcurrentDictionary<string, string> Bodies { get; } = new(StringComparer.Ordinal);

    /// <summary>How many more broker queries see the deleted service's component.</summary>
    public int RemovingPolls { get; set; }

    private const string ComponentJson = """
        [{"id": "urn:ngsi-ld:Service:hello-web:Component:hello-web", "type": "ServiceComponent",
          "serviceComponentStatus": {"type": "Property", "value": "Removing"}}]
        """;

    private readonly ConcurrentDictionary<string, ServiceState> _services = new(StringComparer.Ordinal);

    public static async Task<FakeHlo> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder([]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeHlo(app);
        fake.Map(app);
        await app.StartAsync().Within("starting the fake HLO");
        return fake;
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            await next(context);
        });
        app.MapPost("/hlo/v1/services/{id}", async (HttpContext http, string id) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            Bodies[id] = await reader.ReadToEndAsync();
            if (SubmitAnswer is { } answer)
            {
                return Results.Json(answer.Body, statusCode: answer.Status, contentType: "application/problem+json");
            }
            if (_services.ContainsKey(id))
            {
                return Problem(409, "Service exists");
            }
            _services[id] = new ServiceState(id, Script.ToDictionary(p => p.Key, p => (p.Value, 0)));
            return Results.Json(new JsonObject { ["id"] = id, ["status"] = "Deploying" }, statusCode: 202);
        });
        app.MapGet("/hlo/v1/services", () => Results.Json(new JsonArray(_services.Values.Select(s => (JsonNode?)new JsonObject
        {
            ["id"] = s.Id,
            ["domainHandler"] = "urn:ngsi-ld:Domain:domain1",
            ["components"] = s.Components.Count,
            ["status"] = "Running",
        }).ToArray())));
        app.MapGet("/hlo/v1/services/{id}", (string id) =>
        {
            if (!_services.TryGetValue(id, out var s))
            {
                return Problem(404, "Unknown service");
            }
            var components = new JsonArray();
            lock (s)
            {
                foreach (var name in s.Components.Keys.Order(StringComparer.Ordinal).ToList())
                {
                    var (steps, at) = s.Components[name];
                    var status = steps[Math.Min(at, steps.Length - 1)];
                    s.Components[name] = (steps, at + 1);
                    components.Add(new JsonObject
                    {
                        ["id"] = s.Id + ":Component:" + name,
                        ["name"] = name,
                        ["status"] = status,
                        ["infrastructureElement"] = status == "Locating" ? null : "urn:ngsi-ld:InfrastructureElement:domain1:ie2",
                        ["domain"] = "urn:ngsi-ld:Domain:domain1",
                        ["generation"] = 1,
                        ["statusReason"] = status == "Failed" ? "exec: /nonexistent: no such file" : null,
                        ["decision"] = status == "Locating" ? null : new JsonObject
                        {
                            ["solver"] = "heuristic",
                            ["objective"] = 1.5,
                            ["reason"] = "lowest energy of 2 feasible IEs",
                            ["decidedAt"] = "2026-01-01T00:00:00Z",
                        },
                    });
                }
            }
            return Results.Json(new JsonObject { ["id"] = s.Id, ["domainHandler"] = "urn:ngsi-ld:Domain:domain1", ["actionType"] = "Deploying", ["components"] = components });
        });
        app.MapDelete("/hlo/v1/services/{id}", (string id) =>
        {
            if (!_services.TryGetValue(id, out var s))
            {
                return Problem(404, "Unknown service");
            }
            // As the HLO: the Service goes at once, its components stay (Removing) until the LLO has stopped them.
            _services.TryRemove(id, out _);
            RemovingPolls = 2;
            return Results.Json(new JsonObject { ["id"] = id, ["status"] = "Destroying" }, statusCode: 202);
        });
        // The broker query 'delete --wait' makes: components of the service, here Removing for two polls, then none.
        // The broker client registers the aerOS @context first (docs/continuum-model.md).
        app.MapPost("/ngsi-ld/v1/jsonldContexts", () => Results.Created("/ngsi-ld/v1/jsonldContexts/aeros", null));
        app.MapGet("/ngsi-ld/v1/entities", () =>
        {
            var left = RemovingPolls-- > 0;
            return Results.Text(left ? ComponentJson : "[]", "application/json");
        });
        app.MapGet("/llo/v1/components/{id}/logs", (HttpContext http, string id) => LogLines.Count == 0
            ? Problem(404, "Unknown component")
            : Results.Json(new JsonObject
            {
                ["componentId"] = id,
                ["infrastructureElement"] = "urn:ngsi-ld:InfrastructureElement:domain1:ie2",
                ["workload"] = "aeros-0123456789abcdef-g1",
                ["tail"] = int.Parse(http.Request.Query["tail"].ToString(), System.Globalization.CultureInfo.InvariantCulture),
                ["lines"] = new JsonArray(LogLines.Select(l => (JsonNode?)l).ToArray()),
            }));
    }

    private static IResult Problem(int status, string title) =>
        Results.Json(new JsonObject { ["type"] = "urn:aeros:problem:x", ["title"] = title, ["status"] = status }, statusCode: status, contentType: "application/problem+json");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().Within("stopping the fake HLO");
        await _app.DisposeAsync();
    }

    private sealed class ServiceState(string id, Dictionary<string, (string[] Steps, int At)> components)
    {
        public string Id { get; } = id;

        public Dictionary<string, (string[] Steps, int At)> Components { get; } = components;
    }
}
