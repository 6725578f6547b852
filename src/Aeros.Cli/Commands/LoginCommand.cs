using System.CommandLine;
using System.Diagnostics;
using Aeros.Cli.Client;
using Aeros.Cli.LocalContinuum;
using Aeros.Cli.Login;
using Aeros.Security;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros login</c>: stores what the client commands authenticate with in the data directory (<c>login.json</c>, mode
/// 0600). <c>--user</c>: a person signs in in a browser (authorization code + PKCE, loopback redirect, RFC 8252) and the
/// refresh token is kept — never the password. <c>--client-id</c> without <c>--user</c>: a client credential, checked
/// with one token request (the secret may come from <c>AEROS_CLIENT_SECRET</c>). Either way the client commands then send
/// its tokens to the domain named with <c>--url</c> only.
/// </summary>
internal static class LoginCommand
{
    /// <summary>The environment variable read when <c>--client-secret</c> is not given.</summary>
    public const string SecretVariable = "AEROS_CLIENT_SECRET";

    /// <summary>Default of <c>--timeout</c> with <c>--user</c>: how long the user has to sign in.</summary>
    public const int DefaultTimeoutSeconds = 300;

    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "A domain host's public URL (its gateway serves the IAM at /iam), e.g. http://127.0.0.1:9090.", Required = true };
        var user = new Option<bool>("--user") { Description = "Sign in as a person in a browser (authorization code + PKCE); stores a refresh token, never the password." };
        var tokenUrl = new Option<string?>("--token-url") { Description = "The token endpoint, when it is not <url>/iam/connect/token (e.g. an external Keycloak)." };
        var authorizeUrl = new Option<string?>("--authorize-url") { Description = "With --user: the authorization endpoint, when it is not <url>/iam/connect/authorize." };
        var clientId = new Option<string?>("--client-id") { Description = $"The client id (with --user: the public client, default '{Iam.IamOptions.DefaultCliClientId}')." };
        var clientSecret = new Option<string?>("--client-secret") { Description = $"The client secret (or set {SecretVariable}, which keeps it out of the process list). Not with --user." };
        var noBrowser = new Option<bool>("--no-browser") { Description = "With --user: only print the sign-in URL (open it in any browser that reaches the IAM)." };
        var timeout = new Option<int>("--timeout")
        {
            Description = "With --user: seconds to wait for the sign-in (1 to 3600).",
            DefaultValueFactory = _ => DefaultTimeoutSeconds,
        };
        var data = new Option<string>("--data")
        {
            Description = "Where to store the login (login.json).",
            DefaultValueFactory = _ => LocalContinuumOptions.DefaultDataDirectory,
        };
        var command = new Command("login", "Sign in for the client commands: as a user in a browser (--user), or with a client credential. See docs/cli.md.")
        {
            url, user, tokenUrl, authorizeUrl, clientId, clientSecret, noBrowser, timeout, data,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var errors = new List<string>();
            var text = parse.GetValue(url)!;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
            {
                errors.Add($"--url '{text}' is not an http(s) URL.");
            }
            var endpoint = OptionalUrl(parse.GetValue(tokenUrl), "--token-url", errors);
            var authorize = OptionalUrl(parse.GetValue(authorizeUrl), "--authorize-url", errors);
            var isUser = parse.GetValue(user);
            var id = parse.GetValue(clientId);
            var secret = parse.GetValue(clientSecret) ?? Environment.GetEnvironmentVariable(SecretVariable);
            var seconds = parse.GetValue(timeout);
            if (isUser)
            {
                if (parse.GetValue(clientSecret) is not null)
                {
                    errors.Add("--client-secret does not go with --user: the CLI signs users in with a public client.");
                }
                if (seconds is < 1 or > 3600)
                {
                    errors.Add($"--timeout must be between 1 and 3600 seconds (was {seconds}).");
                }
            }
            else
            {
                if (string.IsNullOrEmpty(id))
                {
                    errors.Add("give --user to sign in as a person, or --client-id (and its secret) for a client credential.");
                }
                else if (string.IsNullOrEmpty(secret))
                {
                    errors.Add($"no client secret: give --client-secret or set {SecretVariable}.");
                }
                if (authorize is not null || parse.GetValue(noBrowser))
                {
                    errors.Add("--authorize-url and --no-browser go with --user only.");
                }
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
            var directory = parse.GetValue(data)!;
            if (isUser)
            {
                var settings = new UserLoginSettings(issuer, authorize ?? new Uri(issuer, "connect/authorize"), endpoint,
                    string.IsNullOrEmpty(id) ? Iam.IamOptions.DefaultCliClientId : id, TimeSpan.FromSeconds(seconds));
                return await UserAsync(settings, parse.GetValue(noBrowser), directory, cancellationToken);
            }
            var login = new CliLogin(issuer.AbsoluteUri, endpoint.AbsoluteUri, id!, secret!);
            using (var tokens = CliCredentials.ClientTokenSource(login))
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
            var path = CliCredentials.WriteLogin(directory, login);
            Console.WriteLine($"Logged in as client '{login.ClientId}' at {endpoint}; the credential is in {path} (mode 0600).");
            Console.WriteLine("Client commands with --url (and this --data) now send its tokens to that URL only.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<int> UserAsync(UserLoginSettings settings, bool noBrowser, string directory, CancellationToken cancellationToken)
    {
        try
        {
            var (login, accessToken) = await UserLoginFlow.RunAsync(settings, authorizeUrl =>
            {
                Console.WriteLine("Sign in to the continuum's IAM in a browser on this machine:");
                Console.WriteLine();
                Console.WriteLine("    " + authorizeUrl.AbsoluteUri);
                Console.WriteLine();
                var opened = !noBrowser && BrowserLauncher.TryOpen(authorizeUrl);
                Console.WriteLine(opened
                    ? $"(a browser was asked to open it; waiting up to {settings.Timeout.TotalSeconds:0} s for the sign-in)"
                    : $"Waiting up to {settings.Timeout.TotalSeconds:0} s for the sign-in (Ctrl-C to give up).");
                Console.Out.Flush();
                return Task.CompletedTask;
            }, tokenHandler: null, TimeProvider.System, cancellationToken);
            var path = CliCredentials.WriteLogin(directory, login);
            var roles = UserLoginFlow.Claims(accessToken, "roles");
            var domains = UserLoginFlow.Claims(accessToken, "domains");
            Console.WriteLine($"Logged in as user '{login.User}' (roles: {(roles.Count == 0 ? "none" : string.Join(", ", roles))}; domains: "
                + $"{(domains.Count == 0 ? "none" : string.Join(", ", domains))}); the refresh token is in {path} (mode 0600).");
            Console.WriteLine("Client commands with --url (and this --data) now send your access tokens to that URL only.");
            return ExitCodes.Ok;
        }
        catch (UserLoginException e)
        {
            await Console.Error.WriteLineAsync($"aeros login: {e.Message}");
            return e.ExitCode;
        }
    }

    private static Uri? OptionalUrl(string? text, string name, List<string> errors)
    {
        if (text is null)
        {
            return null;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            errors.Add($"{name} '{text}' is not an http(s) URL.");
            return null;
        }
        return parsed;
    }
}

/// <summary>Asks the desktop to open a URL (xdg-open, else sensible-browser), when one of them is installed.</summary>
internal static class BrowserLauncher
{
    private static readonly string[] Openers = ["xdg-open", "sensible-browser"];

    /// <summary>Whether an opener was started (not whether a browser showed the page).</summary>
    public static bool TryOpen(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var opener in Openers)
        {
            var executable = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(d => Path.Combine(d, opener)).FirstOrDefault(File.Exists);
            if (executable is null)
            {
                continue;
            }
            try
            {
                var start = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                start.ArgumentList.Add(url.AbsoluteUri);
                var process = Process.Start(start);
                if (process is null)
                {
                    continue;
                }
                // Its chatter would mix with ours; it runs on by itself.
                process.OutputDataReceived += static (_, _) => { };
                process.ErrorDataReceived += static (_, _) => { };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                return true;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not runnable after all: try the next one.
            }
        }
        return false;
    }
}
