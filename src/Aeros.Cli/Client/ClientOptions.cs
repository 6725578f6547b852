using System.CommandLine;
using Aeros.Cli.LocalContinuum;

namespace Aeros.Cli.Client;

/// <summary>
/// The options every client command shares: which domain host to talk to (<c>--url</c>, or <c>--domain</c> of the local
/// continuum whose state file is in <c>--data</c>), the output format and the request timeout.
/// </summary>
internal sealed class ClientOptions
{
    /// <summary>The entrypoint domain of <c>aeros up</c>.</summary>
    public const string DefaultDomain = "domain1";

    public Option<string?> Url { get; } = new("--url") { Description = "The domain host's root URL (http://127.0.0.1:8080/); overrides --domain." };

    public Option<string> Domain { get; } = new("--domain")
    {
        Description = "The domain of the local continuum started by 'aeros up' to talk to.",
        DefaultValueFactory = _ => DefaultDomain,
    };

    public Option<string> Data { get; } = new("--data")
    {
        Description = "The data directory of the local continuum (its state file names the domains).",
        DefaultValueFactory = _ => LocalContinuumOptions.DefaultDataDirectory,
    };

    public Option<string> Output { get; } = CreateOutput();

    /// <summary>Adds the shared options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(Domain);
        command.Options.Add(Data);
        command.Options.Add(Output);
    }

    /// <summary>Whether the user asked for JSON.</summary>
    public bool IsJson(ParseResult parse) => parse.GetValue(Output) == "json";

    /// <summary>The domain host to talk to and the local continuum's state (null with <c>--url</c>), or an error for the user.</summary>
    public DomainTarget Resolve(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var directory = Path.GetFullPath(parse.GetValue(Data)!);
        if (parse.GetValue(Url) is { } text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                return new DomainTarget(null, null, null, $"--url '{text}' is not an http(s) URL.");
            }
            try
            {
                // A domain host named by URL gets the credential of 'aeros login' (if any), and only that origin gets its tokens.
                return new DomainTarget(url, null, null, null)
                {
                    Credential = CliCredentials.ReadLogin(directory),
                    LoginFile = CliCredentials.LoginFile(directory),
                    TokenRecipients = [url],
                };
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                return new DomainTarget(null, null, null, e.Message);
            }
        }
        var name = parse.GetValue(Domain)!;
        ContinuumState? state;
        try
        {
            state = ContinuumStateFile.Read(directory);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return new DomainTarget(null, null, null, e.Message);
        }
        if (state is null)
        {
            return new DomainTarget(null, null, null,
                $"no local continuum is running on {directory} (no continuum.json); start one with 'aeros up' or name a domain host with --url.");
        }
        var domain = state.Domains.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));
        if (domain is null)
        {
            return new DomainTarget(null, null, state,
                $"the local continuum has no domain '{name}' (it has {string.Join(", ", state.Domains.Select(d => d.Name))}).");
        }
        // The local continuum's domains (from its own state file) are the recipients of its credential.
        return new DomainTarget(new Uri(domain.Url), domain.Name, state, null)
        {
            Credential = CliLogin.From(state.Security),
            TokenRecipients = [.. state.Domains.Select(d => new Uri(d.Url))],
        };
    }

    private static Option<string> CreateOutput()
    {
        var output = new Option<string>("--output")
        {
            Description = "table (for people) or json (for scripts; shapes in docs/cli.md).",
            DefaultValueFactory = _ => "table",
        };
        output.AcceptOnlyFromAmong("table", "json");
        return output;
    }
}

/// <summary>Where a client command goes: a domain host URL (and its name and the local continuum when known), or why not.</summary>
/// <param name="Url">The domain host's root URL.</param>
/// <param name="DomainName">Its name when taken from the state file.</param>
/// <param name="State">The local continuum's state when read.</param>
/// <param name="Error">Why there is no target.</param>
internal sealed record DomainTarget(Uri? Url, string? DomainName, ContinuumState? State, string? Error)
{
    /// <summary>The credential whose token the requests carry (the continuum's or the login's); null: none.</summary>
    public CliLogin? Credential { get; init; }

    /// <summary>The login file a user login's rotated refresh tokens are written back to; null: none.</summary>
    public string? LoginFile { get; init; }

    /// <summary>The origins that may receive the token: the <c>--url</c> given, or the local continuum's domains.</summary>
    public IReadOnlyList<Uri> TokenRecipients { get; init; } = [];

    /// <summary>A client of the target with the given per-request timeout.</summary>
    public (HloClient Client, HttpClient Http) CreateClient(TimeSpan requestTimeout)
    {
        var http = CreateHttp(requestTimeout);
        return (new HloClient(http, Url ?? throw new InvalidOperationException(Error)), http);
    }

    /// <summary>An <see cref="HttpClient"/> for the target (base address its URL) that sends the credential's token.</summary>
    public HttpClient CreateHttp(TimeSpan timeout) => new(CliCredentials.Handler(Credential, LoginFile, TokenRecipients)) { BaseAddress = Url, Timeout = timeout };
}
