using Aeros.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Continuum.Security;

/// <summary>Registers a component's client credential and attaches its tokens to named HTTP clients.</summary>
public static class ClientCredentialsServiceCollectionExtensions
{
    /// <summary>
    /// Adds validated <see cref="ClientCredentialsOptions"/> (ValidateOnStart, every error listed) and, when a token
    /// endpoint is configured, one shared <see cref="IAccessTokenSource"/> (a <see cref="ClientCredentialsTokenSource"/>).
    /// Parts already registered are kept.
    /// </summary>
    public static IServiceCollection AddClientCredentials(this IServiceCollection services, Action<ClientCredentialsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ClientCredentialsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClientCredentialsOptions>, ClientCredentialsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAccessTokenSource>(sp => new ClientCredentialsTokenSource(
            sp.GetRequiredService<IOptions<ClientCredentialsOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<ClientCredentialsTokenSource>>()));
        return services;
    }

    /// <summary>
    /// Sends the registered credential's token (<see cref="AddClientCredentials"/>) with every request of this client,
    /// refetching once on a 401; when no token endpoint is configured, requests go out unchanged.
    /// </summary>
    public static IHttpClientBuilder AddClientCredentialsToken(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddHttpMessageHandler(sp => sp.GetRequiredService<IOptions<ClientCredentialsOptions>>().Value.IsEnabled
            ? new BearerTokenHandler(sp.GetRequiredService<IAccessTokenSource>())
            : new PassThroughHandler());
        return builder;
    }

    /// <summary>
    /// Like <see cref="AddClientCredentialsToken(IHttpClientBuilder)"/>, but the token goes only to the origins
    /// <paramref name="recipients"/> gives (read once, when the client's handler is built); requests elsewhere go out
    /// without it.
    /// </summary>
    public static IHttpClientBuilder AddClientCredentialsToken(this IHttpClientBuilder builder, Func<IServiceProvider, TokenRecipients> recipients)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(recipients);
        builder.AddHttpMessageHandler(sp => sp.GetRequiredService<IOptions<ClientCredentialsOptions>>().Value.IsEnabled
            ? new BearerTokenHandler(sp.GetRequiredService<IAccessTokenSource>(), recipients(sp))
            : new PassThroughHandler());
        return builder;
    }

    private sealed class PassThroughHandler : DelegatingHandler;
}
