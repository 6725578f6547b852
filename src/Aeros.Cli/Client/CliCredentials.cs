using System.Text.Json;
using Aeros.Cli.LocalContinuum;
using Aeros.Continuum.Security;
using Aeros.Security;

namespace Aeros.Cli.Client;

/// <summary>
/// The credential the client commands attach to their requests: the local continuum's (state file, written by
/// <c>aeros up --security</c>) or the one <c>aeros login</c> stored in the data directory (<c>login.json</c>, mode 0600).
/// None: requests go without a token (security off).
/// </summary>
internal static class CliCredentials
{
    /// <summary>The file <c>aeros login</c> writes in the data directory.</summary>
    public const string LoginFileName = "login.json";

    /// <summary>The login file of <paramref name="dataDirectory"/>.</summary>
    public static string LoginFile(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), LoginFileName);

    /// <summary>The stored login of <paramref name="dataDirectory"/>, or null; an unreadable file is an <see cref="InvalidDataException"/>.</summary>
    public static ContinuumCredential? ReadLogin(string dataDirectory)
    {
        var path = LoginFile(dataDirectory);
        try
        {
            var credential = JsonSerializer.Deserialize<ContinuumCredential>(File.ReadAllText(path), ContinuumStateFile.Json);
            return credential is { TokenUrl.Length: > 0, ClientId.Length: > 0, ClientSecret.Length: > 0 } ? credential
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

    /// <summary>Stores <paramref name="credential"/> as the login of <paramref name="dataDirectory"/> (mode 0600).</summary>
    public static string WriteLogin(string dataDirectory, ContinuumCredential credential)
    {
        Directory.CreateDirectory(Path.GetFullPath(dataDirectory));
        var path = LoginFile(dataDirectory);
        ContinuumStateFile.WriteOwnerOnly(path, JsonSerializer.Serialize(credential, ContinuumStateFile.Json));
        return path;
    }

    /// <summary>A token source for <paramref name="credential"/>.</summary>
    public static ClientCredentialsTokenSource TokenSource(ContinuumCredential credential) => new(new ClientCredentialsOptions
    {
        TokenUrl = new Uri(credential.TokenUrl),
        ClientId = credential.ClientId,
        ClientSecret = credential.ClientSecret,
        RequestTimeout = ClientOutput.RequestTimeout,
    });

    /// <summary>The handler of the client commands' requests: with <paramref name="credential"/>, one that sends its token.</summary>
    public static HttpMessageHandler Handler(ContinuumCredential? credential)
    {
        var sockets = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
        return credential is null ? sockets : new BearerTokenHandler(TokenSource(credential), sockets);
    }
}
