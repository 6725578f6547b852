using System.Net;
using System.Net.Sockets;

namespace Aeros.Hosting;

/// <summary>Turns port 0 into a free port now, for URLs that must be known before the server that binds them starts.</summary>
internal static class LoopbackPorts
{
    public static Uri Resolve(Uri url)
    {
        if (url.Port != 0)
        {
            return url;
        }
        var address = IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) ? ip : IPAddress.Loopback;
        using var listener = new TcpListener(address, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new UriBuilder(url) { Port = port }.Uri;
    }
}
