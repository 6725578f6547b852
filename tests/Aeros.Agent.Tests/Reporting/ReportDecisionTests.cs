using Aeros.Agent.Diagnose;
using Aeros.Agent.Reporting;
using Aeros.Agent.Tests.Diagnose;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Tests.Reporting;

/// <summary>When a sample is a significant change, and what the entity built from it says.</summary>
public sealed class ReportDecisionTests
{
    private static readonly ReportingOptions Defaults = new();

    private static IeEntity.Reported Reported(double cpu = 10, double mem = 20, double? disk = 40, double score = 0.9, string status = "Ready", double power = 20) =>
        IeEntity.Reported.From(HealthCalculatorTests.Snapshot(cpu, mem, disk) with { CurrentPowerConsumption = power },
            new HealthReport(DateTimeOffset.UnixEpoch, score, status, [], []), "Podman");

    [Theory]
    [InlineData(14.9, 20, 40, 0.9, "Ready", 20)]
    [InlineData(5.1, 24.9, 41.9, 0.85, "Ready", 25.9)]
    public void SignificantChange_BelowEveryThreshold_IsNull(double cpu, double mem, double disk, double score, string status, double power) =>
        Assert.Null(Reported().SignificantChange(Reported(cpu, mem, disk, score, status, power), Defaults));

    [Theory]
    [InlineData(15, 20, 40, 0.9, "Ready", 20, "CPU")]
    [InlineData(10, 25, 40, 0.9, "Ready", 20, "RAM")]
    [InlineData(10, 20, 42, 0.9, "Ready", 20, "disk")]
    [InlineData(10, 20, 40, 0.79, "Ready", 20, "health band")]
    [InlineData(10, 20, 40, 0.9, "Overloaded", 20, "status")]
    [InlineData(10, 20, 40, 0.9, "Ready", 26, "power")]
    public void SignificantChange_OneThresholdReached_SaysWhich(double cpu, double mem, double disk, double score, string status, double power, string expected)
    {
        var why = Reported().SignificantChange(Reported(cpu, mem, disk, score, status, power), Defaults);

        Assert.NotNull(why);
        Assert.StartsWith(expected, why, StringComparison.Ordinal);
    }

    [Fact]
    public void SignificantChange_ConfiguredDelta_IsUsed() =>
        Assert.NotNull(Reported().SignificantChange(Reported(cpu: 11), new ReportingOptions { CpuDelta = 1 }));

    [Theory]
    [InlineData(0.29, 0)]
    [InlineData(0.3, 1)]
    [InlineData(0.6, 2)]
    [InlineData(0.8, 3)]
    [InlineData(1.0, 3)]
    public void HealthBand_Score_IsTheNumberOfEdgesBelow(double score, int band) => Assert.Equal(band, ReportingOptions.HealthBand(score));

    [Fact]
    public void Validate_BadOptions_ListsEveryError()
    {
        var result = new ReportingOptionsValidator().Validate(null, new ReportingOptions
        {
            MaxInterval = TimeSpan.Zero,
            HeartbeatPeriod = TimeSpan.FromMilliseconds(10),
            RequestTimeout = TimeSpan.FromHours(1),
            RetryInitialDelay = TimeSpan.FromSeconds(10),
            RetryMaxDelay = TimeSpan.FromSeconds(1),
            CpuDelta = -1,
            RamDelta = double.NaN,
            DiskDelta = 101,
            PowerDelta = 200,
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Equal(8, failures.Count);
        foreach (var name in new[] { "MaxInterval", "HeartbeatPeriod", "RequestTimeout", "RetryMaxDelay", "CpuDelta", "RamDelta", "DiskDelta", "PowerDelta" })
        {
            Assert.Contains(failures, f => f.Contains(name, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_Defaults_Succeed() => Assert.Equal(ValidateOptionsResult.Success, new ReportingOptionsValidator().Validate(null, new ReportingOptions()));

    [Fact]
    public void LowLevelOrchestratorId_Podman_IsTheDomainsPodmanLlo_ElseTheProcessLlo()
    {
        Assert.Equal("urn:ngsi-ld:LowLevelOrchestrator:d1:Podman", IeEntity.LowLevelOrchestratorId("d1", "Podman"));
        Assert.Equal("urn:ngsi-ld:LowLevelOrchestrator:d1:Process", IeEntity.LowLevelOrchestratorId("d1", null));
    }
}
