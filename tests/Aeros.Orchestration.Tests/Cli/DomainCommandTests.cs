using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aeros.Orchestration.Tests.TestSupport;

namespace Aeros.Orchestration.Tests.Cli;

/// <summary><c>aeros domain</c> as a user runs it: a child process per command.</summary>
[Trait("Category", "Slow")]
public sealed class DomainCommandTests
{
    [Fact]
    public async Task Domain_NoName_ExitsTwoWithOneLine()
    {
        var (code, output) = await AerosProcess.RunAsync("domain");

        Assert.Equal(2, code);
        Assert.Contains("[err] aeros domain: --name is required (or 'name:' in --config).", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--name", "a b")]
    [InlineData("--peer", "ftp://x")]
    [InlineData("--public-url", "not-a-url")]
    public async Task Domain_BadOptionValue_ExitsTwo(string option, string value)
    {
        var args = option == "--name" ? new[] { "domain", option, value } : ["domain", "--name", "a", option, value];

        var (code, output) = await AerosProcess.RunAsync(args);

        Assert.Equal(2, code);
        Assert.Contains($"[err] aeros domain: {option} '{value}'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Domain_MissingConfigFile_ExitsThree()
    {
        var (code, output) = await AerosProcess.RunAsync("domain", "--config", "/nonexistent/domain.yaml");

        Assert.Equal(3, code);
        Assert.Contains("[err] aeros domain: cannot read /nonexistent/domain.yaml", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leave_UnreachableDomain_ExitsOne()
    {
        var port = AerosProcess.FreePort();

        var (code, output) = await AerosProcess.RunAsync("domain", "leave", "--url", $"http://127.0.0.1:{port}");

        Assert.Equal(1, code);
        Assert.Contains("[err] aeros domain leave: cannot reach", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Domain_TwoProcessesFromConfigAndOptions_JoinAndLeave()
    {
        var data = Path.Combine(Path.GetTempPath(), "aeros-fed-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            var portA = AerosProcess.FreePort();
            var portB = AerosProcess.FreePort();
            var config = Path.Combine(data, "b.yaml");
            await File.WriteAllTextAsync(config, $"""
                name: b
                urls: http://127.0.0.1:{portB}
                data: {Path.Combine(data, "b")}
                peers:
                  - http://127.0.0.1:{portA}
                owner: UPV
                federation:
                  resyncInterval: 00:00:01
                  retryBaseDelay: 00:00:00.200
                  retryMaxDelay: 00:00:01
                """);
            await using var a = AerosProcess.Start("domain", "--name", "a", "--urls", $"http://127.0.0.1:{portA}", "--data", Path.Combine(data, "a"), "--entrypoint");
            await using var b = AerosProcess.Start("domain", "--config", config);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

            await TestDeadline.Until(async () => await SyncedAsync(http, portB, "a") && await SyncedAsync(http, portA, "b"),
                "a and b are in sync", describe: () => Task.FromResult(a.Output + "\n" + b.Output));

            var (code, output) = await AerosProcess.RunAsync("domain", "leave", "--url", $"http://127.0.0.1:{portB}");
            Assert.True(code == 0, output);
            Assert.Contains("Domain 'b' left the continuum", output, StringComparison.Ordinal);
            Assert.Contains("a: registrations removed", output, StringComparison.Ordinal);
            using var registration = await http.GetAsync($"http://127.0.0.1:{portA}/ngsi-ld/v1/csourceRegistrations/urn:aerios:federation:b:infrastructure").Within("reading b's registration in a");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, registration.StatusCode);
            var status = await AerosProcess.RunAsync("domain", "status", "--url", $"http://127.0.0.1:{portB}");
            Assert.Equal(0, status.ExitCode);
            Assert.Contains("Domain 'b' (left)", status.Output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<bool> SyncedAsync(HttpClient http, int port, string other)
    {
        try
        {
            var state = await http.GetFromJsonAsync<JsonObject>($"http://127.0.0.1:{port}/federation/v1/domains");
            return state!["domains"]!.AsArray().Any(d => d!["name"]!.GetValue<string>() == other && d["state"]!.GetValue<string>() == "synced");
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
