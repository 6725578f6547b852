using Aeros.Broker.Storage;
using Aeros.Broker.Registrations;
using Aeros.Broker.Subscriptions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.RegistrationSubscriptions;

/// <summary>Registers subscriptions to context source registrations (/csourceSubscriptions, §5.11).</summary>
internal static class RegistrationSubscriptionServiceCollectionExtensions
{
    /// <summary>
    /// Adds the registry, the notifier (an <see cref="IRegistrationObserver"/>) and the hosted service that loads
    /// the stored subscriptions at start and keeps their notification status members stored. Call after the store
    /// and the subscription options are added.
    /// </summary>
    public static IServiceCollection AddAerosRegistrationSubscriptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<RegistrationSubscriptionRegistry>();
        services.TryAddSingleton<RegistrationSubscriptionNotifier>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRegistrationObserver, RegistrationSubscriptionNotifier>(
            static sp => sp.GetRequiredService<RegistrationSubscriptionNotifier>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RegistrationSubscriptionHostedService>());
        return services;
    }

    /// <summary>Maps /csourceSubscriptions.</summary>
    public static IEndpointRouteBuilder MapAerosRegistrationSubscriptions(this IEndpointRouteBuilder api)
    {
        RegistrationSubscriptionEndpoints.Map(api);
        return api;
    }
}

/// <summary>
/// Loads the stored registration subscriptions at start, writes their notification status members every
/// <see cref="SubscriptionOptions.StatsFlushInterval"/>, and at stop ends the periodic timers and flushes once more.
/// </summary>
internal sealed partial class RegistrationSubscriptionHostedService(
    RegistrationSubscriptionRegistry registry,
    RegistrationSubscriptionNotifier notifier,
    ResourceChangeFeed resources,
    IOptions<SubscriptionOptions> options,
    TimeProvider time,
    ILogger<RegistrationSubscriptionHostedService> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _flushing;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await registry.Subscriptions.LoadAsync(cancellationToken);
        resources.Subscribe(registry.Subscriptions.Kind, registry.Subscriptions.ApplyStoredChangeAsync);
        _flushing = Task.Run(() => FlushLoopAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        notifier.StopTimers();
        await _stopping.CancelAsync();
        if (_flushing is not null)
        {
            await _flushing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        try
        {
            await registry.Subscriptions.FlushStatsAsync(cancellationToken);
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Log.FlushFailed(logger, e);
        }
        _stopping.Dispose();
    }

    private async Task FlushLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.StatsFlushInterval, time, cancellationToken);
                await registry.Subscriptions.FlushStatsAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                // Retried at the next interval; the in-memory members stay the serving copy.
                Log.FlushFailed(logger, e);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3210, EventName = "RegistrationSubscriptionStatsFlushFailed", Level = LogLevel.Warning,
            Message = "Writing the notification status members of registration subscriptions to the store failed.")]
        public static partial void FlushFailed(ILogger logger, Exception exception);
    }
}
