using Aeros.Broker.Distribution;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Registrations;

/// <summary>Registers context source registrations and distributed operations.</summary>
internal static class RegistrationServiceCollectionExtensions
{
    /// <summary>
    /// Adds the registration registry and service, the loader that reads stored registrations at start, the
    /// context source client and the distributed operations, and <see cref="DistributionOptions"/> bound from
    /// <c>Broker:Distribution</c> and validated at start. Call after the store is added (the loader needs it started).
    /// </summary>
    public static IServiceCollection AddAerosRegistrations(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<DistributionOptions>().BindConfiguration(DistributionOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DistributionOptions>, DistributionOptionsValidator>());
        services.TryAddSingleton<RegistrationRegistry>();
        services.TryAddSingleton<RegistrationService>();
        services.TryAddSingleton<SourceIdentity>();
        services.TryAddSingleton<ContextSourceClient>();
        services.TryAddSingleton<DistributedOperations>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RegistrationLoader>());
        return services;
    }

    /// <summary>Maps /csourceRegistrations and /info/sourceIdentity.</summary>
    public static IEndpointRouteBuilder MapAerosRegistrations(this IEndpointRouteBuilder api)
    {
        RegistrationEndpoints.Map(api);
        return api;
    }
}
