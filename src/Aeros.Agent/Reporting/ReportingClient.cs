using Aeros.Continuum;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Reporting;

/// <summary>
/// The reporter's own <see cref="ContinuumClient"/>: one attempt per request, bounded by
/// <see cref="ReportingOptions.RequestTimeout"/> — the reporter retries itself, with a backoff that spans outages, and
/// logs an outage once instead of every attempt (so the client's own logs are not wired).
/// </summary>
internal sealed class ReportingClient : IDisposable
{
    private readonly HttpClient _http;

    public ReportingClient(IOptions<AgentOptions> agent, IOptions<ReportingOptions> reporting, TimeProvider time)
    {
        var broker = agent.Value.Broker ?? throw new InvalidOperationException("The agent has no broker URL.");
        var timeout = reporting.Value.RequestTimeout;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = timeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = broker,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        Client = new ContinuumClient(_http, new ContinuumClientOptions { BrokerUrl = broker, MaxAttempts = 1, RequestTimeout = timeout }, time);
    }

    public ContinuumClient Client { get; }

    public void Dispose() => _http.Dispose();
}
