using Aeros.Broker.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Subscriptions;

/// <summary>Registers NGSI-LD subscriptions and change-driven/periodic notifications.</summary>
public static class SubscriptionServiceCollectionExtensions
{
    /// <summary>Configuration section bound to <see cref="SubscriptionOptions"/>.</summary>
    public const string Section = "Subscriptions";

    /// <summary>
    /// Adds the subscription registry, the matching engine and the hosted service that loads subscriptions at
    /// start (register after the entity store, whose initializer must run first). Notifications go to the
    /// <c>INotificationDispatcher</c> of the delivery module when one is registered.
    /// </summary>
    public static IServiceCollection AddAerosSubscriptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<SubscriptionOptions>().BindConfiguration(Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SubscriptionOptions>, SubscriptionOptionsValidator>());
        services.TryAddSingleton<SubscriptionRegistry>();
        services.TryAddSingleton<SubscriptionNotifier>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SubscriptionHostedService>());
        return services;
    }
}

/// <summary>
/// Loads the stored subscriptions at start, connects the matching engine to the store's change feed, flushes the
/// notification status members every few seconds, and at stop drains the matching queue and flushes once more.
/// </summary>
internal sealed partial class SubscriptionHostedService(
    SubscriptionRegistry registry,
    SubscriptionNotifier notifier,
    EntityChangeFeed feed,
    ResourceChangeFeed resources,
    IOptions<SubscriptionOptions> options,
    TimeProvider time,
    ILogger<SubscriptionHostedService> logger) : IHostedService
{
    private static readonly TimeSpan DrainDeadline = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _matching;
    private Task? _flushing;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await registry.LoadAsync(cancellationToken);
        resources.Subscribe(registry.Kind, registry.ApplyStoredChangeAsync);
        feed.Subscribe(notifier);
        _matching = Task.Run(() => notifier.RunAsync(_stopping.Token), CancellationToken.None);
        _flushing = Task.Run(() => FlushLoopAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        feed.Unsubscribe(notifier);
        notifier.StopTimers();
        notifier.Complete();
        if (_matching is not null)
        {
            // Queued changes still become notifications, within a deadline.
            try
            {
                await _matching.WaitAsync(DrainDeadline, cancellationToken);
            }
            catch (TimeoutException)
            {
                Log.DrainTimedOut(logger);
            }
        }
        await _stopping.CancelAsync();
        if (_flushing is not null)
        {
            await _flushing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        try
        {
            await registry.FlushStatsAsync(cancellationToken);
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
                await registry.FlushStatsAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                // A failed flush is retried at the next interval; the in-memory members stay the serving copy.
                Log.FlushFailed(logger, e);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3020, EventName = "SubscriptionDrainTimedOut", Level = LogLevel.Warning,
            Message = "Stopping: not every queued entity change was matched against the subscriptions in time.")]
        public static partial void DrainTimedOut(ILogger logger);

        [LoggerMessage(EventId = 3021, EventName = "SubscriptionStatsFlushFailed", Level = LogLevel.Warning,
            Message = "Writing the notification status members of subscriptions to the store failed.")]
        public static partial void FlushFailed(ILogger logger, Exception exception);
    }
}
