using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Errors;
using Aeros.Broker.Subscriptions;
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

    private static Task List(HttpContext http) => SubscriptionEndpoints.ListAsync(http, Registry(http));

    private static Task Retrieve(HttpContext http) => SubscriptionEndpoints.RetrieveAsync(http, Registry(http));

    private static Task Update(HttpContext http) =>
        SubscriptionEndpoints.UpdateAsync(http, Registry(http), forRegistrations: true, CheckRegistrationSubscription);

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
