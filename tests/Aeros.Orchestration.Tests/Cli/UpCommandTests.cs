using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Aeros.Cli.LocalContinuum;
using Aeros.Continuum.Security;
using Aeros.Security;

namespace Aeros.Orchestration.Tests.Cli;

/// <summary><c>aeros up</c>, <c>status</c> and <c>down</c> as a user runs them: real child processes on loopback.</summary>
[Trait("Category", "Slow")]
public sealed class UpCommandTests
{
    // A loaded 2-core machine starts several .NET hosts slowly: generous, and far below the test deadline.
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task Up_TwoDomainsTwoIes_ReadyFederatedListedAndDownStopsEveryChild()
    {
        // Security is on by default: status and down work with the state file's credential.
        await using var run = await UpRun.StartAsync(2, 2);
        await run.WaitUntilReadyAsync();

        var state = ContinuumStateFile.Read(run.Data);
        Assert.NotNull(state);
        Assert.NotNull(state.Security);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(ContinuumStateFile.PathOf(run.Data)));
        Assert.All(state.Domains, d => Assert.Equal(d.Name + "-host", d.Credential?.ClientId));
        Assert.All(state.Agents, a => Assert.NotNull(a.Credential));
        Assert.Contains($"--data-urlencode \"client_secret=$(jq -r .security.clientSecret {ContinuumStateFile.PathOf(run.Data)})\" {state.Security.TokenUrl}", run.Up.Output, StringComparison.Ordinal);
        Assert.Contains($"aeros login --url {run.Url(0).TrimEnd('/')} --client-id aeros-cli --data {run.Data}", run.Up.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(state.Security.ClientSecret, run.Up.Output, StringComparison.Ordinal);
        Assert.Equal(["domain1", "domain2"], state.Domains.Select(d => d.Name));
        Assert.Equal(4, state.Agents.Count);
        Assert.All(state.Domains, d => Assert.True(ProcessControl.IsAlive(d.Pid, d.StartTicks), $"{d.Name} pid {d.Pid} is not alive"));
        Assert.All(state.Agents, a => Assert.True(ProcessControl.IsAlive(a.Pid, a.StartTicks), $"{a.IeId} pid {a.Pid} is not alive"));

        var (code, output) = await AerosProcess.RunAsync("status", "--data", run.Data, "--output", "json");
        Assert.True(code == 0, output);
        var status = JsonNode.Parse(string.Join('\n', output.Split('\n').Where(l => l.StartsWith("[out] ", StringComparison.Ordinal)).Select(l => l[6..])))!;
        var domains = status["domains"]!.AsArray();
        Assert.Equal(2, domains.Count);
        Assert.All(domains, d => Assert.True((bool)d!["up"]!, d!.ToJsonString()));
        Assert.Equal(["domain2"], domains[0]!["federatedWith"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(run.Url(0) + "ngsi-ld/v1/", (string?)domains[0]!["brokerUrl"]);
        var ies = status["ies"]!.AsArray();
        Assert.Equal(state.Agents.Select(a => a.IeId), ies.Select(i => (string)i!["id"]!));
        Assert.All(ies, i => Assert.True((bool)i!["alive"]! && (int)i["pid"]! > 0 && i["status"] is not null, i!.ToJsonString()));

        // Every API is behind the gateway: no token, 401.
        using (var anonymous = new HttpClient { Timeout = TimeSpan.FromSeconds(20) })
        using (var refused = await anonymous.GetAsync(new Uri(run.Url(1) + "ngsi-ld/v1/types")).Within("reading domain2 without a token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // Federation: domain2's IE is visible through domain1's broker (a federated query), and in domain2's own.
        using var tokens = new ClientCredentialsTokenSource(new ClientCredentialsOptions
        {
            TokenUrl = new Uri(state.Security.TokenUrl),
            ClientId = state.Security.ClientId,
            ClientSecret = state.Security.ClientSecret,
        });
        using var http = new HttpClient(new BearerTokenHandler(tokens, new SocketsHttpHandler())) { Timeout = TimeSpan.FromSeconds(20) };
        var type = Uri.EscapeDataString("https://smartdatamodels.org/dataModel.IT/InfrastructureElement");
        var federated = JsonNode.Parse(await http.GetStringAsync(new Uri(run.Url(0) + "ngsi-ld/v1/entities?type=" + type)).Within("querying domain1"))!.AsArray();
        Assert.Contains("urn:ngsi-ld:InfrastructureElement:domain2:ie1", federated.Select(e => (string?)e!["id"]));
        using var own = await http.GetAsync(new Uri(run.Url(1) + "ngsi-ld/v1/entities/" + Uri.EscapeDataString("urn:ngsi-ld:InfrastructureElement:domain2:ie2") + "?local=true")).Within("reading domain2");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);

        // The printed curl line's request (client_secret_post through domain1's gateway) gives a token.
        using (var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = state.Security.ClientId, ["client_secret"] = state.Security.ClientSecret,
        }))
        using (var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(20) })
        using (var token = await plain.PostAsync(new Uri(state.Security.TokenUrl), form).Within("the curl line's token request"))
        {
            var body = await token.Content.ReadAsStringAsync();
            Assert.True(token.StatusCode == HttpStatusCode.OK, body);
            Assert.False(string.IsNullOrEmpty((string?)JsonNode.Parse(body)!["access_token"]), body);
        }

        // The printed 'aeros login' line stores the credential in another data directory; --url commands there use it.
        var other = UpRun.NewDataDirectory();
        try
        {
            await using (var login = AerosProcess.Start(new Dictionary<string, string> { ["AEROS_CLIENT_SECRET"] = state.Security.ClientSecret },
                "login", "--url", run.Url(0).TrimEnd('/'), "--client-id", state.Security.ClientId, "--data", other))
            {
                await login.WaitForExitAsync("aeros login");
                Assert.True(login.ExitCode == 0, login.Output);
            }
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(Path.Combine(other, "login.json")));
            var (urlCode, urlOutput) = await AerosProcess.RunAsync("status", "--url", run.Url(1), "--data", other, "--output", "json");
            Assert.True(urlCode == 0, urlOutput);
            var viaLogin = JsonNode.Parse(string.Join('\n', urlOutput.Split('\n').Where(l => l.StartsWith("[out] ", StringComparison.Ordinal)).Select(l => l[6..])))!;
            var asked = viaLogin["domains"]!.AsArray().Single(d => (string?)d!["url"] == run.Url(1))!;
            Assert.True((bool)asked["up"]!, urlOutput);
            Assert.Equal(["domain1"], asked["federatedWith"]!.AsArray().Select(n => (string)n!));
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }

        var (downCode, downOutput) = await AerosProcess.RunAsync("down", "--data", run.Data);
        Assert.True(downCode == 0, downOutput);
        Assert.Contains($"Stopped the local continuum on {run.Data}: aeros up (pid {state.UpPid}), 2 domain(s), 4 agent(s).", downOutput, StringComparison.Ordinal);
        await run.Up.WaitForExitAsync("aeros up stopping after aeros down");
        Assert.True(run.Up.ExitCode == 0, run.Up.Output);
        AssertAllGone(state);
        Assert.False(File.Exists(ContinuumStateFile.PathOf(run.Data)), "the state file is left after a clean stop");

        var (again, againOutput) = await AerosProcess.RunAsync("down", "--data", run.Data);
        Assert.Equal(0, again);
        Assert.Contains("No local continuum is running on", againOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_Sigterm_StopsEveryChildAndASecondUpOnTheSameDataIsRefused()
    {
        // Signals and the lock have nothing to do with tokens.
        await using var run = await UpRun.StartAsync(1, 1, security: false);
        await run.WaitUntilReadyAsync();
        var state = ContinuumStateFile.Read(run.Data)!;
        Assert.Null(state.Security);
        Assert.Contains("Security off (--no-security)", run.Up.Output, StringComparison.Ordinal);

        var (code, output) = await AerosProcess.RunAsync("up", "--domains", "1", "--ies-per-domain", "0", "--base-port", run.BasePort.ToString(CultureInfo.InvariantCulture), "--data", run.Data);
        Assert.Equal(1, code);
        Assert.Contains($"[err] aeros up: a continuum is already running on {run.Data} (aeros up, pid {state.UpPid})", output, StringComparison.Ordinal);

        Assert.True(ProcessControl.Signal(state.UpPid, ProcessControl.Sigterm));
        await run.Up.WaitForExitAsync("aeros up stopping on SIGTERM");

        Assert.True(run.Up.ExitCode == 0, run.Up.Output);
        Assert.Contains("Stopped 2 process(es).", run.Up.Output, StringComparison.Ordinal);
        AssertAllGone(state);
        Assert.False(File.Exists(ContinuumStateFile.PathOf(run.Data)));
    }

    [Fact]
    public async Task Up_PortTaken_OneLineErrorAndNothingStarted()
    {
        var basePort = UpRun.FreeBasePort(2, 1);
        using var occupier = new TcpListener(IPAddress.Loopback, basePort + 100 + 1);
        occupier.Start();
        var data = UpRun.NewDataDirectory();
        try
        {
            var (code, output) = await AerosProcess.RunAsync("up", "--domains", "2", "--ies-per-domain", "1", "--base-port", basePort.ToString(CultureInfo.InvariantCulture), "--data", data);

            Assert.Equal(1, code);
            var errors = output.Split('\n').Where(l => l.StartsWith("[err] ", StringComparison.Ordinal)).ToList();
            Assert.Equal([$"[err] aeros up: port {basePort + 101} on 127.0.0.1 (for agent urn:ngsi-ld:InfrastructureElement:domain2:ie1) is already in use; free it or choose another --base-port."], errors);
            Assert.False(Directory.Exists(Path.Combine(data, "logs")), "a child was started although a port was taken");
            await AssertRefusedAsync(basePort);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Up_AgentFailsAtStart_ExitsOneWithItsLogAndStopsTheDomain()
    {
        // Every agent child inherits an invalid setting and exits with 3 at start; the domain must not be left running.
        await using var run = await UpRun.StartAsync(1, 1, security: false, new Dictionary<string, string> { ["Agent__HistoryCapacity"] = "0" });

        await TestDeadline.Until(() => run.Up.HasExited, "aeros up fails", () => run.Up.Output, ReadyDeadline);
        await run.Up.WaitForExitAsync("aeros up failing");

        Assert.True(run.Up.ExitCode == 1, run.Up.Output);
        Assert.Contains("[err] aeros up: domain1-ie1 (pid ", run.Up.Output, StringComparison.Ordinal);
        Assert.Contains("exited with code 3 while starting; the end of ", run.Up.Output, StringComparison.Ordinal);
        Assert.Contains("history capacity must be between 1 and 100000", run.Up.Output, StringComparison.Ordinal);
        Assert.Contains("Stopped 1 process(es).", run.Up.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(ContinuumStateFile.PathOf(run.Data)));
        await AssertRefusedAsync(run.BasePort);
    }

    [Fact]
    public async Task Up_BadOptions_ExitsTwoListingEveryError()
    {
        var (code, output) = await AerosProcess.RunAsync("up", "--domains", "17", "--ies-per-domain", "-1", "--base-port", "0");

        Assert.Equal(2, code);
        Assert.Contains("[err] aeros up: --domains must be between 1 and 16 (was 17).", output, StringComparison.Ordinal);
        Assert.Contains("[err] aeros up: --ies-per-domain must be between 0 and 32 (was -1).", output, StringComparison.Ordinal);
        Assert.Contains("[err] aeros up: --base-port must be between 1 and 65535 (was 0).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_SecurityAndNoSecurity_ExitsTwoNamingTheContradiction()
    {
        var (code, output) = await AerosProcess.RunAsync("up", "--security", "--no-security", "--domains", "1", "--ies-per-domain", "0");

        Assert.Equal(2, code);
        Assert.Contains("[err] aeros up: --security and --no-security contradict each other", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_NothingRunning_ExitsOneWithClearMessage()
    {
        var data = UpRun.NewDataDirectory();
        try
        {
            var (code, output) = await AerosProcess.RunAsync("status", "--data", data, "--output", "json");

            Assert.Equal(1, code);
            Assert.Contains($"[err] aeros status: no local continuum is running on {data} (no continuum.json)", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    // The files that hold secrets are owner-only (the tests run on Linux; Windows has no such mode).
    private static UnixFileMode? ModeOf(string path) => OperatingSystem.IsWindows() ? null : File.GetUnixFileMode(path);

    private static void AssertAllGone(ContinuumState state)
    {
        foreach (var (name, pid, ticks) in state.Domains.Select(d => (d.Name, d.Pid, d.StartTicks)).Concat(state.Agents.Select(a => (a.IeId, a.Pid, a.StartTicks))))
        {
            Assert.False(ProcessControl.IsAlive(pid, ticks), $"{name} (pid {pid}) is still running");
        }
        Assert.False(ProcessControl.IsAlive(state.UpPid, state.UpStartTicks), $"aeros up (pid {state.UpPid}) is still running");
    }

    private static async Task AssertRefusedAsync(int port)
    {
        using var probe = new TcpClient();
        var refused = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    /// <summary>One <c>aeros up</c> on a fresh data directory and free ports; disposing kills it and anything its state file names.</summary>
    private sealed class UpRun : IAsyncDisposable
    {
        private UpRun(AerosProcess up, string data, int basePort)
        {
            Up = up;
            Data = data;
            BasePort = basePort;
        }

        public AerosProcess Up { get; }

        public string Data { get; }

        public int BasePort { get; }

        public string Url(int domainIndex) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{BasePort + domainIndex}/");

        /// <summary>Starts <c>aeros up</c>: with security (the default) unless <paramref name="security"/> is false (<c>--no-security</c>).</summary>
        public static Task<UpRun> StartAsync(int domains, int iesPerDomain, bool security = true, IReadOnlyDictionary<string, string>? environment = null)
        {
            var basePort = FreeBasePort(domains, iesPerDomain);
            var data = NewDataDirectory();
            var up = AerosProcess.Start(environment, ["up", "--domains", domains.ToString(CultureInfo.InvariantCulture),
                "--ies-per-domain", iesPerDomain.ToString(CultureInfo.InvariantCulture), "--base-port", basePort.ToString(CultureInfo.InvariantCulture),
                "--data", data, "--timeout", "120", .. security ? Array.Empty<string>() : ["--no-security"]]);
            return Task.FromResult(new UpRun(up, data, basePort));
        }

        // The last line printed when ready (after the table and the security lines), so assertions see all of them.
        public Task WaitUntilReadyAsync() => TestDeadline.Until(() => Up.Output.Contains("Press Ctrl-C (or run 'aeros down", StringComparison.Ordinal) || Up.HasExited,
            "aeros up reports ready", () => Up.Output, ReadyDeadline).ContinueWith(t =>
            {
                t.GetAwaiter().GetResult();
                Assert.False(Up.HasExited, "aeros up exited before it was ready:\n" + Up.Output);
                // The state file is written just before the table is printed.
                Assert.True(File.Exists(ContinuumStateFile.PathOf(Data)), "no state file after ready");
            }, TaskScheduler.Default);

        public static string NewDataDirectory()
        {
            var data = Path.Combine(Path.GetTempPath(), "aeros-up-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(data);
            return data;
        }

        /// <summary>A base port (below the ephemeral range, so other tests' port-0 listeners do not land in it) whose whole layout is free now.</summary>
        public static int FreeBasePort(int domains, int iesPerDomain)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var basePort = Random.Shared.Next(20_000, 30_000);
                var ports = Enumerable.Range(basePort, domains).Concat(Enumerable.Range(basePort + 100, domains * iesPerDomain));
                if (ports.All(IsFree))
                {
                    return basePort;
                }
            }
            throw new InvalidOperationException("no free block of ports between 20000 and 30100");
        }

        private static bool IsFree(int port)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            ContinuumState? state = null;
            try
            {
                state = ContinuumStateFile.Read(Data);
            }
            catch (InvalidDataException)
            {
            }
            // Killing the up's process tree also kills its children; the state file names any that escaped.
            await Up.DisposeAsync();
            foreach (var (pid, ticks) in (state?.Domains.Select(d => (d.Pid, d.StartTicks)) ?? []).Concat(state?.Agents.Select(a => (a.Pid, a.StartTicks)) ?? []))
            {
                if (ProcessControl.IsAlive(pid, ticks))
                {
                    ProcessControl.Signal(pid, ProcessControl.Sigkill);
                }
            }
            try
            {
                Directory.Delete(Data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
