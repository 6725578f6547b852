using Aeros.Continuum;
using Aeros.Orchestration.Federation;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// The LLO's view of where things are: its <see cref="ContinuumClient"/> for the domain broker and the notification URL.
/// Both are known only once the host listens when they are not configured (the port may be 0), so users await them.
/// </summary>
internal sealed class LloBroker(
    IOptions<LloOptions> options,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILoggerFactory loggers,
    IHostApplicationLifetime? lifetime = null,
    IServer? server = null)
{
    /// <summary>The name of the <see cref="HttpClient"/> the LLO's broker client uses.</summary>
    public const string HttpClientName = "Aeros.Llo.Broker";

    private readonly SemaphoreSlim _lock = new(1, 1);
    private ContinuumClient? _client;
    private Uri? _notifyUrl;

    /// <summary>The broker client, once the broker's URL is known.</summary>
    public async Task<ContinuumClient> ClientAsync(CancellationToken cancellationToken)
    {
        await ResolveAsync(cancellationToken);
        return _client!;
    }

    /// <summary>The URL the broker notifies the LLO at, once known.</summary>
    public async Task<Uri> NotifyUrlAsync(CancellationToken cancellationToken)
    {
        await ResolveAsync(cancellationToken);
        return _notifyUrl!;
    }

    private async Task ResolveAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is not null)
        {
            return;
        }
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_client is not null)
            {
                return;
            }
            var o = options.Value;
            Uri? own = null;
            if (o.BrokerUrl is null || o.NotifyUrl is null)
            {
                if (lifetime is null || server is null)
                {
                    throw new InvalidOperationException("The LLO runs outside a web host: set Llo:BrokerUrl and Llo:NotifyUrl.");
                }
                // The server's addresses are known only once it listens (port 0 picks one).
                var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
                {
                    await started.Task.WaitAsync(cancellationToken);
                }
                own = FederatorService.ListeningUrl(server);
            }
            var brokerUrl = o.BrokerUrl ?? own!;
            _notifyUrl = o.NotifyUrl ?? new Uri(new Uri(own!.ToString().TrimEnd('/') + "/"), "llo/v1/notify");
            var http = httpClients.CreateClient(HttpClientName);
            http.BaseAddress = brokerUrl;
            // The resilience pipeline bounds each attempt; a few quick attempts, then the reconcile's own backoff takes over.
            http.Timeout = Timeout.InfiniteTimeSpan;
            Volatile.Write(ref _client, new ContinuumClient(http, new ContinuumClientOptions
            {
                BrokerUrl = brokerUrl,
                MaxAttempts = 2,
                RequestTimeout = TimeSpan.FromSeconds(5),
            }, time, loggers.CreateLogger<ContinuumClient>()));
        }
        finally
        {
            _lock.Release();
        }
    }
}
