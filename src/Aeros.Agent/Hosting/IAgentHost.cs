using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Hosting;

/// <summary>
/// A running IE agent, whichever server carries its self-API: Kestrel (<see cref="AgentHost.CreateKestrel"/>, what
/// <c>aeros agent</c> runs) or the agent's own HTTP/1.1 server (<see cref="AgentHost.CreateMinimal"/>, what the
/// NativeAOT <c>aeros-agent</c> runs). Same services, same self-API handlers.
/// </summary>
public interface IAgentHost : IAsyncDisposable
{
    /// <summary>The agent's services.</summary>
    IServiceProvider Services { get; }

    /// <summary>Where the self-API listens (port 0 resolved); empty before <see cref="StartAsync"/>.</summary>
    IReadOnlyList<string> Urls { get; }

    /// <summary>Validates the options, starts the agent's services and the server.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes when <paramref name="cancellationToken"/> fires or the agent stops itself (a failed service).</summary>
    Task WaitForShutdownAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops the server (requests in progress finish) and the agent's services.</summary>
    Task StopAsync(CancellationToken cancellationToken = default);
}

/// <summary>Creates an agent host: listening on <c>urls</c> (';'-separated), options from configuration, then <c>settings</c>, then <c>configure</c>.</summary>
public delegate IAgentHost AgentHostFactory(string urls, Action<AgentOptions> configure, IEnumerable<KeyValuePair<string, string?>>? settings, LogLevel agentLogLevel);
