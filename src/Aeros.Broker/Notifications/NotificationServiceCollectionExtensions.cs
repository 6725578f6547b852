using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Notifications;

/// <summary>Registers notification delivery: the dispatcher, the HTTP and MQTT channels and their options.</summary>
public static class NotificationServiceCollectionExtensions
{
    /// <summary>
    /// Adds notification delivery with validated <see cref="NotificationOptions"/>, bound from the configuration
    /// section <see cref="NotificationOptions.SectionName"/> when the host has an <see cref="IConfiguration"/>.
    /// Services already registered (e.g. a replaced dispatcher) are kept.
    /// </summary>
    public static IServiceCollection AddAerosNotifications(this IServiceCollection services, Action<NotificationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<NotificationOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<NotificationOptions>, NotificationOptionsSetup>());
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, HttpNotificationChannel>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INotificationChannel, MqttNotificationChannel>());
        services.TryAddSingleton<NotificationDispatcher>();
        services.TryAddSingleton<INotificationDispatcher>(provider => provider.GetRequiredService<NotificationDispatcher>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NotificationDispatcherLifetime>());
        return services;
    }

    /// <summary>Binds the configuration section, if the host has configuration at all.</summary>
    private sealed class NotificationOptionsSetup(IServiceProvider provider) : IConfigureOptions<NotificationOptions>
    {
        public void Configure(NotificationOptions options)
        {
            provider.GetService<IConfiguration>()?.GetSection(NotificationOptions.SectionName).Bind(options);
        }
    }

    /// <summary>Drains and stops the dispatcher when the host stops.</summary>
    private sealed class NotificationDispatcherLifetime(NotificationDispatcher dispatcher) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => dispatcher.StopAsync(cancellationToken);
    }
}
