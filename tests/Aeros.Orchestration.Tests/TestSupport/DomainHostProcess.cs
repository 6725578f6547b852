using System.Net;
using Aeros.Orchestration.Tests.Llo;

namespace Aeros.Orchestration.Tests.TestSupport;

/// <summary>A real <c>aeros domain</c> process for crash tests: started until a status URL answers, and cleaned up with its agents.</summary>
internal static class DomainHostProcess
{
    /// <summary>Settings of a domain host whose LLO resyncs, retries and checks elements fast (environment variables).</summary>
    public static readonly IReadOnlyDictionary<string, string> FastLlo = new Dictionary<string, string>
    {
        ["Llo__ResyncPeriod"] = "00:00:01",
        ["Llo__RetryBaseDelay"] = "00:00:00.1",
        ["Llo__RetryMaxDelay"] = "00:00:01",
        ["Llo__CheckPeriod"] = "00:00:00.2",
        // The agents wait out the domain host's death on their own backoff (up to 15 s): no element is judged before.
        ["Llo__RecoveryGrace"] = "00:00:20",
    };

    /// <summary>
    /// Starts <c>aeros domain</c> for <see cref="LloTestbed.Domain"/> on <paramref name="port"/> with <paramref name="data"/>
    /// and waits (60 s at most) until <paramref name="readyPath"/> (e.g. <c>llo/v1/status</c>) answers 200.
    /// </summary>
    public static async Task<AerosProcess> StartAsync(IReadOnlyDictionary<string, string> settings, int port, string data, string readyPath)
    {
        var host = AerosProcess.Start(settings, "domain", "--name", LloTestbed.Domain, "--urls", $"http://127.0.0.1:{port}", "--data", data);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        await TestDeadline.Until(async () =>
        {
            if (host.HasExited)
            {
                throw new InvalidOperationException("the domain host exited:\n" + host.Output);
            }
            try
            {
                using var response = await http.GetAsync(readyPath);
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the domain host answers", TimeSpan.FromSeconds(60));
        return host;
    }

    /// <summary>Stops the agents and the host (whatever the test reached) and deletes the data directory.</summary>
    public static async Task CleanUpAsync(IEnumerable<TestAgent> agents, AerosProcess? host, string data)
    {
        foreach (var agent in agents)
        {
            await agent.DisposeAsync();
        }
        if (host is not null)
        {
            await host.DisposeAsync();
        }
        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
