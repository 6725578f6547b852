using Aeros.Gateway.Pipeline;
using Aeros.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Aeros.Gateway.Forwarding;

/// <summary>
/// The last step of the YARP route pipeline when <see cref="GatewayOptions.Forwarder"/> is <c>raw</c>: YARP has matched
/// the route and its load balancer picked a healthy destination; this step forwards with <see cref="RawForwarder"/>
/// and ends the pipeline. What the raw forwarder does not take (no destination left, an https destination, an
/// upgrade or CONNECT) goes on to YARP's own forwarder.
/// </summary>
internal sealed class RawForwarderStep(RawForwarder forwarder)
{
    private static readonly TimeSpan DefaultActivityTimeout = TimeSpan.FromSeconds(100);

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var proxy = http.GetReverseProxyFeature();
        var destinations = proxy.AvailableDestinations;
        if (destinations.Count == 0)
        {
            await next(http); // YARP answers 503 (no available destination)
            return;
        }
        // The load balancer leaves one destination; with several, pick at random as YARP's forwarder does.
        var destination = destinations.Count == 1 ? destinations[0] : destinations[Random.Shared.Next(destinations.Count)];
        if (!RawForwarder.CanForward(http) || destination.Model is not { } model || forwarder.PoolFor(model.Config.Address) is not { } pool)
        {
            await next(http);
            return;
        }
        proxy.ProxiedDestination = destination;
        var api = proxy.Route.Config.Metadata?.GetValueOrDefault(GatewayRoutes.ApiKey) ?? "?";
        var timeout = proxy.Cluster.Config.HttpRequest?.ActivityTimeout ?? DefaultActivityTimeout;
        var result = await forwarder.ForwardAsync(http, pool, timeout, api);
        await WriteResultAsync(http, result, api);
    }

    /// <summary>Answers a request whose forwarding failed (nothing to do on success): 400, 502, 504, or nothing when the client left.</summary>
    public static Task WriteResultAsync(HttpContext http, RawForwardResult result, string api) => result switch
    {
        RawForwardResult.Success => Task.CompletedTask,
        RawForwardResult.BadRequest => GatewayProblems.WriteAsync(http, 400, "Bad Request", "The request holds header characters that cannot be forwarded."),
        _ => ForwardingErrors.WriteAsync(http, api, result switch
        {
            RawForwardResult.TimedOut => ForwarderError.RequestTimedOut,
            RawForwardResult.RequestBodyClient => ForwarderError.RequestBodyClient,
            RawForwardResult.Canceled => ForwarderError.RequestCanceled,
            RawForwardResult.BadResponse => ForwarderError.ResponseHeaders,
            _ => ForwarderError.Request,
        }),
    };
}
