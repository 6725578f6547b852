using Aeros.Broker.Notifications;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Tests.Notifications;

public sealed class NotificationOptionsTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var result = new NotificationOptionsValidator().Validate(null, new NotificationOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_EveryValueWrong_ListsEveryError()
    {
        var options = new NotificationOptions
        {
            QueueCapacity = 0,
            MaxAttempts = 0,
            InitialBackoff = TimeSpan.Zero,
            MaxBackoff = TimeSpan.FromMilliseconds(-1),
            Timeout = TimeSpan.Zero,
            MaxConcurrency = 0,
            DrainTime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 0,
        };

        var result = new NotificationOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(8, result.Failures!.Count());
    }

    [Fact]
    public void AddAerosNotifications_ConfigurationSection_IsBound()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Broker:Notifications:QueueCapacity"] = "42",
            ["Broker:Notifications:MaxAttempts"] = "5",
            ["Broker:Notifications:Timeout"] = "00:00:07",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddAerosNotifications();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<NotificationOptions>>().Value;

        Assert.Equal(42, options.QueueCapacity);
        Assert.Equal(5, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(7), options.Timeout);
        Assert.Equal(NotificationOptions.DefaultMaxConcurrency, options.MaxConcurrency);
    }

    [Fact]
    public void AddAerosNotifications_InvalidOptions_FailOnResolve()
    {
        using var provider = Notify.Services(options => options.QueueCapacity = -1);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<NotificationOptions>>().Value);

        Assert.Contains("queue capacity", error.Message);
    }
}
