using System.Text.Json.Nodes;

namespace Aeros.Agent.Tests.Cli;

/// <summary><c>aeros agent</c> as a user runs it: a child process.</summary>
[Trait("Category", "Slow")]
public sealed class AgentCommandTests
{
    [Fact]
    public async Task Agent_Started_SelfApiAnswersOnUrls()
    {
        var state = Path.Combine(Path.GetTempPath(), "aeros-agent-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var port = AerosProcess.FreePort();
            await using var agent = AerosProcess.Start("agent", "--broker", "http://127.0.0.1:9", "--domain", "cli", "--ie-id", "urn:ngsi-ld:InfrastructureElement:cli:n1",
                "--urls", $"http://127.0.0.1:{port}", "--state-dir", state);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            JsonNode? info = null;

            await TestDeadline.Until(async () =>
            {
                if (agent.HasExited)
                {
                    throw new InvalidOperationException("aeros agent exited:\n" + agent.Output);
                }
                try
                {
                    info = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/self/v1/info"));
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the agent's self-API answers", describe: () => Task.FromResult(agent.Output));

            Assert.Equal("urn:ngsi-ld:InfrastructureElement:cli:n1", info!["id"]!.GetValue<string>());
            Assert.Equal("cli", info["domain"]!.GetValue<string>());
            Assert.Equal("http://127.0.0.1:9/", info["broker"]!.GetValue<string>());
            Assert.Equal(Path.GetFullPath(state), info["stateDirectory"]!.GetValue<string>());
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics").Within("GET /metrics");
            Assert.Contains("aeros_agent_info{ie_id=\"urn:ngsi-ld:InfrastructureElement:cli:n1\"", metrics, StringComparison.Ordinal);
            Assert.Contains($"listening at http://127.0.0.1:{port}", agent.Output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(state, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task Agent_FromConfigFile_UsesItsSettings()
    {
        var dir = Path.Combine(Path.GetTempPath(), "aeros-agent-cfg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var port = AerosProcess.FreePort();
            var config = Path.Combine(dir, "agent.yaml");
            await File.WriteAllTextAsync(config, $"""
                broker: http://127.0.0.1:9
                domain: yaml
                urls: http://127.0.0.1:{port}
                stateDirectory: {Path.Combine(dir, "state")}
                tier: FarEdge
                samplingPeriod: 00:00:02
                weights:
                  broker: 0
                """);
            await using var agent = AerosProcess.Start("agent", "--config", config);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            JsonNode? body = null;

            await TestDeadline.Until(async () =>
            {
                if (agent.HasExited)
                {
                    throw new InvalidOperationException("aeros agent exited:\n" + agent.Output);
                }
                try
                {
                    body = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/self/v1/config"));
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the agent's self-API answers", describe: () => Task.FromResult(agent.Output));

            Assert.Equal("FarEdge", body!["tier"]!.GetValue<string>());
            Assert.Equal(2, body["samplingPeriod"]!.GetValue<double>());
            Assert.Equal(0, body["weights"]!["broker"]!.GetValue<double>());
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task Agent_NoBrokerNoDomain_ExitsTwoListingBoth()
    {
        var (code, output) = await AerosProcess.RunAsync("agent");

        Assert.Equal(2, code);
        Assert.Contains("[err] aeros agent: --broker is required (or 'broker:' in --config).", output, StringComparison.Ordinal);
        Assert.Contains("[err] aeros agent: --domain is required (or 'domain:' in --config).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentExecutable_NoBrokerNoDomain_ExitsTwoListingBothUnderItsOwnName()
    {
        await using var process = AerosProcess.StartProgram(AerosProcess.AerosAgentDll, null);
        await process.WaitForExitAsync("running aeros-agent without options");

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("[err] aeros-agent: --broker is required (or 'broker:' in --config).", process.Output, StringComparison.Ordinal);
        Assert.Contains("[err] aeros-agent: --domain is required (or 'domain:' in --config).", process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentExecutable_HttpsOrHostNameUrls_ExitsThreeListingBoth()
    {
        var state = Path.Combine(Path.GetTempPath(), "aeros-agent-urls-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var process = AerosProcess.StartProgram(AerosProcess.AerosAgentDll, null,
                "--broker", "http://127.0.0.1:9", "--domain", "d", "--state-dir", state, "--urls", "https://127.0.0.1:0;http://node.example:9100");
            await process.WaitForExitAsync("running aeros-agent with urls its own server cannot serve");

            Assert.Equal(3, process.ExitCode);
            Assert.Contains("[err] aeros-agent: invalid configuration:", process.Output, StringComparison.Ordinal);
            Assert.Contains("plain http only", process.Output, StringComparison.Ordinal);
            Assert.Contains("the host must be an IP address", process.Output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
    }

    [Fact]
    public async Task AgentExecutable_Help_ListsTheAgentOptions()
    {
        await using var process = AerosProcess.StartProgram(AerosProcess.AerosAgentDll, null, "--help");
        await process.WaitForExitAsync("running aeros-agent --help");

        Assert.Equal(0, process.ExitCode);
        foreach (var option in new[] { "--broker", "--domain", "--ie-id", "--urls", "--config", "--state-dir" })
        {
            Assert.Contains(option, process.Output, StringComparison.Ordinal);
        }
        Assert.Contains("InfrastructureElement", process.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--broker", "ftp://x")]
    [InlineData("--domain", "a b")]
    [InlineData("--ie-id", "node-1")]
    [InlineData("--urls", "127.0.0.1:9100")]
    public async Task Agent_BadOptionValue_ExitsTwo(string option, string value)
    {
        var args = new List<string> { "agent", "--broker", "http://127.0.0.1:9", "--domain", "d" };
        var index = args.IndexOf(option);
        if (index >= 0)
        {
            args[index + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }

        var (code, output) = await AerosProcess.RunAsync([.. args]);

        Assert.Equal(2, code);
        Assert.Contains($"[err] aeros agent: {option} '{value}'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_MissingConfigFile_ExitsThree()
    {
        var (code, output) = await AerosProcess.RunAsync("agent", "--config", "/nonexistent/agent.yaml");

        Assert.Equal(3, code);
        Assert.Contains("[err] aeros agent: cannot read /nonexistent/agent.yaml", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_InvalidSettingInConfig_ExitsThreeListingEveryError()
    {
        var dir = Path.Combine(Path.GetTempPath(), "aeros-agent-bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var config = Path.Combine(dir, "agent.yaml");
            await File.WriteAllTextAsync(config, $"""
                broker: http://127.0.0.1:9
                domain: d
                urls: http://127.0.0.1:{AerosProcess.FreePort()}
                stateDirectory: {Path.Combine(dir, "state")}
                tier: Moon
                maxWatts: 1
                idleWatts: 5
                """);

            var (code, output) = await AerosProcess.RunAsync("agent", "--config", config);

            Assert.Equal(3, code);
            Assert.Contains("aeros agent: invalid configuration:", output, StringComparison.Ordinal);
            Assert.Contains("Agent tier 'Moon' is not one of", output, StringComparison.Ordinal);
            Assert.Contains("Agent max watts must be above 0 and not below idle watts", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Agent_Help_DescribesEveryOption()
    {
        var (code, output) = await AerosProcess.RunAsync("agent", "--help");

        Assert.Equal(0, code);
        foreach (var option in new[] { "--broker", "--domain", "--ie-id", "--urls", "--config", "--state-dir" })
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }
    }
}
