using System.Globalization;
using System.Text;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>A throughput target: at least <paramref name="MinPerSecond"/>, and optionally a share of the bare baseline.</summary>
internal sealed record Target(double MinPerSecond, double MinShareOfBaseline = 0)
{
    public bool IsMet(double perSecond, double baselinePerSecond) =>
        perSecond >= MinPerSecond && (MinShareOfBaseline <= 0 || perSecond >= MinShareOfBaseline * baselinePerSecond);

    public override string ToString() => MinShareOfBaseline > 0
        ? string.Create(CultureInfo.InvariantCulture, $"≥ {MinPerSecond:N0}/s and ≥ {MinShareOfBaseline * 100:0}% of bare")
        : string.Create(CultureInfo.InvariantCulture, $"≥ {MinPerSecond:N0}/s");
}

/// <summary>One measured phase.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Unit">Unit of the throughput: <c>req/s</c> or <c>entities/s</c>.</param>
/// <param name="Result">The measurements.</param>
/// <param name="Target">The target, if any.</param>
/// <param name="Note">Anything else worth knowing (e.g. result counts).</param>
internal sealed record PhaseResult(string Name, string Unit, LoadResult Result, Target? Target = null, string? Note = null);

/// <summary>The Markdown report: machine line, configuration, the phase table and notes.</summary>
internal sealed class Report(string machine, string configuration)
{
    private readonly List<PhaseResult> phases = [];
    private readonly List<string> notes = [];

    public PhaseResult? Baseline { get; set; }

    /// <summary>Why the run stopped early, if it did.</summary>
    public DriverException? Failure { get; set; }

    public void Add(PhaseResult phase) => phases.Add(phase);

    public void AddNote(string note) => notes.Add(note);

    public string ToMarkdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Aeros broker load").AppendLine();
        md.AppendLine(inv, $"- Machine: {machine}");
        md.AppendLine(inv, $"- Run: {configuration}").AppendLine();
        md.AppendLine("| Phase | Operations | Throughput | p50 ms | p99 ms | Errors | Target | vs bare |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---|---:|");
        var bare = Baseline?.Result.Throughput ?? 0;
        foreach (var p in phases)
        {
            var r = p.Result;
            var target = p.Target is null ? "" : $"{p.Target} — {(p.Target.IsMet(r.Throughput, bare) ? "met" : "**missed**")}";
            var ratio = bare > 0 ? Percent(r.Throughput / bare) : "n/a";
            md.AppendLine(inv,
                $"| {p.Name} | {r.Operations:N0}{(r.ReachedCount ? " (all)" : "")} | {r.Throughput:N0} {p.Unit} | {Ms(r.PercentileMs(50))} | {Ms(r.PercentileMs(99))} | {r.ErrorCount:N0} | {target} | {ratio} |");
        }
        md.AppendLine();
        if (phases.Any(p => p.Result.ReachedCount))
        {
            md.AppendLine("(all): the phase reached its count bound before its time bound.").AppendLine();
        }
        foreach (var p in phases)
        {
            if (p.Note is not null)
            {
                md.AppendLine(inv, $"- {p.Name}: {p.Note}");
            }
            foreach (var (key, error) in p.Result.Errors.OrderByDescending(e => e.Value.Count))
            {
                var sample = string.IsNullOrWhiteSpace(error.Sample) ? "" : $" — first: `{OneLine(error.Sample)}`";
                md.AppendLine(inv, $"- {p.Name}: {error.Count:N0} × {key}{sample}");
            }
        }
        foreach (var note in notes)
        {
            md.AppendLine(inv, $"- {note}");
        }
        if (Failure is not null)
        {
            md.AppendLine().AppendLine(inv, $"**Driver failure**: {Failure.Message}");
            if (!string.IsNullOrWhiteSpace(Failure.Output))
            {
                md.AppendLine().AppendLine("Server output (last lines):").AppendLine().AppendLine("```");
                md.AppendLine(Failure.Output.Replace("```", "` ` `", StringComparison.Ordinal)).AppendLine("```");
            }
        }
        return md.ToString();
    }

    public static string Ms(double ms) => double.IsNaN(ms) ? "–" : ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static string Percent(double share) => string.Create(CultureInfo.InvariantCulture, $"{share * 100:0}%");

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Replace('`', '\'');
        return line.Length > 200 ? line[..200] + "…" : line;
    }
}
