using Aeros.Continuum;
using Aeros.Continuum.Security;
using Aeros.Security;
using Microsoft.Extensions.Logging;
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

    private readonly ClientCredentialsTokenSource? _tokens;

    public ReportingClient(IOptions<AgentOptions> agent, IOptions<ReportingOptions> reporting, TimeProvider time, ILogger<ClientCredentialsTokenSource>? tokenLogger = null)
    {
        var broker = agent.Value.Broker ?? throw new InvalidOperationException("The agent has no broker URL.");
        var timeout = reporting.Value.RequestTimeout;
        HttpMessageHandler handler = new SocketsHttpHandler { ConnectTimeout = timeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (agent.Value.Auth.IsEnabled)
        {
            // Security on: the broker sits behind the domain's gateway, which wants the agent's token.
            _tokens = new ClientCredentialsTokenSource(agent.Value.Auth, time, tokenLogger);
            handler = new BearerTokenHandler(_tokens, handler);
        }
        _http = new HttpClient(handler)
        {
            BaseAddress = broker,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        Client = new ContinuumClient(_http, new ContinuumClientOptions { BrokerUrl = broker, MaxAttempts = 1, RequestTimeout = timeout }, time);
    }

    public ContinuumClient Client { get; }

    public void Dispose()
    {
        _http.Dispose();
        _tokens?.Dispose();
    }
}
