using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Entities;
using Aeros.Broker.Errors;
using Aeros.Broker.Subscriptions;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.RegistrationSubscriptions;

/// <summary>
/// The /csourceSubscriptions resource (§6.12, §6.13): create, query, retrieve, update, delete. The documents are
/// Subscriptions (§5.2.12) read, validated and written exactly as those of /subscriptions.
/// </summary>
internal static class RegistrationSubscriptionEndpoints
{
    private const string Path = "/ngsi-ld/v1/csourceSubscriptions/";
    private static readonly HashSet<string> NoParams = [];
    private static readonly HashSet<string> RetrieveParams = ["options"];
    private static readonly HashSet<string> ListParams = ["limit", "offset", "count", "options"];

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Post("/csourceSubscriptions", Create);
        api.Get("/csourceSubscriptions", List);
        api.Get("/csourceSubscriptions/{id}", Retrieve);
        api.Patch("/csourceSubscriptions/{id}", Update);
        api.Delete("/csourceSubscriptions/{id}", Delete);
    }

    private static NgsiLdApi Api(HttpContext http) => http.RequestServices.GetRequiredService<NgsiLdApi>();

    private static SubscriptionRegistry Registry(HttpContext http) =>
        http.RequestServices.GetRequiredService<RegistrationSubscriptionRegistry>().Subscriptions;

    private static RegistrationSubscriptionNotifier Notifier(HttpContext http) =>
        http.RequestServices.GetRequiredService<RegistrationSubscriptionNotifier>();

    private static async Task Create(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var (json, context) = await Api(http).ReadObjectAsync(http);
        var registry = Registry(http);
        var now = registry.Time.GetUtcNow();
        var parsed = SubscriptionParser.Parse((JsonObject)json!, "urn:ngsi-ld:Subscription:" + Guid.NewGuid(),
            new SubscriptionParseSettings(context, context, now, CheckExpiresAt: true, ForRegistrations: true));
        CheckRegistrationSubscription(parsed);
        var link = SubscriptionEndpoints.AbsoluteContextUrl(http, context);
        var subscription = await registry.WithNotificationContextAsync(parsed with { Context = context, CreatedAt = now, ModifiedAt = now }, link, http.RequestAborted);
        var entry = await registry.CreateAsync(tenant, subscription, link, http.RequestAborted);
        // §5.11.2: the registrations that match already are notified right away.
        Notifier(http).NotifyAllMatching(entry);
        NgsiLdResponses.Created(http, Path + subscription.Id);
    }

    /// <summary>What a Subscription may have but a registration subscription cannot use.</summary>
    private static void CheckRegistrationSubscription(Subscription s)
    {
        if (s.Notification.Endpoint.Accept == NgsiLdHttp.ApplicationGeoJson)
        {
            throw NgsiLdException.BadRequestData("endpoint.accept application/geo+json is not possible for context source notifications; use application/json or application/ld+json.");
        }
    }

    private static async Task List(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, ListParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: false);
        var context = await Api(http).ContextAsync(http);
        var sysAttrs = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), null).SysAttrs;
        await SubscriptionEndpoints.EnsureTenantAsync(http, tenant);
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
        var all = Registry(http).List(tenant);
        var page = all.Skip(offset).Take(limit).ToArray();
        if (count)
        {
            http.Response.Headers["NGSILD-Results-Count"] = all.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        NgsiLdResponses.AddPaginationLinks(http, limit, offset, page.Length, all.Length);
        var now = Registry(http).Time.GetUtcNow();
        await SubscriptionEndpoints.WriteAsync(http, media, context, w =>
        {
            w.WriteStartArray();
            foreach (var entry in page)
            {
                SubscriptionEndpoints.WriteOne(w, entry, context, media, sysAttrs, now);
            }
            w.WriteEndArray();
        });
    }

    private static async Task Retrieve(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, RetrieveParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: false);
        var context = await Api(http).ContextAsync(http);
        var sysAttrs = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), null).SysAttrs;
        await SubscriptionEndpoints.EnsureTenantAsync(http, tenant);
        var entry = Registry(http).Find(tenant, id) ?? throw NotFound(id);
        var now = Registry(http).Time.GetUtcNow();
        await SubscriptionEndpoints.WriteAsync(http, media, context, w => SubscriptionEndpoints.WriteOne(w, entry, context, media, sysAttrs, now));
    }

    private static async Task Update(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var (json, context) = await Api(http).ReadObjectAsync(http, allowMergePatch: true);
        await SubscriptionEndpoints.EnsureTenantAsync(http, tenant);
        var registry = Registry(http);
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
            var merged = SubscriptionEndpoints.Merge(current, entry.State, fragment);
            var now = registry.Time.GetUtcNow();
            var qContext = fragment.ContainsKey("q") || fragment.ContainsKey("csf") ? context : current.QContext ?? current.Context;
            var parsed = SubscriptionParser.Parse(merged, id,
                new SubscriptionParseSettings(context, qContext, now, CheckExpiresAt: fragment.ContainsKey("expiresAt"), ForRegistrations: true));
            CheckRegistrationSubscription(parsed);
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

    private static async Task Delete(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        await SubscriptionEndpoints.EnsureTenantAsync(http, tenant);
        _ = await Registry(http).DeleteAsync(tenant, id, http.RequestAborted) ?? throw NotFound(id);
        NgsiLdResponses.NoContent(http);
    }

    private static NgsiLdException NotFound(string id) => NgsiLdException.NotFound($"Subscription {id} does not exist.");
}
