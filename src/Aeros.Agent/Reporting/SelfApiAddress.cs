using Aeros.Agent.SelfApi.Transport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Reporting;

/// <summary>
/// The base URL of the agent's self-API the IE entity advertises (<c>selfApiUrl</c>), which the domain's LLO calls to
/// run workloads: <see cref="ReportingOptions.SelfApiUrl"/> when configured, else the first address the host really
/// listens at (known only once the server listens, so port 0 is resolved), a wildcard host replaced by 127.0.0.1.
/// The reporter sends it with the registration when it is known by then, else with the first report after it is.
/// </summary>
internal sealed class SelfApiAddress(IOptions<ReportingOptions> options, Func<string?>? listening = null, IHostApplicationLifetime? lifetime = null)
{
    private string? _resolved;

    /// <summary>
    /// The URL, or null while the host does not listen yet (hosted services start before Kestrel binds, and the bound
    /// port exists only after <c>ApplicationStarted</c>) or never will (no web server). Never waits.
    /// </summary>
    public string? Current
    {
        get
        {
            if (options.Value.SelfApiUrl is { } configured)
            {
                return configured.ToString().TrimEnd('/');
            }
            if (_resolved is { } known)
            {
                return known;
            }
            if (listening is null || (lifetime is not null && !lifetime.ApplicationStarted.IsCancellationRequested))
            {
                return null;
            }
            _resolved = Loopback(listening());
            return _resolved;
        }
    }

    /// <summary>
    /// The first address the agent's server listens at: the agent's own HTTP/1.1 server when the host runs it
    /// (<see cref="ISelfApiListener"/>), else an ASP.NET Core server's (Kestrel); null without a server.
    /// </summary>
    internal static Func<string?>? Listening(IServiceProvider services)
    {
        if (services.GetService<ISelfApiListener>() is { } own)
        {
            return () => own.Addresses.FirstOrDefault();
        }
        if (services.GetService<IServer>() is { } server)
        {
            return () => server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        }
        return null;
    }

    /// <summary><paramref name="address"/> with a wildcard host (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>) made a loopback one, without a trailing slash.</summary>
    internal static string? Loopback(string? address) => address?
        .Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
        .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
        .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
        .Replace("://[::]", "://[::1]", StringComparison.Ordinal)
        .TrimEnd('/');
}
