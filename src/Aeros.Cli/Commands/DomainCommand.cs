using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Hosting;
using Aeros.Orchestration.Federation;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros domain</c>: runs a domain host (broker + federator) that joins the continuum through its peers;
/// <c>aeros domain leave --url</c> makes a running domain leave; <c>aeros domain status --url</c> shows what it knows.
/// </summary>
internal static class DomainCommand
{
    public static Command Create()
    {
        var name = new Option<string?>("--name") { Description = "The domain's name (letters, digits, '.', '_', '-'); its Domain entity is urn:ngsi-ld:Domain:<name>. Required (here or in --config)." };
        var urls = new Option<string?>("--urls") { Description = "Where the domain host listens (default http://127.0.0.1:9090). The broker is at /ngsi-ld/v1, the federation API at /federation/v1." };
        var publicUrl = new Option<string?>("--public-url") { Description = "The URL other domains reach this one at (default: the first --urls address)." };
        var peers = new Option<string[]>("--peer") { Description = "Public URL of a domain already in the continuum (repeat for several). Without peers the domain starts a continuum of its own.", AllowMultipleArgumentsPerToken = true };
        var data = new Option<string?>("--data") { Description = "Directory for the domain's data (default .aeros/<name>; the broker's files go to <data>/broker)." };
        var entrypoint = new Option<bool>("--entrypoint") { Description = "Mark this domain as the continuum's entrypoint domain (isEntrypoint)." };
        var owners = new Option<string[]>("--owner") { Description = "Owner organization: a URI or a name (becomes urn:ngsi-ld:Organization:<name>); repeatable.", AllowMultipleArgumentsPerToken = true };
        var config = new Option<string?>("--config") { Description = "A domain.yaml with the same settings (name, urls, publicUrl, peers, data, entrypoint, owner) and sections federation/broker/jsonLd; command-line options win." };
        var command = new Command("domain", "Run a domain host: the domain's NGSI-LD broker and its federator, which registers the domain in every other domain of the continuum (and them in it) and keeps that in sync. See docs/federation.md.")
        {
            name, urls, publicUrl, peers, data, entrypoint, owners, config,
            LeaveCommand(),
            StatusCommand(),
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            DomainConfigFile.Contents file;
            var configPath = parse.GetValue(config);
            try
            {
                file = configPath is null ? new DomainConfigFile.Contents(null, null, new Dictionary<string, string?>()) : DomainConfigFile.Load(configPath);
            }
            catch (DomainConfigException e)
            {
                await Console.Error.WriteLineAsync($"aeros domain: {e.Message}");
                return ExitCodes.BadConfiguration;
            }
            var nameValue = parse.GetValue(name) ?? Setting(file, "Federation:DomainName");
            if (string.IsNullOrWhiteSpace(nameValue))
            {
                await Console.Error.WriteLineAsync("aeros domain: --name is required (or 'name:' in --config).");
                return ExitCodes.BadUsage;
            }
            if (!FederationOptions.IsValidDomainName(nameValue))
            {
                await Console.Error.WriteLineAsync($"aeros domain: --name '{nameValue}' is invalid: use letters, digits, '.', '_' or '-'.");
                return ExitCodes.BadUsage;
            }
            Uri? publicUri = null;
            if (parse.GetValue(publicUrl) is { } publicText && !TryHttpUrl(publicText, out publicUri))
            {
                await Console.Error.WriteLineAsync($"aeros domain: --public-url '{publicText}' is not an http(s) URL.");
                return ExitCodes.BadUsage;
            }
            var peerUris = new List<Uri>();
            foreach (var peer in (parse.GetValue(peers) ?? []).SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (!TryHttpUrl(peer, out var peerUri))
                {
                    await Console.Error.WriteLineAsync($"aeros domain: --peer '{peer}' is not an http(s) URL.");
                    return ExitCodes.BadUsage;
                }
                peerUris.Add(peerUri);
            }
            var ownerValues = (parse.GetValue(owners) ?? []).SelectMany(o => o.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var isEntrypoint = parse.GetValue(entrypoint);
            var urlsValue = parse.GetValue(urls) ?? file.Urls ?? "http://127.0.0.1:9090";
            var dataValue = parse.GetValue(data) ?? file.DataDirectory ?? Path.Combine(".aeros", nameValue);
            return await RunAsync(urlsValue, dataValue, file.Settings, federation =>
            {
                federation.DomainName = nameValue;
                if (publicUri is not null)
                {
                    federation.PublicUrl = publicUri;
                }
                if (peerUris.Count > 0)
                {
                    federation.Peers = peerUris;
                }
                if (ownerValues.Count > 0)
                {
                    federation.Owners = ownerValues;
                }
                if (isEntrypoint)
                {
                    federation.IsEntrypoint = true;
                }
            }, cancellationToken);
        });
        return command;
    }

    private static Command LeaveCommand()
    {
        var url = new Option<string>("--url") { Description = "The URL of the running domain host that leaves.", Required = true };
        var command = new Command("leave", "Make a running domain leave the continuum: its registrations are removed from every other domain (and theirs from it), its Domain entity becomes Removed, and it stops re-joining.") { url };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetValue(url)!;
            if (!TryHttpUrl(text, out var baseUrl))
            {
                await Console.Error.WriteLineAsync($"aeros domain leave: --url '{text}' is not an http(s) URL.");
                return ExitCodes.BadUsage;
            }
            var (status, body) = await CallAsync(HttpMethod.Post, baseUrl, "federation/v1/leave", TimeSpan.FromSeconds(120), cancellationToken);
            if (status is null || status != 200 || body is null)
            {
                await Console.Error.WriteLineAsync($"aeros domain leave: {Describe(baseUrl, status, body)}");
                return ExitCodes.Failure;
            }
            Console.WriteLine($"Domain '{body["domain"]}' left the continuum (status {body["domainStatus"]}).");
            foreach (var domain in body["domains"]?.AsArray() ?? [])
            {
                var removed = domain?["registrationsRemoved"]?.GetValue<bool>() == true;
                Console.WriteLine(removed
                    ? $"  {domain?["name"]}: registrations removed"
                    : $"  {domain?["name"]}: not reached ({domain?["error"]}); it removes them itself when it next sees the Removed status");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command StatusCommand()
    {
        var url = new Option<string>("--url") { Description = "The URL of the running domain host.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the federation state as JSON (for scripts)." };
        var command = new Command("status", "Show what a running domain knows of the continuum: the other domains and whether they are in sync.") { url, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetValue(url)!;
            if (!TryHttpUrl(text, out var baseUrl))
            {
                await Console.Error.WriteLineAsync($"aeros domain status: --url '{text}' is not an http(s) URL.");
                return ExitCodes.BadUsage;
            }
            var (status, body) = await CallAsync(HttpMethod.Get, baseUrl, "federation/v1/domains", TimeSpan.FromSeconds(10), cancellationToken);
            if (status != 200 || body is null)
            {
                await Console.Error.WriteLineAsync($"aeros domain status: {Describe(baseUrl, status, body)}");
                return ExitCodes.Failure;
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(body.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"Domain '{body["domain"]}' ({body["status"]}) at {body["publicUrl"]}");
            foreach (var domain in body["domains"]?.AsArray() ?? [])
            {
                var error = domain?["lastError"] is { } e ? $" — {e}" : "";
                Console.WriteLine($"  {domain?["name"],-20} {domain?["state"],-12} {domain?["publicUrl"]}{error}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<int> RunAsync(string urls, string dataDirectory, IReadOnlyDictionary<string, string?> settings,
        Action<FederationOptions> configureFederation, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            // The embedded IAM (security on, first domain) keeps its database and keys with the domain's data.
            var withIam = new Dictionary<string, string?>(settings, StringComparer.OrdinalIgnoreCase);
            withIam.TryAdd(IamHost.IamSection + ":DataDirectory", Path.Combine(dataDirectory, "iam"));
            app = DomainHost.Create(urls, broker => broker.DataDirectory = Path.Combine(dataDirectory, "broker"), configureFederation,
                withIam, federationLogLevel: LogLevel.Information);
            await app.StartAsync(cancellationToken);
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync("aeros domain: invalid configuration:\n  " + string.Join("\n  ", e.Failures));
            return ExitCodes.BadConfiguration;
        }
        catch (InvalidOperationException e) when (e.InnerException is FormatException || e.Message.Contains("convert", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"aeros domain: invalid configuration: {e.Message}");
            return ExitCodes.BadConfiguration;
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"aeros domain: cannot start: {e.Message}");
            return ExitCodes.Failure;
        }
        var options = app.Services.GetRequiredService<IOptions<FederationOptions>>().Value;
        var secured = DomainHost.PublicUrls(app).SequenceEqual(app.Urls) ? "" : " behind its gateway (tokens required)";
        foreach (var url in DomainHost.PublicUrls(app))
        {
            var root = url.TrimEnd('/');
            Console.WriteLine($"Domain '{options.DomainName}' listening at {root}{secured} (broker {root}/ngsi-ld/v1, federation {root}/federation/v1)");
        }
        Console.WriteLine(options.Peers.Count == 0
            ? "No peers: this domain starts a continuum; others join with --peer <its public URL>."
            : $"Joining the continuum through {string.Join(", ", options.Peers)}");
        Console.WriteLine("Press Ctrl-C to stop.");
        try
        {
            await app.WaitForShutdownAsync(cancellationToken);
        }
        finally
        {
            await app.DisposeAsync();
        }
        return ExitCodes.Ok;
    }

    private static async Task<(int? Status, JsonNode? Body)> CallAsync(HttpMethod method, Uri baseUrl, string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = timeout };
        try
        {
            using var response = await http.SendAsync(new HttpRequestMessage(method, new Uri(baseUrl, path)), cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? body = null;
            try
            {
                body = text.Length == 0 ? null : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
            }
            return ((int)response.StatusCode, body);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, new JsonObject { ["detail"] = e.Message });
        }
    }

    private static string Describe(Uri baseUrl, int? status, JsonNode? body) => status is null
        ? $"cannot reach {baseUrl}: {body?["detail"]}"
        : $"{baseUrl} answered {status}: {body?["detail"] ?? body?["title"] ?? "(no details)"}";

    private static string? Setting(DomainConfigFile.Contents file, string key) =>
        file.Settings.TryGetValue(key, out var value) ? value : null;

    private static bool TryHttpUrl(string text, out Uri url)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var parsed) && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps)
            && parsed.Query.Length == 0 && parsed.Fragment.Length == 0)
        {
            url = parsed.AbsoluteUri.EndsWith('/') ? parsed : new Uri(parsed.AbsoluteUri + "/");
            return true;
        }
        url = null!;
        return false;
    }
}
