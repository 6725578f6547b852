using System.Globalization;

namespace Aeros.Gateway.Routing;

/// <summary>
/// The text of the latency headers: milliseconds with three decimals (<c>12.345</c>), rounded half up from the
/// clock's ticks. Integers instead of formatting a <see cref="double"/> with <c>"F3"</c>, which showed in the gateway's
/// CPU profile (two headers on every response).
/// </summary>
internal static class LatencyText
{
    /// <summary><paramref name="elapsed"/> as milliseconds with three decimals; a negative span counts as zero.</summary>
    public static string Milliseconds(TimeSpan elapsed)
    {
        var micros = elapsed.Ticks <= 0 ? 0 : (elapsed.Ticks + (TimeSpan.TicksPerMicrosecond / 2)) / TimeSpan.TicksPerMicrosecond;
        // Two integers formatted (no double, no custom pattern): whole milliseconds, '.', exactly three digits.
        return string.Create(CultureInfo.InvariantCulture, $"{micros / 1000}.{micros % 1000:D3}");
    }
}
