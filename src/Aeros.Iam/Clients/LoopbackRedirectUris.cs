namespace Aeros.Iam.Clients;

/// <summary>
/// RFC 8252 §7.3 loopback redirect URIs of native apps: <c>http</c>, the host an IP literal <c>127.0.0.1</c> or
/// <c>[::1]</c> (not <c>localhost</c>, which DNS or a hosts file could send elsewhere, §8.3), any port at request time.
/// </summary>
internal static class LoopbackRedirectUris
{
    /// <summary>Whether <paramref name="uri"/> is an http URI on a loopback IP literal, without user info or fragment.</summary>
    public static bool IsLoopbackIp(Uri uri) =>
        uri.IsAbsoluteUri && uri.Scheme == Uri.UriSchemeHttp && uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
        && uri.Host is "127.0.0.1" or "[::1]" && string.IsNullOrEmpty(uri.UserInfo) && string.IsNullOrEmpty(uri.Fragment);

    /// <summary>
    /// Whether <paramref name="requested"/> is the loopback IP URI <paramref name="registered"/> with possibly another
    /// port: same scheme, host, path and query (ordinal), both loopback IP literals.
    /// </summary>
    public static bool Matches(Uri registered, Uri requested) =>
        IsLoopbackIp(registered) && IsLoopbackIp(requested)
        && string.Equals(registered.Host, requested.Host, StringComparison.Ordinal)
        && string.Equals(registered.AbsolutePath, requested.AbsolutePath, StringComparison.Ordinal)
        && string.Equals(registered.Query, requested.Query, StringComparison.Ordinal);
}
