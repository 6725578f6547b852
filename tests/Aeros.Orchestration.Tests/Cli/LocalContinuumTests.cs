using Aeros.Cli.LocalContinuum;

namespace Aeros.Orchestration.Tests.Cli;

/// <summary>The layout, validation and state file of <c>aeros up</c>, without processes.</summary>
public sealed class LocalContinuumTests
{
    [Fact]
    public void Plan_TwoByThree_DocumentedPortsIdsAndFiles()
    {
        var layout = ContinuumLayout.Plan(new LocalContinuumOptions { Domains = 2, IesPerDomain = 3, BasePort = 9090, DataDirectory = "/tmp/x" });

        Assert.Equal(["domain1", "domain2"], layout.Domains.Select(d => d.Name));
        Assert.Equal([9090, 9091], layout.Domains.Select(d => d.Port));
        Assert.True(layout.Domains[0].Entrypoint);
        Assert.False(layout.Domains[1].Entrypoint);
        Assert.Equal([9190, 9191, 9192, 9193, 9194, 9195], layout.Agents.Select(a => a.Port));
        Assert.Equal("urn:ngsi-ld:InfrastructureElement:domain2:ie1", layout.Agents[3].IeId);
        Assert.Equal("domain2", layout.Agents[3].Domain);
        Assert.Equal("/tmp/x/agents/domain2-ie1", layout.Agents[3].StateDirectory);
        Assert.Equal("/tmp/x/logs/domain2-ie1.log", layout.Agents[3].LogFile);
        Assert.Equal("/tmp/x/domain1", layout.Domains[0].DataDirectory);
        Assert.Equal(new Uri("http://127.0.0.1:9091/"), layout.Domains[1].Url);
        Assert.Equal(8, layout.Ports.Distinct().Count());
    }

    [Fact]
    public void Validate_EverythingWrong_ListsEveryError()
    {
        var errors = LocalContinuumOptionsValidator.Errors(new LocalContinuumOptions
        {
            Domains = 0, IesPerDomain = 33, BasePort = 70000, DataDirectory = " ", ReadyTimeout = TimeSpan.Zero,
        });

        Assert.Equal(5, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("--domains must be between 1 and 16", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--ies-per-domain must be between 0 and 32", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("--base-port must be between 1 and 65535", StringComparison.Ordinal));
        Assert.Contains("--data must not be empty.", errors);
        Assert.Contains("--timeout must be positive.", errors);
    }

    [Fact]
    public void Validate_LayoutAbove65535_NamesTheHighestPort()
    {
        var errors = LocalContinuumOptionsValidator.Errors(new LocalContinuumOptions { Domains = 2, IesPerDomain = 3, BasePort = 65430 });

        Assert.Empty(errors);
        var tooHigh = LocalContinuumOptionsValidator.Errors(new LocalContinuumOptions { Domains = 2, IesPerDomain = 3, BasePort = 65431 });
        Assert.Equal(["--base-port 65431 is too high: the layout needs ports up to 65536 (at most 65535)."], tooHigh);
    }

    [Fact]
    public void StateFile_WriteThenRead_RoundTripsAndDeleteRemovesIt()
    {
        var data = Path.Combine(Path.GetTempPath(), "aeros-state-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            var state = new ContinuumState(ContinuumState.CurrentVersion, 42, 7, DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture), data,
                [new ContinuumDomainState("domain1", "http://127.0.0.1:1/", "http://127.0.0.1:1/ngsi-ld/v1/", "http://127.0.0.1:1/federation/v1/", true, 43, null, "/d", "/d.log")],
                [new ContinuumAgentState("urn:ngsi-ld:InfrastructureElement:domain1:ie1", "domain1", "http://127.0.0.1:2/", 44, 9, "/s", "/s.log")]);

            ContinuumStateFile.Write(data, state);
            var read = ContinuumStateFile.Read(data);

            Assert.NotNull(read);
            Assert.Equal(state with { Domains = [], Agents = [] }, read with { Domains = [], Agents = [] });
            Assert.Equal(state.Domains, read.Domains);
            Assert.Equal(state.Agents, read.Agents);
            Assert.False(File.Exists(ContinuumStateFile.PathOf(data) + ".tmp"));
            ContinuumStateFile.Delete(data);
            Assert.Null(ContinuumStateFile.Read(data));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void StateFile_NotJson_ThrowsInvalidData()
    {
        var data = Path.Combine(Path.GetTempPath(), "aeros-state-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            File.WriteAllText(ContinuumStateFile.PathOf(data), "{not json");

            var e = Assert.Throws<InvalidDataException>(() => ContinuumStateFile.Read(data));
            Assert.Contains("is not a continuum state file", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void IsAlive_OwnProcessWithWrongStartTicks_IsFalse()
    {
        var ticks = ProcessControl.StartTicks(Environment.ProcessId);

        Assert.NotNull(ticks);
        Assert.True(ProcessControl.IsAlive(Environment.ProcessId, ticks));
        Assert.False(ProcessControl.IsAlive(Environment.ProcessId, ticks + 1));
        Assert.False(ProcessControl.IsAlive(0, null));
    }
}
