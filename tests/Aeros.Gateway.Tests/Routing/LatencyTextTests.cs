using System.Globalization;
using Aeros.Gateway.Routing;

namespace Aeros.Gateway.Tests.Routing;

/// <summary>The latency headers' text: milliseconds with three decimals, rounded half up from the clock's ticks.</summary>
public sealed class LatencyTextTests
{
    [Theory]
    [InlineData(0L, "0.000")]
    [InlineData(4L, "0.000")]
    [InlineData(5L, "0.001")]
    [InlineData(9_994L, "0.999")]
    [InlineData(9_995L, "1.000")]
    [InlineData(10_000L, "1.000")]
    [InlineData(123_456L, "12.346")]
    [InlineData(1_000_000_000L, "100000.000")]
    [InlineData(-50_000L, "0.000")]
    public void Milliseconds_Ticks_ThreeDecimalsRoundedHalfUp(long ticks, string expected) =>
        Assert.Equal(expected, LatencyText.Milliseconds(TimeSpan.FromTicks(ticks)));

    [Fact]
    public void Milliseconds_ManySpans_SameTextAsDecimalFormatting()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var ticks = random.NextInt64(0, 100_000_000_000L >> (i % 30));
            var expected = Math.Round((decimal)ticks / TimeSpan.TicksPerMillisecond, 3, MidpointRounding.AwayFromZero)
                .ToString("0.000", CultureInfo.InvariantCulture);
            Assert.Equal(expected, LatencyText.Milliseconds(TimeSpan.FromTicks(ticks)));
        }
    }
}
