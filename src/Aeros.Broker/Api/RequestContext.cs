using System.Text.Json.Nodes;
using Aeros.Broker.Errors;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Api;

/// <summary>What every endpoint needs from the module: options and the context resolver.</summary>
internal sealed class NgsiLdApi(IOptions<BrokerOptions> options, IJsonLdContextResolver resolver)
{
    public BrokerOptions Options { get; } = options.Value;

    public IJsonLdContextResolver Resolver { get; } = resolver;

    /// <summary>The context of a request without a body (GET, DELETE): the Link header or the core context.</summary>
    public ValueTask<JsonLdContext> ContextAsync(HttpContext http) =>
        NgsiLdHttp.ResolveAsync(Resolver, NgsiLdHttp.UserContext(http, null), http.RequestAborted);

    /// <summary>Reads a JSON object body and resolves its context (body @context for JSON-LD, else Link).</summary>
    public async Task<(JsonNode? Json, JsonLdContext Context)> ReadObjectAsync(HttpContext http, bool allowMergePatch = false)
    {
        var body = await NgsiLdHttp.ReadBodyAsync(http, Options, allowMergePatch, http.RequestAborted);
        if (body.Json is not JsonObject)
        {
            throw body.Json is JsonArray
                ? NgsiLdException.InvalidRequest("The body must be a JSON object, not an array.")
                : NgsiLdException.InvalidRequest("The body must be a JSON object.");
        }
        // UserContext also rejects the mixes (JSON body with @context, JSON-LD body with a Link header).
        var linked = NgsiLdHttp.UserContext(http, body);
        var user = body.IsLdJson ? NgsiLdHttp.BodyContext(body.Json) : linked;
        var context = await NgsiLdHttp.ResolveAsync(Resolver, user, http.RequestAborted);
        return (body.Json, context);
    }

    /// <summary>Path ids are URIs; routing leaves %2F encoded, so decode it here.</summary>
    public static string PathId(HttpContext http, string name = "id")
    {
        var raw = http.Request.RouteValues[name] as string ?? "";
        var id = raw.Contains('%') ? Uri.UnescapeDataString(raw) : raw;
        if (!Entities.NgsiNames.IsUri(id))
        {
            throw NgsiLdException.BadRequestData($"'{id}' is not a URI.");
        }
        return id;
    }
}
