using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Reporting;

/// <summary>
/// The base URL of the agent's self-API the IE entity advertises (<c>selfApiUrl</c>), which the domain's LLO calls to
/// run workloads: <see cref="ReportingOptions.SelfApiUrl"/> when configured, else the first address the host really
/// listens at (known only once the server listens, so port 0 is resolved), a wildcard host replaced by 127.0.0.1.
/// </summary>
internal sealed class SelfApiAddress(IOptions<ReportingOptions> options, IServer? server = null, IHostApplicationLifetime? lifetime = null)
{
    /// <summary>How long the first registration waits for the server to listen before going without the URL.</summary>
    internal static readonly TimeSpan StartWait = TimeSpan.FromSeconds(5);

    private string? _resolved;

    /// <summary>The URL, or null when the host does not listen (no web server, or not yet started within <see cref="StartWait"/>).</summary>
    public async Task<string?> GetAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        if (options.Value.SelfApiUrl is { } configured)
        {
            return configured.ToString().TrimEnd('/');
        }
        if (_resolved is { } known)
        {
            return known;
        }
        if (server is null)
        {
            return null;
        }
        if (lifetime is not null && !lifetime.ApplicationStarted.IsCancellationRequested)
        {
            // Hosted services start before Kestrel binds; the bound port exists only after ApplicationStarted.
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
            try
            {
                await started.Task.WaitAsync(StartWait, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
        _resolved = Loopback(server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault());
        return _resolved;
    }

    /// <summary><paramref name="address"/> with a wildcard host (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>) made a loopback one, without a trailing slash.</summary>
    internal static string? Loopback(string? address) => address?
        .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
        .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
        .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
        .Replace("://[::]", "://[::1]", StringComparison.Ordinal)
        .TrimEnd('/');
}
