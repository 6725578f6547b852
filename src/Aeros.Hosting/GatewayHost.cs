using Aeros.Agent.Hosting;
using Aeros.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Hosting;

/// <summary>Builds a web host that runs the domain's secure API gateway alone (<c>aeros gateway</c>).</summary>
public static class GatewayHost
{
    /// <summary>Configuration section bound to <see cref="GatewayOptions"/> (e.g. <c>Gateway__DomainName=domain1</c>).</summary>
    public const string GatewaySection = "Gateway";

    /// <summary>The runtime's switch that runs socket completions on the socket threads (set with <see cref="GatewayOptions.InlineScheduling"/>).</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Creates the gateway listening on <paramref name="urls"/> (semicolon-separated). Options come from configuration
    /// (environment variables, section <see cref="GatewaySection"/>), then <paramref name="settings"/> (e.g. from a
    /// gateway.yaml), then <paramref name="configure"/>, which wins. Access logs (one line per request, no secrets)
    /// are written at information level; everything else logs warnings and errors only. <paramref name="ownProcess"/>:
    /// the process runs this gateway alone and has used no socket yet (<c>aeros gateway</c>); with
    /// <see cref="GatewayOptions.InlineScheduling"/> it then also sets <see cref="InlineCompletionsVariable"/>.
    /// </summary>
    public static WebApplication Create(string urls, IEnumerable<KeyValuePair<string, string?>>? settings = null, Action<GatewayOptions>? configure = null,
        bool ownProcess = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        var builder = WebApplication.CreateSlimBuilder([]);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Aeros.Gateway", LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.Configure<GatewayOptions>(builder.Configuration.GetSection(GatewaySection));
        builder.Services.AddAerosGateway(configure);
        var app = builder.Build();
        if (ownProcess && app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.InlineScheduling
            && Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            // The runtime reads it once, at the process's first socket, and it is process-wide (children inherit it):
            // only a process that is the gateway alone sets it, before any socket. An explicit value in the environment wins.
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
        app.MapAerosGateway();
        return app;
    }
}

/// <summary>A gateway.yaml file was unreadable or invalid; the message names the file and the problem.</summary>
public sealed class GatewayConfigException(string message, Exception? inner = null) : AerosException(message, inner);

/// <summary>
/// Reads a gateway's YAML configuration: <c>urls</c> says where it listens; every other key is an option of
/// <see cref="GatewayOptions"/> (docs/security.md), e.g.
/// <code>
/// urls: http://127.0.0.1:8080
/// domainName: domain1
/// issuers:
///   - issuer: http://127.0.0.1:9090/iam/
/// broker:
///   destinations: [http://127.0.0.1:9090]
/// policyFile: policy.yaml       # relative to this file
/// </code>
/// </summary>
public static class GatewayConfigFile
{
    /// <summary>What a gateway.yaml says: where to listen and every other setting as configuration keys.</summary>
    public sealed record Contents(string? Urls, IReadOnlyDictionary<string, string?> Settings);

    private static readonly Func<string, Exception?, Exception> Error = static (message, inner) => new GatewayConfigException(message, inner);

    /// <summary>Reads <paramref name="path"/>; a relative <c>policyFile</c> is taken relative to the file's folder.</summary>
    public static Contents Load(string path)
    {
        var contents = Parse(YamlSettings.ReadText(path, Error), path);
        const string policyKey = GatewayHost.GatewaySection + ":policyFile";
        var policy = contents.Settings.FirstOrDefault(s => s.Key.Equals(policyKey, StringComparison.OrdinalIgnoreCase));
        if (policy.Value is { Length: > 0 } file && !Path.IsPathRooted(file))
        {
            var settings = new Dictionary<string, string?>(contents.Settings, StringComparer.OrdinalIgnoreCase)
            {
                [policy.Key] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", file)),
            };
            return contents with { Settings = settings };
        }
        return contents;
    }

    /// <summary>Parses YAML text; <paramref name="source"/> names it in error messages.</summary>
    public static Contents Parse(string text, string source)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        string? urls = null;
        if (YamlSettings.ParseRoot(text, source, Error) is not { } root)
        {
            return new Contents(null, settings);
        }
        foreach (var (keyNode, value) in root.Children)
        {
            var key = YamlSettings.Key(keyNode, source, Error);
            if (key.Equals("urls", StringComparison.OrdinalIgnoreCase))
            {
                urls = YamlSettings.Scalar(value, source, key, Error);
            }
            else
            {
                YamlSettings.Flatten(value, GatewayHost.GatewaySection + ":" + key, settings, source, Error,
                    listExpected: key.Equals("issuers", StringComparison.OrdinalIgnoreCase));
            }
        }
        return new Contents(urls, settings);
    }
}
