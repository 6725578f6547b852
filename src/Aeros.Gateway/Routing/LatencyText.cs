namespace Aeros.Gateway.Routing;

/// <summary>
/// The text of the latency headers: milliseconds with three decimals (<c>12.345</c>), rounded half up from the
/// clock's ticks. Integer arithmetic instead of formatting a <see cref="double"/> with <c>"F3"</c>, which showed in the
/// gateway's CPU profile (two headers on every response).
/// </summary>
internal static class LatencyText
{
    /// <summary><paramref name="elapsed"/> as milliseconds with three decimals; a negative span counts as zero.</summary>
    public static string Milliseconds(TimeSpan elapsed)
    {
        var micros = elapsed.Ticks <= 0 ? 0 : (elapsed.Ticks + (TimeSpan.TicksPerMicrosecond / 2)) / TimeSpan.TicksPerMicrosecond;
        var whole = micros / 1000;
        var fraction = (int)(micros % 1000);
        var digits = 1;
        for (var rest = whole / 10; rest > 0; rest /= 10)
        {
            digits++;
        }
        return string.Create(digits + 4, (whole, fraction), static (span, v) =>
        {
            var (whole, fraction) = v;
            // The whole milliseconds, right to left, then '.' and exactly three digits.
            var i = span.Length - 5;
            do
            {
                span[i--] = (char)('0' + (whole % 10));
                whole /= 10;
            }
            while (whole > 0);
            span[^4] = '.';
            span[^3] = (char)('0' + (fraction / 100));
            span[^2] = (char)('0' + (fraction / 10 % 10));
            span[^1] = (char)('0' + (fraction % 10));
        });
    }
}
