using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Aeros.Iam.Keys;

/// <summary>
/// The issuer in effect: <see cref="IamOptions.Issuer"/>, or the first address the host listens at plus <c>/iam/</c>
/// (known once the server has started, which is before the first token request).
/// </summary>
internal sealed class IamIssuer(IOptions<IamOptions> options, IServer server)
{
    private Uri? _derived;

    public Uri Value
    {
        get
        {
            if (options.Value.Issuer is { } configured)
            {
                return WithSlash(configured);
            }
            if (_derived is not null)
            {
                return _derived;
            }
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("The IAM issuer is unknown before the host listens: set Iam:Issuer.");
            var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal))
            {
                Path = "/iam/",
            }.Uri;
            _derived = uri;
            return uri;
        }
    }

    private static Uri WithSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
