using System.Text.Json;
using Aeros.Cli.LocalContinuum;
using Aeros.Continuum.Security;
using Aeros.Security;

namespace Aeros.Cli.Client;

/// <summary>
/// The credential the client commands attach to their requests: the local continuum's (state file, written by
/// <c>aeros up</c>) or the one <c>aeros login</c> stored in the data directory (<c>login.json</c>, mode 0600) — a client
/// credential or a user's refresh token. None: requests go without a token (security off). Tokens go only to the
/// origins the user named (<c>--url</c>, or the local continuum's domains), never to URLs read from answers.
/// </summary>
internal static class CliCredentials
{
    /// <summary>The file <c>aeros login</c> writes in the data directory.</summary>
    public const string LoginFileName = "login.json";

    /// <summary>The login file of <paramref name="dataDirectory"/>.</summary>
    public static string LoginFile(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), LoginFileName);

    /// <summary>The stored login of <paramref name="dataDirectory"/>, or null; an unreadable file is an <see cref="InvalidDataException"/>.</summary>
    public static CliLogin? ReadLogin(string dataDirectory) => ReadLoginFile(LoginFile(dataDirectory));

    /// <summary>The login stored at <paramref name="path"/>, or null when there is no file.</summary>
    public static CliLogin? ReadLoginFile(string path)
    {
        try
        {
            var login = JsonSerializer.Deserialize<CliLogin>(File.ReadAllText(path), ContinuumStateFile.Json);
            return login is { IsComplete: true } ? login
                : throw new InvalidDataException($"{path} is not an aeros login file; run 'aeros login' again.");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not an aeros login file ({e.Message}); run 'aeros login' again.", e);
        }
    }

    /// <summary>Stores <paramref name="login"/> as the login of <paramref name="dataDirectory"/> (mode 0600).</summary>
    public static string WriteLogin(string dataDirectory, CliLogin login)
    {
        Directory.CreateDirectory(Path.GetFullPath(dataDirectory));
        var path = LoginFile(dataDirectory);
        WriteLoginFile(path, login);
        return path;
    }

    /// <summary>Writes <paramref name="login"/> to a temporary file (0600) renamed over <paramref name="path"/>: readers never see half a file.</summary>
    public static void WriteLoginFile(string path, CliLogin login)
    {
        ArgumentNullException.ThrowIfNull(login);
        var temporary = path + "." + Environment.ProcessId + ".tmp";
        ContinuumStateFile.WriteOwnerOnly(temporary, JsonSerializer.Serialize(login, ContinuumStateFile.Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A client-credentials token source for a client login.</summary>
    public static ClientCredentialsTokenSource ClientTokenSource(CliLogin login)
    {
        ArgumentNullException.ThrowIfNull(login);
        return new(new ClientCredentialsOptions
        {
            TokenUrl = new Uri(login.TokenUrl),
            ClientId = login.ClientId,
            ClientSecret = login.ClientSecret,
            RequestTimeout = ClientOutput.RequestTimeout,
        });
    }

    /// <summary>
    /// The token source of <paramref name="login"/>: client credentials, or the user's refresh token (rotated tokens are
    /// written back to <paramref name="loginFile"/> when given).
    /// </summary>
    public static IAccessTokenSource TokenSource(CliLogin login, string? loginFile) =>
        login.IsUser ? new RefreshTokenSource(login, loginFile, TimeProvider.System) : ClientTokenSource(login);

    /// <summary>
    /// The handler of the client commands' requests: with <paramref name="login"/>, one that sends its token to
    /// <paramref name="recipients"/> (origins) only; requests to any other origin go out without it.
    /// </summary>
    public static HttpMessageHandler Handler(CliLogin? login, string? loginFile, IEnumerable<Uri> recipients)
    {
        var sockets = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
        return login is null ? sockets : new BearerTokenHandler(TokenSource(login, loginFile), sockets, new TokenRecipients(recipients));
    }
}
