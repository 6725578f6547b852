using System.CommandLine;
using Aeros.Gateway;
using Aeros.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Cli.Commands;

/// <summary><c>aeros gateway</c>: runs the domain's secure API gateway alone.</summary>
internal static class GatewayCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config")
        {
            Description = "The gateway's YAML configuration (gateway.yaml): domainName, issuers, backends (broker, hlo, llo, federation, iam), policyFile, limits. See docs/security.md.",
            Required = true,
        };
        var urls = new Option<string?>("--urls")
        {
            Description = "Where the gateway listens, e.g. http://127.0.0.1:8080 (overrides 'urls' of the file; default http://127.0.0.1:8080).",
        };
        var command = new Command("gateway", "Run the domain's secure API gateway: every call needs a bearer token (embedded IAM or Keycloak) allowed by the role × API × action × domain policy; rate limits, size limits, caching, load balancing. More settings through environment variables Gateway__... (see docs/security.md).")
        {
            config, urls,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            GatewayConfigFile.Contents contents;
            try
            {
                contents = GatewayConfigFile.Load(parse.GetValue(config)!);
            }
            catch (GatewayConfigException e)
            {
                await Console.Error.WriteLineAsync($"aeros gateway: {e.Message}");
                return ExitCodes.BadConfiguration;
            }
            var listen = parse.GetValue(urls) ?? contents.Urls ?? "http://127.0.0.1:8080";
            return await RunAsync(listen, contents.Settings, cancellationToken);
        });
        return command;
    }

    private static Task<int> RunAsync(string urls, IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
        => HostRunner.RunAsync("gateway", () => GatewayHost.Create(urls, settings, ownProcess: true),
            (app, url) => $"Gateway of domain {app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.DomainName} listening at {url} (aggregated OpenAPI at /openapi.json)",
            cancellationToken, e => e is AccessPolicyException ? e.Message : null);
}
