using Aeros.Broker.Api;
using Aeros.Broker.Contexts;
using Aeros.Broker.Discovery;
using Aeros.Broker.Entities;
using Aeros.Broker.Notifications;
using Aeros.Broker.Registrations;
using Aeros.Broker.Storage;
using Aeros.Broker.Subscriptions;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Aeros.Broker;

/// <summary>Registers the NGSI-LD broker module.</summary>
public static class BrokerServiceCollectionExtensions
{
    /// <summary>The API root of the NGSI-LD broker.</summary>
    public const string ApiRoot = "/ngsi-ld/v1";

    /// <summary>Adds the broker's services (store, entity operations, JSON-LD) and validated <see cref="BrokerOptions"/>.</summary>
    public static IServiceCollection AddAerosBroker(this IServiceCollection services, Action<BrokerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<BrokerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>, BrokerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddAerosJsonLd();
        services.AddOptions<JsonLdOptions>().Configure<IOptions<BrokerOptions>>((jsonLd, broker) =>
            jsonLd.DataDirectory ??= Path.Combine(broker.Value.DataDirectory, "contexts"));
        services.AddAerosEntityStore();
        services.AddAerosNotifications();
        services.TryAddSingleton<EntityService>();
        services.TryAddSingleton<NgsiLdApi>();
        services.AddAerosSubscriptions();
        services.AddAerosRegistrations();
        return services;
    }

    /// <summary>Maps the NGSI-LD API under <c>/ngsi-ld/v1</c>.</summary>
    public static IEndpointRouteBuilder MapAerosBroker(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.MapGroup(ApiRoot);
        EntityEndpoints.Map(api);
        BatchEndpoints.Map(api);
        DiscoveryEndpoints.Map(api);
        ContextEndpoints.Map(api);
        SubscriptionEndpoints.Map(api);
        api.MapAerosRegistrations();
        return endpoints;
    }
}
