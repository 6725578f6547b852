using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Aeros.Agent.Diagnose;
using Aeros.Agent.Metrics;
using Aeros.Agent.Tests.Cli;

namespace Aeros.Agent.Tests.SelfApi;

/// <summary><c>/metrics</c> parsed as Prometheus text format 0.0.4 by a strict little parser written here.</summary>
public abstract partial class PrometheusMetricsTests
{
    /// <summary>The server under test.</summary>
    protected abstract AgentHostKind Host { get; }

    [Fact]
    public async Task Metrics_Scrape_ValidExpositionWithNodeAndAerosFamilies()
    {
        await using var server = await AgentServer.StartAsync(Host);
        server.Inputs.Workloads = new WorkloadCounts(5, 3, 1, 1, 7);
        server.Inputs.Broker = BrokerReachability.Reachable;
        await SelfApiTests.WaitForSamplesAsync(server, 1);

        using var response = await server.Http.GetAsync("/metrics").Within("GET /metrics");
        var text = await response.Content.ReadAsStringAsync().Within("reading /metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var families = Parse(text);
        Assert.Equal("counter", families["node_cpu_seconds_total"].Type);
        Assert.Equal("gauge", families["node_memory_MemTotal_bytes"].Type);
        Assert.Equal("gauge", families["node_memory_MemAvailable_bytes"].Type);
        Assert.Equal("gauge", families["node_filesystem_size_bytes"].Type);
        Assert.Equal("gauge", families["node_filesystem_avail_bytes"].Type);
        Assert.Equal("counter", families["node_network_receive_bytes_total"].Type);
        Assert.Equal("counter", families["node_network_transmit_bytes_total"].Type);
        Assert.Equal("gauge", families["node_load1"].Type);
        Assert.Equal("gauge", families["aeros_health_score"].Type);
        Assert.Equal("gauge", families["aeros_health_factor"].Type);
        Assert.Equal("gauge", families["aeros_power_watts"].Type);
        Assert.Equal("gauge", families["aeros_agent_info"].Type);
        Assert.Equal("counter", families["aeros_workload_restarts_total"].Type);

        var cpus = File.ReadAllLines("/proc/stat").Count(l => l.Length > 3 && l.StartsWith("cpu", StringComparison.Ordinal) && char.IsDigit(l[3]));
        Assert.Equal(cpus * 8, families["node_cpu_seconds_total"].Samples.Count);
        Assert.Contains(families["node_cpu_seconds_total"].Samples, s => s.Labels == "cpu=\"0\",mode=\"idle\"" && s.Value > 0);
        var memTotal = long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        Assert.Equal(memTotal, families["node_memory_MemTotal_bytes"].Samples.Single().Value);
        Assert.Contains(families["node_network_receive_bytes_total"].Samples, s => s.Labels == "device=\"lo\"");
        Assert.Equal(6, families["aeros_health_factor"].Samples.Count);
        Assert.Contains(families["aeros_health_factor"].Samples, s => s.Labels == "factor=\"broker\"" && s.Value == 1);
        Assert.Equal(7, families["aeros_workload_restarts_total"].Samples.Single().Value);
        Assert.Contains(families["aeros_workloads"].Samples, s => s.Labels == "state=\"failed\"" && s.Value == 1);
        Assert.Contains("domain=\"test\"", families["aeros_agent_info"].Samples.Single().Labels, StringComparison.Ordinal);
        Assert.InRange(families["aeros_health_score"].Samples.Single().Value, 0, 1);
    }

    [Fact]
    public void Writer_LabelValues_Escaped()
    {
        var text = new PrometheusText().Family("x", "gauge", "help with \\ and\nnewline").Sample("x", 1.5, ("l", "a\"b\\c\nd")).ToString();

        Assert.Equal("# HELP x help with \\\\ and\\nnewline\n# TYPE x gauge\nx{l=\"a\\\"b\\\\c\\nd\"} 1.5\n", text);
        Assert.Single(Parse(text)["x"].Samples);
    }

    /// <summary>
    /// Parses the text format: every sample belongs to the family declared by the closest preceding TYPE line, each family
    /// has exactly one HELP and one TYPE before its samples, names and labels match the grammar, values are floats.
    /// </summary>
    private static Dictionary<string, Family> Parse(string text)
    {
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        Family? current = null;
        string? pendingHelp = null;
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var name = line[7..].Split(' ')[0];
                Assert.Matches(NamePattern(), name);
                Assert.False(families.ContainsKey(name), $"HELP for {name} twice");
                pendingHelp = name;
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                Assert.Equal(2, parts.Length);
                Assert.Equal(pendingHelp, parts[0]);
                Assert.Contains(parts[1], new[] { "counter", "gauge", "untyped", "summary", "histogram" });
                current = new Family(parts[1], []);
                families.Add(parts[0], current);
                pendingHelp = null;
                continue;
            }
            var match = SamplePattern().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            Assert.NotNull(current);
            Assert.True(families.TryGetValue(match.Groups["name"].Value, out var family) && ReferenceEquals(family, current), $"sample {line} outside its family");
            var value = match.Groups["value"].Value;
            Assert.True(double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || value is "NaN" or "+Inf" or "-Inf", $"bad value in {line}");
            current!.Samples.Add((match.Groups["labels"].Value, v));
        }
        return families;
    }

    private sealed record Family(string Type, List<(string Labels, double Value)> Samples);

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)\})? (?<value>\S+)$""")]
    private static partial Regex SamplePattern();
}

/// <summary><c>/metrics</c> on Kestrel.</summary>
public sealed class PrometheusMetricsOnKestrelTests : PrometheusMetricsTests
{
    protected override AgentHostKind Host => AgentHostKind.Kestrel;
}

/// <summary><c>/metrics</c> on the agent's own HTTP/1.1 server.</summary>
public sealed class PrometheusMetricsOnOwnServerTests : PrometheusMetricsTests
{
    protected override AgentHostKind Host => AgentHostKind.Own;
}
