using System.Text;
using System.Text.Json;
using Aeros.Broker.Api;
using Aeros.Broker.Entities;
using Aeros.Broker.Errors;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.Contexts;

/// <summary>The @context management API (§5.13, §6.29–6.30): hosted, cached and implicitly created contexts.</summary>
internal static class ContextEndpoints
{
    private static readonly HashSet<string> ListParams = ["details", "kind"];
    private static readonly HashSet<string> GetParams = ["details"];
    private static readonly HashSet<string> DeleteParams = ["reload"];
    private static readonly HashSet<string> NoParams = [];

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Post("/jsonldContexts", Add);
        api.Get("/jsonldContexts", List);
        api.Get("/jsonldContexts/{contextId}", Serve);
        api.Delete("/jsonldContexts/{contextId}", Delete);
    }

    private static IJsonLdContextRegistry Registry(HttpContext http) => http.RequestServices.GetRequiredService<IJsonLdContextRegistry>();

    private static string Absolute(HttpContext http, string url) =>
        url.StartsWith('/') ? $"{http.Request.Scheme}://{http.Request.Host}{url}" : url;

    private static async Task Add(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var api = http.RequestServices.GetRequiredService<NgsiLdApi>();
        var body = await NgsiLdHttp.ReadBodyAsync(http, api.Options, allowMergePatch: false, http.RequestAborted);
        if (body.Json is null)
        {
            throw NgsiLdException.BadRequestData("The body must be an object with an @context member.");
        }
        var entry = await Guard(() => Registry(http).AddHostedAsync(body.Json, http.RequestAborted).AsTask());
        NgsiLdResponses.Created(http, Absolute(http, entry.Url));
    }

    private static async Task List(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, ListParams);
        var details = NgsiLdHttp.BoolParam(http, "details");
        JsonLdContextKind? kind = NgsiLdHttp.Param(http, "kind") switch
        {
            null => null,
            "Hosted" => JsonLdContextKind.Hosted,
            "Cached" => JsonLdContextKind.Cached,
            "ImplicitlyCreated" => JsonLdContextKind.ImplicitlyCreated,
            var other => throw NgsiLdException.BadRequestData($"kind '{other}' is not one of Hosted, Cached, ImplicitlyCreated."),
        };
        var entries = Registry(http).List(kind);
        await NgsiLdResponses.WriteJsonAsync(http, StatusCodes.Status200OK, NgsiLdHttp.ApplicationJson, w =>
        {
            w.WriteStartArray();
            foreach (var entry in entries)
            {
                if (details)
                {
                    WriteDetails(w, http, entry);
                }
                else
                {
                    w.WriteStringValue(Absolute(http, entry.Url));
                }
            }
            w.WriteEndArray();
        });
    }

    private static async Task Serve(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, GetParams);
        var details = NgsiLdHttp.BoolParam(http, "details");
        var id = (string)http.Request.RouteValues["contextId"]!;
        if (!Registry(http).TryGet(id, out var entry))
        {
            throw NgsiLdException.NotFound($"No @context with id '{id}'.");
        }
        if (details)
        {
            await NgsiLdResponses.WriteJsonAsync(http, StatusCodes.Status200OK, NgsiLdHttp.ApplicationJson, w => WriteDetails(w, http, entry));
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(entry.BodyJson);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = NgsiLdHttp.ApplicationJson;
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
    }

    private static async Task Delete(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, DeleteParams);
        var reload = NgsiLdHttp.BoolParam(http, "reload");
        var id = (string)http.Request.RouteValues["contextId"]!;
        var registry = Registry(http);
        if (reload)
        {
            if (!registry.TryGet(id, out _))
            {
                // 051_04_01: reload of an unknown id is a bad request, not a missing resource.
                throw NgsiLdException.BadRequestData($"No @context with id '{id}' to reload.");
            }
            await Guard(() => registry.ReloadAsync(id, http.RequestAborted).AsTask());
        }
        else
        {
            await Guard(() =>
            {
                registry.Delete(id);
                return Task.FromResult(true);
            });
        }
        NgsiLdResponses.NoContent(http);
    }

    private static void WriteDetails(Utf8JsonWriter w, HttpContext http, JsonLdContextEntry entry)
    {
        w.WriteStartObject();
        w.WriteString("URL", Absolute(http, entry.Url));
        w.WriteString("localId", entry.LocalId);
        w.WriteString("kind", entry.Kind.ToString());
        w.WriteString("createdAt", NgsiNames.FormatTimestamp(entry.CreatedAt));
        if (entry.LastUsage is { } lastUsage)
        {
            w.WriteString("lastUsage", NgsiNames.FormatTimestamp(lastUsage));
        }
        w.WriteNumber("numberOfHits", entry.NumberOfHits);
        if (entry.ExpiresAt is { } expiresAt)
        {
            w.WriteString("expiresAt", NgsiNames.FormatTimestamp(expiresAt));
        }
        w.WriteEndObject();
    }

    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (JsonLdException e)
        {
            throw NgsiLdHttp.ToNgsiLd(e);
        }
    }
}
