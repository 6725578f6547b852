using Aeros.Continuum;
using Aeros.Orchestration.Federation;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Hlo;

/// <summary>
/// The HLO's <see cref="ContinuumClient"/> for the domain broker. Its URL is known only once the host listens when it is
/// not configured (the port may be 0), so users await it.
/// </summary>
internal sealed class HloBroker(
    IOptions<HloOptions> options,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILoggerFactory loggers,
    IHostApplicationLifetime? lifetime = null,
    IServer? server = null)
{
    /// <summary>The name of the <see cref="HttpClient"/> the HLO's broker client uses.</summary>
    public const string HttpClientName = "Aeros.Hlo.Broker";

    private readonly SemaphoreSlim _lock = new(1, 1);
    private ContinuumClient? _client;

    /// <summary>The broker client, once the broker's URL is known.</summary>
    public async Task<ContinuumClient> ClientAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is { } ready)
        {
            return ready;
        }
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_client is not null)
            {
                return _client;
            }
            var brokerUrl = options.Value.BrokerUrl;
            if (brokerUrl is null)
            {
                if (lifetime is null || server is null)
                {
                    throw new InvalidOperationException("The HLO runs outside a web host: set Hlo:BrokerUrl.");
                }
                // The server's addresses are known only once it listens (port 0 picks one).
                var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
                {
                    await started.Task.WaitAsync(cancellationToken);
                }
                brokerUrl = FederatorService.ListeningUrl(server);
            }
            var http = httpClients.CreateClient(HttpClientName);
            http.BaseAddress = brokerUrl;
            http.Timeout = Timeout.InfiniteTimeSpan;
            var client = new ContinuumClient(http, new ContinuumClientOptions
            {
                BrokerUrl = brokerUrl,
                MaxAttempts = 2,
                RequestTimeout = TimeSpan.FromSeconds(10),
            }, time, loggers.CreateLogger<ContinuumClient>());
            Volatile.Write(ref _client, client);
            return client;
        }
        finally
        {
            _lock.Release();
        }
    }
}
