using System.Globalization;

namespace Aeros.Agent.Awareness;

/// <summary>
/// The node's power draw. Where <c>/sys/class/powercap/intel-rapl:N/energy_uj</c> is readable (Intel and AMD RAPL
/// package domains), power is the energy counter's increase over the elapsed time, summed over packages. Otherwise it
/// is the linear model <c>P = P_idle + (P_max − P_idle) × u</c> with <c>u</c> the CPU utilisation (0–1) and the configured
/// idle and maximum watts. The average is an exponential moving average with time constant τ:
/// <c>avg += (1 − e^(−Δt/τ)) × (P − avg)</c>.
/// </summary>
internal sealed class PowerMeter
{
    private readonly HostFiles _files;
    private readonly double _idleWatts;
    private readonly double _maxWatts;
    private readonly TimeSpan _averageWindow;
    private readonly List<(string Energy, double Range)> _zones = [];
    private long[]? _lastEnergy;
    private DateTimeOffset _lastTime;
    private double? _average;

    public PowerMeter(HostFiles files, double idleWatts, double maxWatts, TimeSpan averageWindow)
    {
        _files = files;
        _idleWatts = idleWatts;
        _maxWatts = maxWatts;
        _averageWindow = averageWindow;
        foreach (var zone in files.Glob("/sys/class/powercap", "intel-rapl:*"))
        {
            // Top-level zones are packages (intel-rapl:0); sub-zones (intel-rapl:0:0, cores/uncore/dram) are already in them.
            var name = zone[(zone.LastIndexOf('/') + 1)..];
            if (name.Count(c => c == ':') != 1 || ReadLong(zone + "/energy_uj") is null)
            {
                continue;
            }
            _zones.Add((zone + "/energy_uj", ReadLong(zone + "/max_energy_range_uj") ?? 0));
        }
    }

    /// <summary><c>rapl</c> when RAPL counters are readable, else <c>model</c>.</summary>
    public string Source => _zones.Count > 0 ? "rapl" : "model";

    /// <summary>The power now (W), its moving average (W) and the energy efficiency ratio (0–1).</summary>
    public (double Current, double Average, double EfficiencyRatio) Measure(DateTimeOffset now, double cpuUsagePct)
    {
        var current = _zones.Count > 0 ? MeasureRapl(now) ?? Model(cpuUsagePct) : Model(cpuUsagePct);
        var previous = _lastTime;
        _lastTime = now;
        if (_average is null || previous == default)
        {
            _average = current;
        }
        else
        {
            var dt = Math.Max(0, (now - previous).TotalSeconds);
            var alpha = 1 - Math.Exp(-dt / _averageWindow.TotalSeconds);
            _average += alpha * (current - _average.Value);
        }
        return (current, _average.Value, EfficiencyRatio(current, _idleWatts));
    }

    /// <summary>The linear power model for a CPU usage in percent.</summary>
    public static double LinearModel(double idleWatts, double maxWatts, double cpuUsagePct) =>
        idleWatts + ((maxWatts - idleWatts) * Math.Clamp(cpuUsagePct / 100, 0, 1));

    /// <summary>The share of <paramref name="watts"/> above the idle baseline: 0 when idle (all power is overhead), near 1 when busy.</summary>
    public static double EfficiencyRatio(double watts, double idleWatts) => watts <= 0 ? 0 : Math.Clamp((watts - idleWatts) / watts, 0, 1);

    private double Model(double cpuUsagePct) => LinearModel(_idleWatts, _maxWatts, cpuUsagePct);

    private double? MeasureRapl(DateTimeOffset now)
    {
        var energy = new long[_zones.Count];
        for (var i = 0; i < _zones.Count; i++)
        {
            if (ReadLong(_zones[i].Energy) is not { } value)
            {
                return null;
            }
            energy[i] = value;
        }
        var last = _lastEnergy;
        var lastTime = _lastTime;
        _lastEnergy = energy;
        if (last is null || lastTime == default || now <= lastTime)
        {
            return null;
        }
        double microjoules = 0;
        for (var i = 0; i < energy.Length; i++)
        {
            var delta = energy[i] - last[i];
            // The counter wraps at max_energy_range_uj.
            microjoules += delta >= 0 ? delta : delta + _zones[i].Range;
        }
        return microjoules / 1e6 / (now - lastTime).TotalSeconds;
    }

    private long? ReadLong(string path) =>
        _files.ReadText(path) is { } text && long.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
}
