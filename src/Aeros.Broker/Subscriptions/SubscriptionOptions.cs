using Microsoft.Extensions.Options;

namespace Aeros.Broker.Subscriptions;

/// <summary>Options of subscriptions and notifications (configuration section <c>Subscriptions</c>).</summary>
public sealed class SubscriptionOptions
{
    /// <summary>Default number of committed units of work waiting to be matched before new ones are dropped.</summary>
    public const int DefaultChangeQueueCapacity = 65_536;

    /// <summary>Default seconds between two writes of the notification status members to the store.</summary>
    public const double DefaultStatsFlushSeconds = 5;

    /// <summary>Default largest number of entities one periodic notification carries.</summary>
    public const int DefaultMaxPeriodicEntities = 10_000;

    /// <summary>Committed units of work waiting to be matched; when full, new changes are dropped and counted.</summary>
    public int ChangeQueueCapacity { get; set; } = DefaultChangeQueueCapacity;

    /// <summary>How often the notification status members (timesSent, lastSuccess...) are written to the store.</summary>
    public TimeSpan StatsFlushInterval { get; set; } = TimeSpan.FromSeconds(DefaultStatsFlushSeconds);

    /// <summary>Largest number of entities one periodic (timeInterval) notification carries.</summary>
    public int MaxPeriodicEntities { get; set; } = DefaultMaxPeriodicEntities;
}

/// <summary>Validates <see cref="SubscriptionOptions"/>, listing every error.</summary>
internal sealed class SubscriptionOptionsValidator : IValidateOptions<SubscriptionOptions>
{
    public ValidateOptionsResult Validate(string? name, SubscriptionOptions options)
    {
        var errors = new List<string>();
        if (options.ChangeQueueCapacity < 16)
        {
            errors.Add("Subscriptions change queue capacity must be at least 16.");
        }
        if (options.StatsFlushInterval <= TimeSpan.Zero)
        {
            errors.Add("Subscriptions stats flush interval must be positive.");
        }
        if (options.MaxPeriodicEntities < 1)
        {
            errors.Add("Subscriptions maximum periodic entities must be at least 1.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
