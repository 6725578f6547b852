using System.Net;
using System.Net.Sockets;
using Aeros.Broker.Tests.TestSupport;

namespace Aeros.Broker.Tests.Cli;

/// <summary>The real <c>aeros</c> command line, run as a child process: help, bad usage, start and stop.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "aeros-cli-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void AerosDll_IsNextToTheTestAssembly()
    {
        Assert.True(File.Exists(BrokerProcess.AerosDll), $"{BrokerProcess.AerosDll} is missing");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Root_Help_ExitsZeroAndListsCommands()
    {
        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("--help");

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("broker", stdout);
        Assert.Contains("Run the NGSI-LD context broker alone", stdout);
        Assert.Contains("up", stdout);
        Assert.Contains("Start a local continuum", stdout);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Broker_Help_ExplainsEveryOption()
    {
        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("broker", "--help");

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        var lines = stdout.Split('\n');
        AssertOptionExplained(lines, "--urls", "Where the broker listens");
        AssertOptionExplained(lines, "--store", "Storage engine");
        AssertOptionExplained(lines, "--postgres", "PostgreSQL connection string");
        AssertOptionExplained(lines, "--data", "Directory for the broker's data files");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Broker_PostgresWithoutConnectionString_ExitsWithBadConfigurationListingTheError()
    {
        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("broker", "--store", "postgres", "--urls", "http://127.0.0.1:0", "--data", _dataDirectory);

        Assert.True(exitCode != 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("invalid configuration", stderr);
        Assert.Contains("needs a connection string", stderr);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Up_Help_ExplainsEveryOption()
    {
        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("up", "--help");

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        var lines = stdout.Split('\n');
        AssertOptionExplained(lines, "--domains", "Number of domains");
        AssertOptionExplained(lines, "--ies-per-domain", "Number of agents");
        AssertOptionExplained(lines, "--base-port", "Port of domain1");
        AssertOptionExplained(lines, "--data", "Directory for the continuum's data");
        AssertOptionExplained(lines, "--timeout", "Seconds to wait");
        AssertOptionExplained(lines, "--no-security", "Run without security");
        Assert.DoesNotContain("Deprecated", stdout, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Broker_UnknownStore_ExitsNonZeroNamingTheChoices()
    {
        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("broker", "--store", "nosuch", "--data", _dataDirectory);

        Assert.True(exitCode != 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("'nosuch' not recognized", stderr);
        Assert.Contains("'sqlite'", stderr);
        Assert.False(Directory.Exists(_dataDirectory), "a rejected command line must not create the data directory");
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("0")]
    [InlineData("65536")]
    public async Task Up_PortOutOfRange_ExitsWithBadUsage(string port)
    {
        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("up", "--base-port", port, "--data", _dataDirectory);

        Assert.True(exitCode == 2, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("--base-port must be between 1 and 65535", stderr);
        Assert.DoesNotContain("   at ", stdout + stderr);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Up_NonNumericPort_ExitsNonZeroNamingTheOption()
    {
        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("up", "--base-port", "abc", "--data", _dataDirectory);

        Assert.True(exitCode != 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("'abc'", stderr);
        Assert.Contains("--base-port", stderr);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Up_NonNumericPort_ExitsWithBadUsage()
    {
        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("up", "--base-port", "abc", "--data", _dataDirectory);

        Assert.True(exitCode == 2, $"exit {exitCode}\n{stdout}\n{stderr}");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Broker_PortInUse_ExitsNonZeroWithClearMessage()
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;

        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("broker", "--urls", $"http://127.0.0.1:{port}", "--data", _dataDirectory);

        Assert.True(exitCode == 1, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains($"aeros broker: cannot start: Failed to bind to address http://127.0.0.1:{port}: address already in use.", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Broker_PortInUse_PrintsNoStackTrace()
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;

        var (exitCode, stdout, stderr) = await BrokerProcess.RunAsync("broker", "--urls", $"http://127.0.0.1:{port}", "--data", _dataDirectory);

        Assert.True(exitCode != 0, $"exit {exitCode}");
        Assert.DoesNotContain("   at ", stdout + stderr);
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Up_FreePort_ServesAndStopsOnSignal(string signal)
    {
        var port = BrokerProcess.FreePort();
        // About signals, not tokens: the broker is read without one.
        await using var up = BrokerProcess.Start(["up", "--domains", "1", "--ies-per-domain", "0", "--base-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", _dataDirectory, "--no-security"], new Uri($"http://127.0.0.1:{port}/"));

        await up.WaitUntilAnsweringAsync();
        await up.WaitForOutputAsync($"domain1 *  http://127.0.0.1:{port}/ngsi-ld/v1/", BrokerProcess.StartDeadline);
        using (var client = new HttpClient { BaseAddress = up.BaseAddress, Timeout = TimeSpan.FromSeconds(10) })
        using (var response = await client.GetAsync("/ngsi-ld/v1/types"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.True(File.Exists(Path.Combine(_dataDirectory, "domain1", "broker", "entities.db")), "the domain's store is not under --data");

        await up.SignalAsync(signal);
        await up.WaitForExitAsync(TimeSpan.FromSeconds(10), $"stopping on SIG{signal}");

        Assert.True(up.ExitCode == 0, $"exit {up.ExitCode} after SIG{signal}\n{up.Output}");
        Assert.False(Directory.Exists($"/proc/{up.Id}"), $"process {up.Id} is still there after SIG{signal}");
        using var probe = new TcpClient();
        var refused = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, port));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static void AssertOptionExplained(string[] helpLines, string option, string explanation)
    {
        var line = helpLines.FirstOrDefault(l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"{option} is not listed in:\n{string.Join('\n', helpLines)}");
        Assert.Contains(explanation, line);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
