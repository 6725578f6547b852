using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// The LLO's HTTP API under <c>/llo/v1</c>: <c>POST notify</c> (the broker's NGSI-LD notifications about
/// ServiceComponents; every entity id in <c>data</c> is queued for a reconcile) and <c>GET status</c> (queue depth,
/// counters, last resync). Errors are RFC 9457 problem details; a bad body is a 400 listing every error.
/// </summary>
internal static class LloApi
{
    public const string Root = "/llo/v1";
    private const int MaxBodyBytes = 4 * 1024 * 1024;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Root);
        api.MapPost("/notify", async (HttpContext http) =>
        {
            if (http.Request.ContentLength > MaxBodyBytes)
            {
                return Problem(413, "payload-too-large", "Payload too large", $"A notification is at most {MaxBodyBytes} bytes.", []);
            }
            JsonNode? body;
            try
            {
                body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            }
            catch (JsonException e)
            {
                return Problem(400, "invalid-json", "Invalid JSON", "The body is not valid JSON.", [e.Message]);
            }
            var errors = new List<string>();
            var ids = new List<string>();
            if (body?["data"] is not JsonArray data)
            {
                errors.Add("'data' must be an array of entities.");
            }
            else
            {
                for (var i = 0; i < data.Count; i++)
                {
                    if (data[i]?["id"] is JsonValue v && v.TryGetValue<string>(out var id) && id.Length > 0)
                    {
                        ids.Add(id);
                    }
                    else
                    {
                        errors.Add($"data[{i}] has no string 'id'.");
                    }
                }
            }
            if (errors.Count > 0)
            {
                return Problem(400, "invalid-notification", "Invalid notification", $"The notification has {errors.Count} error(s).", errors);
            }
            var queue = http.RequestServices.GetRequiredService<WorkQueue>();
            foreach (var id in ids)
            {
                queue.Add(id);
            }
            return Results.NoContent();
        });
        api.MapGet("/status", (HttpContext http) =>
        {
            var services = http.RequestServices;
            var options = services.GetRequiredService<IOptions<LloOptions>>().Value;
            var metrics = services.GetRequiredService<LloMetrics>();
            var controller = services.GetRequiredService<LloController>();
            var status = new JsonObject
            {
                ["domain"] = options.DomainName,
                ["queueDepth"] = services.GetRequiredService<WorkQueue>().Depth,
                ["reconciles"] = metrics.ReconcileCount,
                ["elementsLost"] = metrics.LostCount,
                ["lastResync"] = controller.LastResync?.ToString("O"),
                ["subscription"] = controller.SubscriptionId,
            };
            return Results.Json(status, statusCode: 200);
        });
    }

    private static IResult Problem(int status, string kind, string title, string detail, IReadOnlyList<string> errors)
    {
        var body = new JsonObject
        {
            ["type"] = "urn:aeros:problem:" + kind,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors.Count > 0)
        {
            body["errors"] = new JsonArray(errors.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray());
        }
        return Results.Json(body, statusCode: status, contentType: "application/problem+json");
    }
}
