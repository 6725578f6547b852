using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Entities;
using Aeros.Broker.Errors;
using Aeros.Broker.Storage;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.Subscriptions;

/// <summary>The /subscriptions resource (§6.10, §6.11): create, query, retrieve, update, delete.</summary>
internal static class SubscriptionEndpoints
{
    private const string Path = "/ngsi-ld/v1/subscriptions/";
    private static readonly HashSet<string> NoParams = [];
    private static readonly HashSet<string> RetrieveParams = ["options"];
    private static readonly HashSet<string> ListParams = ["limit", "offset", "count", "options"];

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Post("/subscriptions", Create);
        api.Get("/subscriptions", List);
        api.Get("/subscriptions/{id}", Retrieve);
        api.Patch("/subscriptions/{id}", Update);
        api.Delete("/subscriptions/{id}", Delete);
    }

    private static NgsiLdApi Api(HttpContext http) => http.RequestServices.GetRequiredService<NgsiLdApi>();

    private static SubscriptionRegistry Registry(HttpContext http) => http.RequestServices.GetRequiredService<SubscriptionRegistry>();

    private static async Task Create(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var (json, context) = await Api(http).ReadObjectAsync(http);
        var registry = Registry(http);
        var now = registry.Time.GetUtcNow();
        var parsed = SubscriptionParser.Parse((JsonObject)json!, "urn:ngsi-ld:Subscription:" + Guid.NewGuid(),
            new SubscriptionParseSettings(context, context, now, CheckExpiresAt: true));
        var link = AbsoluteContextUrl(http, context);
        var subscription = await registry.WithNotificationContextAsync(parsed with { Context = context, CreatedAt = now, ModifiedAt = now }, link, http.RequestAborted);
        await registry.CreateAsync(tenant, subscription, link, http.RequestAborted);
        NgsiLdResponses.Created(http, Path + subscription.Id);
    }

    private static Task List(HttpContext http) => ListAsync(http, Registry(http));

    /// <summary>GET of a subscription collection (/subscriptions, /csourceSubscriptions) served by <paramref name="registry"/>.</summary>
    internal static async Task ListAsync(HttpContext http, SubscriptionRegistry registry)
    {
        NgsiLdHttp.CheckParameters(http, ListParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: false);
        var context = await Api(http).ContextAsync(http);
        var sysAttrs = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), null).SysAttrs;
        await EnsureTenantAsync(http, tenant);
        var options = Api(http).Options;
        var count = NgsiLdHttp.BoolParam(http, "count");
        var limit = NgsiLdHttp.IntParam(http, "limit") ?? options.PageSize;
        var offset = NgsiLdHttp.IntParam(http, "offset") ?? 0;
        if (limit > options.MaxPageSize)
        {
            throw NgsiLdException.TooManyResults($"limit {limit} is above the maximum page size {options.MaxPageSize}.");
        }
        if (limit == 0 && !count)
        {
            throw NgsiLdException.BadRequestData("limit=0 is only allowed together with count=true.");
        }
        var all = registry.List(tenant);
        var page = all.Skip(offset).Take(limit).ToArray();
        if (count)
        {
            http.Response.Headers["NGSILD-Results-Count"] = all.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        NgsiLdResponses.AddPaginationLinks(http, limit, offset, page.Length, all.Length);
        var now = registry.Time.GetUtcNow();
        await WriteAsync(http, media, context, w =>
        {
            w.WriteStartArray();
            foreach (var entry in page)
            {
                WriteOne(w, entry, context, media, sysAttrs, now);
            }
            w.WriteEndArray();
        });
    }

    private static Task Retrieve(HttpContext http) => RetrieveAsync(http, Registry(http));

    /// <summary>GET of one subscription of <paramref name="registry"/>.</summary>
    internal static async Task RetrieveAsync(HttpContext http, SubscriptionRegistry registry)
    {
        NgsiLdHttp.CheckParameters(http, RetrieveParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: false);
        var context = await Api(http).ContextAsync(http);
        var sysAttrs = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), null).SysAttrs;
        await EnsureTenantAsync(http, tenant);
        var entry = registry.Find(tenant, id) ?? throw NotFound(id);
        var now = registry.Time.GetUtcNow();
        await WriteAsync(http, media, context, w => WriteOne(w, entry, context, media, sysAttrs, now));
    }

    internal static void WriteOne(Utf8JsonWriter w, SubscriptionEntry entry, JsonLdContext context, ResponseMediaType media, bool sysAttrs, DateTimeOffset now)
    {
        var s = entry.Definition;
        SubscriptionWriter.Write(w, s, entry.State, context.CompactIri, s.StatusAt(now), sysAttrs);
        if (media == ResponseMediaType.LdJson)
        {
            EntityRenderer.WriteContext(w, context);
        }
        w.WriteEndObject();
    }

    private static Task Update(HttpContext http) => UpdateAsync(http, Registry(http), forRegistrations: false, check: null);

    /// <summary>
    /// PATCH of one subscription of <paramref name="registry"/>; <paramref name="forRegistrations"/> parses it as a
    /// registration subscription (csf allowed), and <paramref name="check"/> may refuse the merged result.
    /// </summary>
    internal static async Task UpdateAsync(HttpContext http, SubscriptionRegistry registry, bool forRegistrations, Action<Subscription>? check)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var (json, context) = await Api(http).ReadObjectAsync(http, allowMergePatch: true);
        await EnsureTenantAsync(http, tenant);
        var entry = registry.Find(tenant, id) ?? throw NotFound(id);
        var fragment = (JsonObject)json!;
        if (fragment.Count(m => m.Key != "@context") == 0)
        {
            throw NgsiLdException.BadRequestData("The subscription fragment is empty.");
        }
        if (fragment["id"] is JsonValue fragmentId && fragmentId.GetValueKind() == JsonValueKind.String && fragmentId.GetValue<string>() != id)
        {
            throw NgsiLdException.BadRequestData($"The fragment's id differs from the subscription id {id}.");
        }
        await entry.UpdateGate.WaitAsync(http.RequestAborted);
        try
        {
            var current = entry.Definition;
            var merged = Merge(current, entry.State, fragment);
            var now = registry.Time.GetUtcNow();
            var newFilter = fragment.ContainsKey("q") || (forRegistrations && fragment.ContainsKey("csf"));
            var qContext = newFilter ? context : current.QContext ?? current.Context;
            var parsed = SubscriptionParser.Parse(merged, id,
                new SubscriptionParseSettings(context, qContext, now, CheckExpiresAt: fragment.ContainsKey("expiresAt"), ForRegistrations: forRegistrations));
            check?.Invoke(parsed);
            var updated = parsed with { Context = current.Context, CreatedAt = current.CreatedAt, ModifiedAt = now };
            updated = await registry.WithNotificationContextAsync(updated, entry.ContextLink, http.RequestAborted);
            await registry.UpdateAsync(entry, updated, http.RequestAborted);
        }
        finally
        {
            entry.UpdateGate.Release();
        }
        NgsiLdResponses.NoContent(http);
    }

    /// <summary>
    /// The current subscription (expanded names) with the fragment merged in (§5.8.2: members replaced, JSON null
    /// removes one; notification and endpoint merged member by member). The parser then expands the fragment's
    /// terms with the request's context while the stored expanded IRIs stay as they are.
    /// </summary>
    internal static JsonObject Merge(Subscription current, SubscriptionState state, JsonObject fragment)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            SubscriptionWriter.Write(w, current, null, static n => n, status: null, sysAttrs: false);
            w.WriteEndObject();
        }
        var merged = JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
        if (current.TriggerNames is null)
        {
            merged.Remove("notificationTrigger");
        }
        foreach (var (name, value) in fragment)
        {
            if (name == "@context")
            {
                continue;
            }
            if (value is null && name is "notification" or "type")
            {
                throw NgsiLdException.BadRequestData($"{name} is mandatory; it cannot be removed.");
            }
            if (name == "notification" && value is JsonObject notification && merged["notification"] is JsonObject existing)
            {
                MergeMembers(existing, notification, nested: "endpoint");
                continue;
            }
            merged[name] = value?.DeepClone();
        }
        return merged;
    }

    private static void MergeMembers(JsonObject target, JsonObject fragment, string? nested)
    {
        foreach (var (name, value) in fragment)
        {
            if (name == nested && value is JsonObject inner && target[name] is JsonObject existing)
            {
                MergeMembers(existing, inner, nested: null);
                continue;
            }
            if (value is null && name == "endpoint")
            {
                throw NgsiLdException.BadRequestData("notification.endpoint is mandatory; it cannot be removed.");
            }
            // Choosing one of attributes / pick+omit replaces the other (they are exclusive).
            if (name == "attributes" && value is not null)
            {
                target.Remove("pick");
                target.Remove("omit");
            }
            if (name is "pick" or "omit" && value is not null)
            {
                target.Remove("attributes");
            }
            target[name] = value?.DeepClone();
        }
    }

    private static async Task Delete(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        await EnsureTenantAsync(http, tenant);
        _ = await Registry(http).DeleteAsync(tenant, id, http.RequestAborted) ?? throw NotFound(id);
        NgsiLdResponses.NoContent(http);
    }

    private static NgsiLdException NotFound(string id) => NgsiLdException.NotFound($"Subscription {id} does not exist.");

    internal static async Task EnsureTenantAsync(HttpContext http, string tenant)
    {
        if (tenant != Tenants.Default && !await http.RequestServices.GetRequiredService<IEntityStore>().TenantExistsAsync(tenant, http.RequestAborted))
        {
            throw NgsiLdException.NonexistentTenant(tenant);
        }
    }

    /// <summary>The absolute URL of a request's context (broker-hosted contexts get this broker's address).</summary>
    internal static string AbsoluteContextUrl(HttpContext http, JsonLdContext context)
    {
        var url = context.LinkUrl;
        return url.StartsWith('/') ? $"{http.Request.Scheme}://{http.Request.Host}{url}" : url;
    }

    internal static Task WriteAsync(HttpContext http, ResponseMediaType media, JsonLdContext context, Action<Utf8JsonWriter> write)
    {
        var contentType = media == ResponseMediaType.LdJson ? NgsiLdHttp.ApplicationLdJson : NgsiLdHttp.ApplicationJson;
        if (media == ResponseMediaType.Json)
        {
            http.Response.Headers.Append("Link", NgsiLdHttp.ContextLinkHeader(http, context));
        }
        return NgsiLdResponses.WriteJsonAsync(http, StatusCodes.Status200OK, contentType, write);
    }

}
