using Aeros.Agent.Workloads;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Tests.Workloads;

public sealed class WorkloadOptionsTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new WorkloadOptionsValidator().Validate(null, new WorkloadOptions()).Succeeded);
    }

    [Fact]
    public void Validate_EverythingWrong_ListsEveryError()
    {
        var options = new WorkloadOptions
        {
            StateDirectory = " ", PodmanPath = "", PodmanPullPolicy = "sometimes", PodmanCommandTimeout = TimeSpan.Zero,
            ContainerPollInterval = TimeSpan.FromDays(2), InitialBackoff = TimeSpan.FromSeconds(-1), StablePeriod = TimeSpan.Zero,
            StopTimeout = TimeSpan.Zero, MaxBackoff = TimeSpan.FromDays(3), CrashLoopThreshold = 0, LogFileMaxBytes = 10, LogFileCount = 0,
        };

        var result = new WorkloadOptionsValidator().Validate(null, options);

        Assert.Equal(12, result.Failures!.Count());
    }

    [Fact]
    public void AddWorkloads_FromConfiguration_BindsAndValidatesAtResolve()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StateDirectory"] = "/tmp/aeros-bind-test",
            ["InitialBackoff"] = "00:00:02",
            ["LogFileCount"] = "0",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddWorkloads(configuration).BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<WorkloadOptions>>().Value);

        Assert.Equal(["Workloads log file count must be between 1 and 100."], e.Failures);
    }
}
