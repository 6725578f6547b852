using Aeros.Testing;
using Aeros.Broker.Notifications;
using Aeros.Hosting;
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

    [Fact]
    public async Task BrokerHost_NotificationSettings_AreBoundAndDispatcherRegistered()
    {
        var data = Path.Combine(Path.GetTempPath(), "aeros-test-" + Guid.NewGuid().ToString("N"));
        await using var app = BrokerHost.Create("http://127.0.0.1:0", options =>
        {
            options.DataDirectory = data;
            TestStore.Apply(options);
        },
            ["--Broker:Notifications:QueueCapacity=7", "--Broker:Notifications:DrainTime=00:00:00.5"]);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.StartAsync(cts.Token);

            var options = app.Services.GetRequiredService<IOptions<NotificationOptions>>().Value;
            Assert.Equal(7, options.QueueCapacity);
            Assert.Equal(TimeSpan.FromMilliseconds(500), options.DrainTime);
            Assert.IsType<NotificationDispatcher>(app.Services.GetRequiredService<INotificationDispatcher>());
            Assert.Equal(2, app.Services.GetServices<INotificationChannel>().Count());

            await app.StopAsync(cts.Token);
            var observer = new RecordingObserver();
            Assert.False(app.Services.GetRequiredService<INotificationDispatcher>().Enqueue("k", Notify.Message(new Uri("http://127.0.0.1:1/x")), observer));
            Assert.Equal(["shutting down"], observer.Drops);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task BrokerHost_InvalidNotificationSettings_FailAtStart()
    {
        var data = Path.Combine(Path.GetTempPath(), "aeros-test-" + Guid.NewGuid().ToString("N"));
        await using var app = BrokerHost.Create("http://127.0.0.1:0", options =>
        {
            options.DataDirectory = data;
            TestStore.Apply(options);
        },
            ["--Broker:Notifications:MaxAttempts=0"]);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(cts.Token));

            Assert.Contains("attempts", error.Message);
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }
}
