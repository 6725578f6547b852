using System.CommandLine;
using Aeros.Cli.Client;
using Aeros.Cli.LocalContinuum;
using Aeros.Security;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros login</c>: checks a client credential against the continuum's IAM (one token request) and stores it in the
/// data directory (<c>login.json</c>, mode 0600); the client commands then attach its tokens to requests to domains
/// named with <c>--url</c>. The secret may come from <c>AEROS_CLIENT_SECRET</c> instead of the command line.
/// </summary>
internal static class LoginCommand
{
    /// <summary>The environment variable read when <c>--client-secret</c> is not given.</summary>
    public const string SecretVariable = "AEROS_CLIENT_SECRET";

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "A domain host's public URL (its gateway serves the IAM at /iam), e.g. http://127.0.0.1:9090.", Required = true };
        var tokenUrl = new Option<string?>("--token-url") { Description = "The token endpoint, when it is not <url>/iam/connect/token (e.g. an external Keycloak)." };
        var clientId = new Option<string>("--client-id") { Description = "The client id.", Required = true };
        var clientSecret = new Option<string?>("--client-secret") { Description = $"The client secret (or set {SecretVariable}, which keeps it out of the process list)." };
        var data = new Option<string>("--data")
        {
            Description = "Where to store the credential (login.json).",
            DefaultValueFactory = _ => LocalContinuumOptions.DefaultDataDirectory,
        };
        var command = new Command("login", "Store a client credential for the client commands (checked with one token request). See docs/cli.md.")
        {
            url, tokenUrl, clientId, clientSecret, data,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var errors = new List<string>();
            var text = parse.GetValue(url)!;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
            {
                errors.Add($"--url '{text}' is not an http(s) URL.");
            }
            Uri? endpoint = null;
            if (parse.GetValue(tokenUrl) is { } tokenText)
            {
                if (!Uri.TryCreate(tokenText, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
                {
                    errors.Add($"--token-url '{tokenText}' is not an http(s) URL.");
                }
            }
            var secret = parse.GetValue(clientSecret) ?? Environment.GetEnvironmentVariable(SecretVariable);
            if (string.IsNullOrEmpty(secret))
            {
                errors.Add($"no client secret: give --client-secret or set {SecretVariable}.");
            }
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    await Console.Error.WriteLineAsync($"aeros login: {error}");
                }
                return ExitCodes.BadUsage;
            }
            var issuer = new Uri(new Uri(root!.AbsoluteUri.TrimEnd('/') + "/"), "iam/");
            endpoint ??= new Uri(issuer, "connect/token");
            var credential = new ContinuumCredential(issuer.AbsoluteUri, endpoint.AbsoluteUri, parse.GetValue(clientId)!, secret!);
            using (var tokens = CliCredentials.TokenSource(credential))
            {
                try
                {
                    await tokens.GetAccessTokenAsync(cancellationToken);
                }
                catch (AccessTokenException e)
                {
                    await Console.Error.WriteLineAsync($"aeros login: {e.Message}");
                    return ExitCodes.Failure;
                }
            }
            var path = CliCredentials.WriteLogin(parse.GetValue(data)!, credential);
            Console.WriteLine($"Logged in as client '{credential.ClientId}' at {endpoint}; the credential is in {path} (mode 0600).");
            Console.WriteLine("Client commands with --url (and this --data) now send its tokens.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
