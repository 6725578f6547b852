using Aeros.Iam;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aeros.Hosting;

/// <summary>Builds a web host that serves the identity provider alone (<c>aeros iam serve</c>).</summary>
public static class IamHost
{
    /// <summary>Configuration section bound to <see cref="IamOptions"/> (e.g. environment variable <c>Iam__AccessTokenLifetime</c>).</summary>
    public const string IamSection = "Iam";

    /// <summary>
    /// Creates the host serving the IAM under <c>/iam</c> on <paramref name="urls"/> (semicolon-separated). Options come
    /// from configuration (environment variables, section <see cref="IamSection"/>), then from <paramref name="configure"/>.
    /// </summary>
    public static WebApplication Create(string urls, Action<IamOptions> configure, string[]? args = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // EF Core logs each failed command with its SQL at Error; the IAM reports its own failures.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Critical);
        builder.Services.Configure<IamOptions>(builder.Configuration.GetSection(IamSection));
        builder.Services.AddAerosIam(configure);
        var app = builder.Build();
        app.MapAerosIam();
        return app;
    }
}
