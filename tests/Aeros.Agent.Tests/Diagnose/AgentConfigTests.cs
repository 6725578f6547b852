using Aeros.Agent.Tests.Diagnose;

namespace Aeros.Agent.Tests.Diagnose;

public sealed class AgentConfigTests
{
    [Fact]
    public void Validate_Defaults_NoErrors() => Assert.Empty(HealthCalculatorTests.Config().Validate());

    [Fact]
    public void Validate_ManyBadFields_ListsEveryError()
    {
        var config = HealthCalculatorTests.Config(o =>
        {
            o.SamplingPeriod = TimeSpan.FromMilliseconds(10);
            o.Tier = "Moon";
            o.Location = new GeoLocation { Latitude = 91, Longitude = -181 };
            o.Weights.Cpu = -1;
            o.Thresholds.CpuGood = 90;
            o.Thresholds.CpuBad = 80;
            o.Thresholds.OverloadScore = 2;
        });

        var errors = config.Validate();

        Assert.Equal(7, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("samplingPeriod", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("tier 'Moon'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("location.latitude", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("location.longitude", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("weights.cpu", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("thresholds.cpuBad (80) must be above", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("thresholds.overloadScore", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_AllWeightsZero_Error()
    {
        var config = HealthCalculatorTests.Config(o => o.Weights = new HealthWeights { Cpu = 0, Memory = 0, Disk = 0, Network = 0, Workloads = 0, Broker = 0 });

        Assert.Equal(["weights must not all be 0."], config.Validate());
    }

    [Fact]
    public void OptionsValidator_MissingBrokerAndDomain_ListsBoth()
    {
        var result = new AgentOptionsValidator().Validate(null, new AgentOptions { HistoryCapacity = 0, MaxWatts = 1, IdleWatts = 5 });

        Assert.True(result.Failed);
        Assert.Equal(4, result.Failures!.Count());
    }

    [Theory]
    [InlineData(600, 32L * 1024 * 1024, null)]
    [InlineData(16_384, 32L * 1024 * 1024, null)]
    [InlineData(16_385, 32L * 1024 * 1024, 32L)]
    [InlineData(100_000, 32L * 1024 * 1024, 32L)]
    [InlineData(100_000, 24L * 1024 * 1024 * 1024, null)]
    public void HistoryNeedsMoreThanHalfTheHeap_CapacityAgainstLimit_RefusesOnlyWhatCannotFit(int capacity, long limit, long? expectedMiB)
    {
        Assert.Equal(expectedMiB, AgentOptionsValidator.HistoryNeedsMoreThanHalfTheHeap(capacity, limit));
    }
}
