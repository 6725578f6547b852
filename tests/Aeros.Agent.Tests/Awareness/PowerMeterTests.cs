using Aeros.Agent.Awareness;

namespace Aeros.Agent.Tests.Awareness;

public sealed class PowerMeterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 10)]
    [InlineData(50, 30)]
    [InlineData(100, 50)]
    [InlineData(150, 50)]
    public void LinearModel_CpuUsage_InterpolatesIdleToMax(double cpu, double watts) =>
        Assert.Equal(watts, PowerMeter.LinearModel(10, 50, cpu));

    [Fact]
    public void EfficiencyRatio_IdleAndBusy_ShareAboveIdle()
    {
        Assert.Equal(0, PowerMeter.EfficiencyRatio(10, 10));
        Assert.Equal(0.8, PowerMeter.EfficiencyRatio(50, 10), 10);
        Assert.Equal(0, PowerMeter.EfficiencyRatio(0, 10));
    }

    [Fact]
    public void Measure_RaplCounters_PowerFromEnergyDeltaWithWrap()
    {
        using var node = new FakeNode();
        node.Write("/sys/class/powercap/intel-rapl:0/energy_uj", "999000000\n")
            .Write("/sys/class/powercap/intel-rapl:0/max_energy_range_uj", "1000000000\n")
            .Write("/sys/class/powercap/intel-rapl:0:0/energy_uj", "5\n")
            .Write("/sys/class/powercap/intel-rapl:1/energy_uj", "0\n");
        var meter = new PowerMeter(node.Files, 10, 50, TimeSpan.FromSeconds(60));
        Assert.Equal("rapl", meter.Source);
        meter.Measure(T0, 0);

        // Package 0 wraps: 999 J -> 1000 J (range) -> 11 J = +12 J; package 1: +8 J; the sub-zone is not counted. 20 J in 2 s.
        node.Write("/sys/class/powercap/intel-rapl:0/energy_uj", "11000000\n")
            .Write("/sys/class/powercap/intel-rapl:0:0/energy_uj", "999999\n")
            .Write("/sys/class/powercap/intel-rapl:1/energy_uj", "8000000\n");
        var (current, _, ratio) = meter.Measure(T0.AddSeconds(2), 0);

        Assert.Equal(10, current, 6);
        Assert.Equal(0, ratio);
    }

    [Fact]
    public void Measure_NoRapl_ModelWithMovingAverage()
    {
        using var node = new FakeNode();
        var meter = new PowerMeter(node.Files, 10, 50, TimeSpan.FromSeconds(10));
        Assert.Equal("model", meter.Source);

        var first = meter.Measure(T0, 0);
        var second = meter.Measure(T0.AddSeconds(10), 100);

        Assert.Equal(10, first.Current);
        Assert.Equal(10, first.Average);
        Assert.Equal(50, second.Current);
        // avg = 10 + (1 - e^-1) * (50 - 10)
        Assert.Equal(10 + ((1 - Math.Exp(-1)) * 40), second.Average, 9);
    }
}
