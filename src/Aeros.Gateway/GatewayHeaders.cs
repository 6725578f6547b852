namespace Aeros.Gateway;

/// <summary>Response headers the gateway adds.</summary>
public static class GatewayHeaders
{
    /// <summary>Milliseconds the gateway itself spent on the request (up to the response headers, upstream wait excluded).</summary>
    public const string GatewayLatency = "Aeros-Gateway-Latency";

    /// <summary>Milliseconds from sending the request to the backend to its response headers.</summary>
    public const string UpstreamLatency = "Aeros-Upstream-Latency";

    /// <summary><c>hit</c> when the response came from the gateway's cache, <c>miss</c> when it was stored in it.</summary>
    public const string Cache = "Aeros-Cache";
}
