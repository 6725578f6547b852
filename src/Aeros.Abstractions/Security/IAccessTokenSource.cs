namespace Aeros.Security;

/// <summary>
/// Gives the bearer token a component sends to another component's API (machine to machine, e.g. OAuth 2.0 client
/// credentials). Implementations cache the token and are safe to call concurrently.
/// </summary>
public interface IAccessTokenSource
{
    /// <summary>A currently valid access token; throws <see cref="AccessTokenException"/> when none can be obtained.</summary>
    ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken);

    /// <summary>Forgets <paramref name="token"/> if it is the cached one (the API refused it), so the next call fetches a new one.</summary>
    void Invalidate(string token);
}

/// <summary>
/// No access token could be obtained (the token endpoint was unreachable, refused the credential, or answered nonsense).
/// An <see cref="HttpRequestException"/>, so callers that already handle failed calls handle this one too; the message
/// names the token endpoint, the client and the reason, never the secret.
/// </summary>
public sealed class AccessTokenException : HttpRequestException
{
    /// <summary>Creates the exception.</summary>
    public AccessTokenException(string message, Exception? inner = null) : base(message, inner) { }
}
