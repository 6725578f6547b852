using System.Globalization;
using System.Text;

namespace Aeros.Cli.Client;

/// <summary>Output helpers the client commands share: one-line errors with their exit code, progress lines, plain tables.</summary>
internal static class ClientOutput
{
    /// <summary>The bound of one request to a domain host.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Writes <c>aeros COMMAND: message</c> to stderr and returns <paramref name="code"/>.</summary>
    public static async Task<int> ErrorAsync(string command, string message, int code)
    {
        await Console.Error.WriteLineAsync($"aeros {command}: {message}");
        return code;
    }

    /// <summary>Writes the failure to stderr; unreachable hosts and 404s get their own exit codes.</summary>
    public static Task<int> ErrorAsync(string command, HloClientException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return ErrorAsync(command, e.Message, e.Unreachable ? ClientExitCodes.Unreachable : e.Status == 404 ? ClientExitCodes.NotFound : ExitCodes.Failure);
    }

    /// <summary>One progress line of a component: elapsed, name, status, where, why.</summary>
    public static string Progress(TimeSpan elapsed, HloComponent c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"[{elapsed.TotalSeconds,6:0.0}s] {c.Name ?? c.Id}: {c.Status ?? "?"}");
        if (c.InfrastructureElement is { } ie)
        {
            line.Append(CultureInfo.InvariantCulture, $" on {ie}");
            if (c.Domain is { } d)
            {
                line.Append(CultureInfo.InvariantCulture, $" ({ShortDomain(d)})");
            }
        }
        if (c.Generation is > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $" gen {c.Generation}");
        }
        if (!string.IsNullOrEmpty(c.StatusReason))
        {
            line.Append(CultureInfo.InvariantCulture, $" - {c.StatusReason}");
        }
        if (c.Decision is { } decision && !string.IsNullOrEmpty(decision.Reason))
        {
            line.Append(CultureInfo.InvariantCulture, $" [{decision.Solver}: {decision.Reason}]");
        }
        return line.ToString();
    }

    /// <summary><c>urn:ngsi-ld:Domain:domain2</c> → <c>domain2</c>.</summary>
    public static string ShortDomain(string domain) =>
        domain.StartsWith("urn:ngsi-ld:Domain:", StringComparison.Ordinal) ? domain["urn:ngsi-ld:Domain:".Length..] : domain;

    /// <summary>A left-aligned text table: a header row, a rule, the rows.</summary>
    public static IEnumerable<string> Table(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => i < r.Count ? r[i].Length : 0))).ToArray();
        string Line(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
        yield return Line(headers);
        yield return Line(widths.Select(w => new string('-', w)).ToList());
        foreach (var row in rows)
        {
            yield return Line(row);
        }
    }
}
