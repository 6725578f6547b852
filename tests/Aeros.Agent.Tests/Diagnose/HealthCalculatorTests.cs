using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;

namespace Aeros.Agent.Tests.Diagnose;

public sealed class HealthCalculatorTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(60, 1)]
    [InlineData(80, 0.5)]
    [InlineData(100, 0)]
    [InlineData(120, 0)]
    public void Ramp_CpuDefaults_FallsLinearlyBetweenGoodAndBad(double x, double expected) =>
        Assert.Equal(expected, HealthCalculator.Ramp(x, 60, 100), 10);

    [Fact]
    public void Evaluate_IdleNodeBrokerUnknown_ScoreOneReadyBrokerLeftOut()
    {
        var report = HealthCalculator.Evaluate(Snapshot(), WorkloadCounts.None, BrokerReachability.Unknown, Config());

        Assert.Equal(1, report.Score);
        Assert.Equal("Ready", report.Status);
        Assert.Empty(report.Reasons);
        var broker = report.Factors.Single(f => f.Name == HealthFactors.Broker);
        Assert.Null(broker.Value);
        Assert.Equal(0, broker.EffectiveWeight);
        // The known factors' effective weights sum to 1: 0.25 / 0.9 for the CPU.
        Assert.Equal(Math.Round(0.25 / 0.9, 4), report.Factors.Single(f => f.Name == HealthFactors.Cpu).EffectiveWeight);
        Assert.Equal(1, report.Factors.Sum(f => f.EffectiveWeight), 3);
    }

    [Fact]
    public void Evaluate_CpuAt80_WeightedMeanOfFactors()
    {
        // CPU factor 0.5 (weight 0.25), everything else 1 (broker reachable): 1 - 0.25 * 0.5 / 1.0.
        var report = HealthCalculator.Evaluate(Snapshot(cpu: 80), WorkloadCounts.None, BrokerReachability.Reachable, Config());

        Assert.Equal(0.875, report.Score);
        Assert.Equal("Ready", report.Status);
        Assert.Equal(0.5, report.Factors.Single(f => f.Name == HealthFactors.Cpu).Value);
        Assert.Equal(80, report.Factors.Single(f => f.Name == HealthFactors.Cpu).Input);
    }

    [Theory]
    [InlineData(84, 0.5, 0.25 * 0.5)] // memory between 70 and 98
    [InlineData(70, 1, 0)]
    public void Evaluate_MemoryPressure_LowersMemoryFactor(double memPct, double factor, double loss)
    {
        var report = HealthCalculator.Evaluate(Snapshot(memPct: memPct), WorkloadCounts.None, BrokerReachability.Reachable, Config());

        Assert.Equal(factor, report.Factors.Single(f => f.Name == HealthFactors.Memory).Value);
        Assert.Equal(1 - loss, report.Score, 4);
    }

    [Fact]
    public void Evaluate_DiskAndNetwork_EachNormalised()
    {
        var report = HealthCalculator.Evaluate(Snapshot(diskPct: 89, lossPct: 2.5), WorkloadCounts.None, BrokerReachability.Reachable, Config());

        Assert.Equal(0.5, report.Factors.Single(f => f.Name == HealthFactors.Disk).Value);
        Assert.Equal(0.5, report.Factors.Single(f => f.Name == HealthFactors.Network).Value);
        Assert.Equal(1 - (0.15 * 0.5) - (0.10 * 0.5), report.Score, 4);
    }

    [Fact]
    public void Evaluate_UnknownDisk_LeftOutAndWeightsRenormalised()
    {
        var report = HealthCalculator.Evaluate(Snapshot(cpu: 80) with { CurrentDiskUsagePct = null }, WorkloadCounts.None, BrokerReachability.Reachable, Config());

        Assert.Null(report.Factors.Single(f => f.Name == HealthFactors.Disk).Value);
        Assert.Equal(Math.Round(1 - (0.25 * 0.5 / 0.85), 4), report.Score);
    }

    [Fact]
    public void Evaluate_QuarterOfWorkloadsFailing_WorkloadFactorHalf()
    {
        var report = HealthCalculator.Evaluate(Snapshot(), new WorkloadCounts(8, 6, 1, 1, 5), BrokerReachability.Reachable, Config());

        Assert.Equal(0.5, report.Factors.Single(f => f.Name == HealthFactors.Workloads).Value);
        Assert.Equal(25, report.Factors.Single(f => f.Name == HealthFactors.Workloads).Input);
        Assert.Equal(1 - (0.15 * 0.5), report.Score, 4);
    }

    [Fact]
    public void Evaluate_BrokerUnreachable_ZeroFactorCapsScore()
    {
        var report = HealthCalculator.Evaluate(Snapshot(), WorkloadCounts.None, BrokerReachability.Unreachable, Config());

        Assert.Equal(0, report.Factors.Single(f => f.Name == HealthFactors.Broker).Value);
        Assert.Equal(0.25, report.Score); // the mean would be 0.9
        Assert.Equal("Ready", report.Status); // the node itself is fine: the status looks at the score before the cap
        Assert.Contains(report.Reasons, r => r.Contains("factor broker is 0", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_BrokerUnreachableAndNodeLoaded_Overloaded()
    {
        var report = HealthCalculator.Evaluate(Snapshot(cpu: 89, memPct: 94.9, diskPct: 97, lossPct: 4), WorkloadCounts.None, BrokerReachability.Unreachable, Config());

        Assert.Equal(0, report.Factors.Single(f => f.Name == HealthFactors.Broker).Value);
        Assert.Equal("Overloaded", report.Status); // the score before the cap is below 0.3 too
    }

    [Fact]
    public void Evaluate_ZeroFactorWithWeightZero_NoCap()
    {
        var config = Config(c => c.Weights.Broker = 0);

        var report = HealthCalculator.Evaluate(Snapshot(), WorkloadCounts.None, BrokerReachability.Unreachable, config);

        Assert.Equal(1, report.Score);
        Assert.Equal("Ready", report.Status);
    }

    [Fact]
    public void Evaluate_CustomWeights_UsesThem()
    {
        // Only the CPU counts: the score is the CPU factor.
        var config = Config(c =>
        {
            c.Weights.Memory = 0;
            c.Weights.Disk = 0;
            c.Weights.Network = 0;
            c.Weights.Workloads = 0;
            c.Weights.Broker = 0;
            c.Weights.Cpu = 3;
        });

        var report = HealthCalculator.Evaluate(Snapshot(cpu: 90, memPct: 99), WorkloadCounts.None, BrokerReachability.Unknown, config);

        Assert.Equal(0.25, report.Score);
        Assert.Equal(1, report.Factors.Single(f => f.Name == HealthFactors.Cpu).EffectiveWeight);
    }

    [Theory]
    [InlineData(89.9, 10, "Ready")]
    [InlineData(90, 10, "Overloaded")]
    [InlineData(10, 95, "Overloaded")]
    [InlineData(10, 94.9, "Ready")]
    public void Evaluate_OverloadThresholds_Status(double cpu, double memPct, string status)
    {
        var report = HealthCalculator.Evaluate(Snapshot(cpu: cpu, memPct: memPct), WorkloadCounts.None, BrokerReachability.Reachable, Config());

        Assert.Equal(status, report.Status);
        Assert.Equal("urn:ngsi-ld:InfrastructureElementStatus:" + status, report.StatusUrn);
    }

    [Theory]
    [InlineData(null, 85, "Ready")]           // never overloaded: the overload threshold (90) applies
    [InlineData("Ready", 85, "Ready")]
    [InlineData("Overloaded", 85, "Overloaded")] // hysteresis: Ready again only below 90 - 10
    [InlineData("Overloaded", 80, "Overloaded")]
    [InlineData("Overloaded", 79.9, "Ready")]
    public void Evaluate_PreviousStatus_RecoveryNeedsTheMargin(string? previous, double cpu, string status)
    {
        var report = HealthCalculator.Evaluate(Snapshot(cpu: cpu), WorkloadCounts.None, BrokerReachability.Reachable, Config(), previous);

        Assert.Equal(status, report.Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Overloaded")] // no hysteresis either: 100 - recoveryMargin would keep a saturated node Overloaded
    public void Evaluate_OverloadThresholdsAt100AndSaturatedNode_Ready(string? previous)
    {
        var config = Config(c =>
        {
            c.Thresholds.OverloadCpu = 100;
            c.Thresholds.OverloadMemory = 100;
            c.Thresholds.OverloadScore = 0;
        });

        var report = HealthCalculator.Evaluate(Snapshot(cpu: 100, memPct: 100), WorkloadCounts.None, BrokerReachability.Reachable, config, previous);

        Assert.Equal("Ready", report.Status);
    }

    [Fact]
    public void Evaluate_PreviousOverloadedAndScoreJustAboveThreshold_StaysOverloaded()
    {
        // Only the CPU counts, so the score is the CPU factor: 0.35 is above overloadScore 0.3 but below 0.3 + 0.1.
        var config = Config(c =>
        {
            c.Weights.Memory = 0;
            c.Weights.Disk = 0;
            c.Weights.Network = 0;
            c.Weights.Workloads = 0;
            c.Weights.Broker = 0;
            c.Thresholds.OverloadCpu = 100;
        });

        var fresh = HealthCalculator.Evaluate(Snapshot(cpu: 86), WorkloadCounts.None, BrokerReachability.Reachable, config);
        var recovering = HealthCalculator.Evaluate(Snapshot(cpu: 86), WorkloadCounts.None, BrokerReachability.Reachable, config, "Overloaded");

        Assert.Equal(0.35, fresh.Score, 4);
        Assert.Equal("Ready", fresh.Status);
        Assert.Equal("Overloaded", recovering.Status);
    }

    [Fact]
    public void Evaluate_Maintenance_StatusMaintenance()
    {
        var report = HealthCalculator.Evaluate(Snapshot(cpu: 99), WorkloadCounts.None, BrokerReachability.Reachable, Config(c => c.Maintenance = true));

        Assert.Equal("Maintenance", report.Status);
    }

    [Fact]
    public void Evaluate_EverythingSaturated_ScoreClampedToZero()
    {
        var report = HealthCalculator.Evaluate(Snapshot(cpu: 100, memPct: 100, diskPct: 100, lossPct: 50), new WorkloadCounts(2, 0, 2, 0, 0),
            BrokerReachability.Unreachable, Config());

        Assert.Equal(0, report.Score);
        Assert.All(report.Factors, f => Assert.Equal(0, f.Value));
    }

    internal static AgentConfig Config(Action<AgentOptions>? change = null)
    {
        var options = new AgentOptions();
        change?.Invoke(options);
        return options.ToConfig();
    }

    internal static NodeSnapshot Snapshot(double cpu = 10, double memPct = 20, double? diskPct = 40, double lossPct = 0) => new(
        DateTimeOffset.UnixEpoch, "h", "10.0.0.2", "aa:bb:cc:dd:ee:ff", "eth0", "Test OS", "6.1", "AMD64", 4, 2400, cpu, 0.5,
        1000, 1000 * (1 - (memPct / 100)), 1000 * memPct / 100, memPct, 1000, 1000 - (10 * (diskPct ?? 0)), 10 * diskPct, diskPct,
        0, 0, null, 0, lossPct, false, false, null, "Edge", 20, 20, 0.5, "model");
}
