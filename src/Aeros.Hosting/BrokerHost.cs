using Aeros.Broker;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aeros.Hosting;

/// <summary>Builds a web host that serves the NGSI-LD broker.</summary>
public static class BrokerHost
{
    /// <summary>
    /// Creates the host serving the broker API at <c>/ngsi-ld/v1</c> on <paramref name="urls"/>
    /// (semicolon-separated, e.g. <c>http://127.0.0.1:9090</c>).
    /// </summary>
    public static WebApplication Create(string urls, Action<BrokerOptions> configure, string[]? args = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // A failed start (e.g. the port is taken) is reported by the caller in one line, not as a logged stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.AddAerosBroker(configure);
        var app = builder.Build();
        app.MapAerosBroker();
        return app;
    }
}
