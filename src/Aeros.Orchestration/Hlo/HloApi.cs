using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Orchestration.Blueprints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Orchestration.Hlo;

/// <summary>
/// The HLO's HTTP API under <c>/hlo/v1</c> (docs/orchestration.md; OpenAPI 3.1 at <c>GET /hlo/v1/openapi.json</c>):
/// services (POST submit, GET list and one, PUT re-allocate, DELETE remove), alerts (aerOS ie-alert) and status.
/// Errors are RFC 9457 problem details; bad input is a 400 listing every error.
/// </summary>
internal static class HloApi
{
    public const string Root = "/hlo/v1";

    /// <summary>The largest blueprint accepted (the parser's limit): 1 MB.</summary>
    public const int MaxBodyBytes = BlueprintParser.MaxTextLength;

    private static readonly string[] YamlTypes = ["application/yaml", "text/yaml", "application/x-yaml", "text/plain", "application/json"];

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Root);
        api.MapGet("/openapi.json", () => Results.Text(HloOpenApi.Document, "application/json", Encoding.UTF8));
        api.MapPost("/services/{id}", SubmitAsync);
        api.MapPut("/services/{id}", ReallocateAsync);
        api.MapDelete("/services/{id}", DeleteAsync);
        api.MapGet("/services/{id}", GetAsync);
        api.MapGet("/services", (Func<HttpContext, Task<IResult>>)ListAsync);
        api.MapPost("/alerts", (Func<HttpContext, Task<IResult>>)AlertAsync);
        api.MapGet("/status", (HttpContext http) =>
        {
            var services = http.RequestServices;
            var metrics = services.GetRequiredService<HloMetrics>();
            return Results.Json(new JsonObject
            {
                ["domain"] = services.GetRequiredService<HloOrchestrator>().DomainName,
                ["queueDepth"] = services.GetRequiredService<HloQueue>().Depth,
                ["placed"] = metrics.PlacedCount,
                ["failed"] = metrics.FailedCount,
                ["handoffs"] = metrics.HandoffCount,
                ["lastRescan"] = services.GetRequiredService<HloWorker>().LastRescan?.ToString("O"),
            });
        });
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, string id)
    {
        var read = await ReadBlueprintAsync(http, id, required: true);
        if (read.Error is not null)
        {
            return read.Error;
        }
        var orchestrator = http.RequestServices.GetRequiredService<HloOrchestrator>();
        var from = http.Request.Headers[HandoffClient.HeaderName].FirstOrDefault();
        return await BrokerCallAsync(async () =>
        {
            var outcome = await orchestrator.SubmitAsync(read.ServiceId!, read.Blueprint!, read.Text!, string.IsNullOrWhiteSpace(from) ? null : from, http.RequestAborted);
            return outcome == HloOutcome.Conflict
                ? Problem(409, "service-exists", "Service exists", $"The service {read.ServiceId} exists (or its components are still being removed); PUT re-allocates it.")
                : Accepted(read.ServiceId!);
        });
    }

    private static async Task<IResult> ReallocateAsync(HttpContext http, string id)
    {
        var read = await ReadBlueprintAsync(http, id, required: false);
        if (read.Error is not null)
        {
            return read.Error;
        }
        var orchestrator = http.RequestServices.GetRequiredService<HloOrchestrator>();
        return await BrokerCallAsync(async () => await orchestrator.ReallocateAsync(read.ServiceId!, read.Blueprint, read.Text, http.RequestAborted) switch
        {
            HloOutcome.NotFound => NotFound(read.ServiceId!),
            HloOutcome.BadGateway => Problem(502, "domain-unreachable", "Handling domain unreachable", $"The domain that handles {read.ServiceId} did not accept the re-allocation; try again."),
            _ => Accepted(read.ServiceId!),
        });
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, string id)
    {
        if (!BlueprintMapper.TryNormalizeServiceId(id, out var serviceId, out var error))
        {
            return InvalidId(error);
        }
        var orchestrator = http.RequestServices.GetRequiredService<HloOrchestrator>();
        return await BrokerCallAsync(async () => await orchestrator.DeleteAsync(serviceId, http.RequestAborted) switch
        {
            HloOutcome.NotFound => NotFound(serviceId),
            HloOutcome.BadGateway => Problem(502, "domain-unreachable", "Handling domain unreachable", $"The domain that handles {serviceId} did not accept the delete; try again."),
            _ => Accepted(serviceId),
        });
    }

    private static async Task<IResult> GetAsync(HttpContext http, string id)
    {
        if (!BlueprintMapper.TryNormalizeServiceId(id, out var serviceId, out var error))
        {
            return InvalidId(error);
        }
        var services = http.RequestServices;
        var client = await services.GetRequiredService<HloBroker>().ClientAsync(http.RequestAborted);
        var own = services.GetRequiredService<HloOrchestrator>().DomainUrn;
        return await BrokerCallAsync(async () =>
        {
            var raw = await client.GetRawAsync(serviceId, local: true, http.RequestAborted);
            if (raw is null)
            {
                return NotFound(serviceId);
            }
            var service = ContinuumMapper.FromNgsiLd<Service>(raw);
            var components = await ComponentsOfAsync(client, service, own, http.RequestAborted);
            var domains = new Dictionary<string, string?>(StringComparer.Ordinal);
            var list = new JsonArray();
            foreach (var c in components.OrderBy(c => c.Id, StringComparer.Ordinal))
            {
                string? domain = null;
                if (c.InfrastructureElement is { } ie && !domains.TryGetValue(ie, out domain))
                {
                    domain = (await client.GetAsync<InfrastructureElement>(ie, http.RequestAborted))?.Domain;
                    domains[ie] = domain;
                }
                list.Add(new JsonObject
                {
                    ["id"] = c.Id,
                    ["name"] = c.Name,
                    ["status"] = c.ServiceComponentStatus?.ToString(),
                    ["infrastructureElement"] = c.InfrastructureElement,
                    ["domain"] = domain,
                    ["generation"] = c.Generation ?? 0,
                    ["statusReason"] = c.StatusReason,
                    ["decision"] = c.PlacementDecision is { } d
                        ? new JsonObject
                        {
                            ["solver"] = d.Solver,
                            ["objective"] = d.Objective,
                            ["reason"] = d.Reason,
                            ["decidedAt"] = d.DecidedAt.ToString("O"),
                        }
                        : null,
                });
            }
            return Results.Json(new JsonObject
            {
                ["id"] = service.Id,
                ["domainHandler"] = service.DomainHandler,
                ["actionType"] = service.ActionType?.ToString(),
                ["components"] = list,
            });
        });
    }

    private static async Task<IResult> ListAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var client = await services.GetRequiredService<HloBroker>().ClientAsync(http.RequestAborted);
        var own = services.GetRequiredService<HloOrchestrator>().DomainUrn;
        return await BrokerCallAsync(async () =>
        {
            var all = await client.QueryAsync<Service>(null, local: true, cancellationToken: http.RequestAborted);
            var list = new JsonArray();
            foreach (var service in all.OrderBy(s => s.Id, StringComparer.Ordinal))
            {
                var components = await ComponentsOfAsync(client, service, own, http.RequestAborted);
                list.Add(new JsonObject
                {
                    ["id"] = service.Id,
                    ["domainHandler"] = service.DomainHandler,
                    ["components"] = components.Count,
                    ["status"] = Summary(components),
                });
            }
            return Results.Json(list);
        });
    }

    private static async Task<IResult> AlertAsync(HttpContext http)
    {
        if (http.Request.ContentLength > 64 * 1024)
        {
            return Problem(413, "payload-too-large", "Payload too large", "An alert is at most 64 KB.");
        }
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException e)
        {
            return Problem(400, "invalid-json", "Invalid JSON", "The body is not valid JSON.", [Error("", e.Message)]);
        }
        var errors = new List<JsonObject>();
        string? element = null;
        string? reason = null;
        List<string>? components = null;
        if (body is not JsonObject o)
        {
            errors.Add(Error("", "the body must be a JSON object"));
        }
        else
        {
            element = o["infrastructureElement"] is JsonValue e && e.TryGetValue<string>(out var s) && s.StartsWith("urn:", StringComparison.Ordinal) ? s : null;
            if (element is null)
            {
                errors.Add(Error("infrastructureElement", "required: the URN of the element that raises the alert"));
            }
            reason = o["reason"] is JsonValue r && r.TryGetValue<string>(out var rs) && rs.Length is > 0 and <= 1000 ? rs : null;
            if (reason is null)
            {
                errors.Add(Error("reason", "required: a text of 1 to 1000 characters"));
            }
            if (o["components"] is JsonArray array)
            {
                components = [];
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue v && v.TryGetValue<string>(out var id) && id.StartsWith("urn:", StringComparison.Ordinal))
                    {
                        components.Add(id);
                    }
                    else
                    {
                        errors.Add(Error($"components[{i}]", "must be a component URN"));
                    }
                }
            }
            else if (o["components"] is not null)
            {
                errors.Add(Error("components", "must be an array of component URNs"));
            }
        }
        if (errors.Count > 0)
        {
            return Problem(400, "invalid-alert", "Invalid alert", $"The alert has {errors.Count} error(s).", errors);
        }
        var orchestrator = http.RequestServices.GetRequiredService<HloOrchestrator>();
        return await BrokerCallAsync(async () =>
        {
            var (outcome, moving) = await orchestrator.AlertAsync(element!, reason!, components, http.RequestAborted);
            return outcome == HloOutcome.NotFound
                ? Problem(404, "nothing-to-move", "Nothing to re-place", $"No running component{(components is null ? "" : " of those named")} is on {element}.")
                : Results.Json(new JsonObject
                {
                    ["infrastructureElement"] = element,
                    ["components"] = new JsonArray(moving.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
                }, statusCode: 202);
        });
    }

    /// <summary>The components of a service: this broker's, or for a service handled elsewhere the federated view.</summary>
    private static async Task<IReadOnlyList<ServiceComponent>> ComponentsOfAsync(ContinuumClient client, Service service, string ownDomain, CancellationToken cancellationToken)
    {
        var remote = service.DomainHandler is { } h && h != ownDomain;
        var components = await client.QueryAsync<ServiceComponent>($"service==\"{service.Id}\"", local: !remote, cancellationToken: cancellationToken);
        return components.DistinctBy(c => c.Id).ToList();
    }

    /// <summary>One word when every component agrees ("Running"), else the counts ("2 Running, 1 Starting"); "Empty" without components.</summary>
    internal static string Summary(IReadOnlyList<ServiceComponent> components)
    {
        if (components.Count == 0)
        {
            return "Empty";
        }
        var groups = components.GroupBy(c => c.ServiceComponentStatus?.ToString() ?? "Unknown").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        return groups.Count == 1 ? groups[0].Key : string.Join(", ", groups.Select(g => $"{g.Count()} {g.Key}"));
    }

    private sealed record ReadResult(string? ServiceId, ServiceBlueprint? Blueprint, string? Text, IResult? Error);

    private static async Task<ReadResult> ReadBlueprintAsync(HttpContext http, string id, bool required)
    {
        if (!BlueprintMapper.TryNormalizeServiceId(id, out var serviceId, out var idError))
        {
            return new ReadResult(null, null, null, InvalidId(idError));
        }
        var request = http.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            return new ReadResult(null, null, null, TooLarge());
        }
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (!hasBody && !required)
        {
            return new ReadResult(serviceId, null, null, null);
        }
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !YamlTypes.Contains(mediaType.MediaType, StringComparer.OrdinalIgnoreCase))
        {
            return new ReadResult(null, null, null, Problem(415, "unsupported-media-type", "Unsupported media type",
                $"Send the blueprint as TOSCA YAML ({string.Join(", ", YamlTypes.SkipLast(1))}) or JSON (application/json); got '{request.ContentType}'."));
        }
        // Read at most one byte more than allowed, so a body without Content-Length cannot exceed the limit.
        var buffer = new byte[MaxBodyBytes + 1];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = await request.Body.ReadAsync(buffer.AsMemory(length), http.RequestAborted);
            if (n == 0)
            {
                break;
            }
            length += n;
        }
        if (length > MaxBodyBytes)
        {
            return new ReadResult(null, null, null, TooLarge());
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return new ReadResult(null, null, null, Problem(400, "invalid-blueprint", "Invalid blueprint", "The body is not UTF-8 text.",
                [Error("", "the body is not valid UTF-8")]));
        }
        var parsed = BlueprintParser.Parse(text);
        if (!parsed.IsValid)
        {
            var errors = parsed.Errors.Select(e => new JsonObject
            {
                ["line"] = e.Line,
                ["column"] = e.Column,
                ["path"] = e.Path,
                ["message"] = e.Message,
            }).ToList();
            if (errors.Count == 0)
            {
                errors.Add(Error("", "the blueprint is empty"));
            }
            return new ReadResult(null, null, null, Problem(400, "invalid-blueprint", "Invalid blueprint", $"The blueprint has {errors.Count} error(s); nothing was written.", errors));
        }
        return new ReadResult(serviceId, parsed.Blueprint, text, null);
    }

    private static async Task<IResult> BrokerCallAsync(Func<Task<IResult>> call)
    {
        try
        {
            return await call();
        }
        catch (ContinuumClientException e)
        {
            return Problem(503, "broker-unavailable", "Broker unavailable", "The domain broker did not answer as expected: " + e.Message);
        }
        catch (HttpRequestException e)
        {
            return Problem(503, "broker-unavailable", "Broker unavailable", "The domain broker cannot be reached: " + e.Message);
        }
    }

    private static IResult Accepted(string serviceId)
    {
        var status = $"{Root}/services/{Uri.EscapeDataString(serviceId)}";
        return new LocatedResult(Results.Json(new JsonObject { ["id"] = serviceId, ["status"] = status }, statusCode: 202), status);
    }

    private static IResult NotFound(string serviceId) => Problem(404, "service-not-found", "Service not found", $"There is no service {serviceId} in this domain.");

    private static IResult InvalidId(string error) => Problem(400, "invalid-service-id", "Invalid service id", error, [Error("id", error)]);

    private static IResult TooLarge() => Problem(413, "payload-too-large", "Payload too large", $"A blueprint is at most {MaxBodyBytes} bytes.");

    private static JsonObject Error(string path, string message) => new() { ["line"] = 0, ["column"] = 0, ["path"] = path, ["message"] = message };

    private static IResult Problem(int status, string kind, string title, string detail, IReadOnlyList<JsonObject>? errors = null)
    {
        var body = new JsonObject
        {
            ["type"] = "urn:aeros:problem:" + kind,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors is { Count: > 0 })
        {
            body["errors"] = new JsonArray(errors.Select(e => (JsonNode?)e).ToArray());
        }
        return Results.Json(body, statusCode: status, contentType: "application/problem+json");
    }

    /// <summary>A result with a Location header.</summary>
    private sealed class LocatedResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
