using System.Diagnostics;
using System.Net;
using Aeros.Gateway.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Forwarder;

namespace Aeros.Gateway.Routing;

/// <summary>
/// <c>/ie/{ieId}/self/{**rest}</c>: forwards to <c>&lt;selfApiUrl&gt;/self/{rest}</c> of that element with YARP's
/// <see cref="IHttpForwarder"/> (the destination is per element, so it is not a static cluster).
/// </summary>
internal sealed class IeSelfApiEndpoint(IHttpForwarder forwarder, IeSelfApiResolver resolver, TimeProvider time)
{
    public const string Pattern = "/ie/{ieId}/self/{**rest}";

    private readonly HttpMessageInvoker _invoker = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    });

    private readonly ForwarderRequestConfig _config = new() { ActivityTimeout = TimeSpan.FromSeconds(100) };

    public async Task HandleAsync(HttpContext http)
    {
        var ieId = http.Request.RouteValues["ieId"] as string ?? "";
        var baseUrl = await resolver.ResolveAsync(ieId, http.RequestAborted);
        if (baseUrl is null)
        {
            await GatewayProblems.WriteAsync(http, 404, "Not Found", $"No infrastructure element '{ieId}' with a self-API is known to this gateway.");
            return;
        }
        var rest = http.Request.RouteValues["rest"] as string ?? "";
        if (rest.Split('/').Any(segment => segment is "." or ".." || segment.Contains('\\', StringComparison.Ordinal)))
        {
            // The forward must stay under the element's /self/: no way up to its other endpoints.
            await GatewayProblems.WriteAsync(http, 400, "Bad Request", "The self-API path must not contain '.' or '..' segments or backslashes.");
            return;
        }
        var error = await forwarder.SendAsync(http, baseUrl, _invoker, _config, new Transformer(rest, time));
        if (error != ForwarderError.None)
        {
            await ForwardingErrors.WriteAsync(http, GatewayApis.Ie, error);
        }
    }

    private sealed class Transformer(string rest, TimeProvider time) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            // Route values are unescaped; escape each segment again so the element sees the path the client sent.
            var path = string.Join('/', rest.Split('/').Select(Uri.EscapeDataString));
            proxyRequest.RequestUri = new Uri(destinationPrefix + "/self/" + path + httpContext.Request.QueryString.Value);
            UpstreamTiming.Started(httpContext, time);
        }

        public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            UpstreamTiming.Answered(httpContext, time);
            return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }
    }
}

/// <summary>Turns YARP's forwarding failures into problem details (when nothing was sent to the client yet).</summary>
internal static class ForwardingErrors
{
    public static Task WriteAsync(HttpContext http, string api, ForwarderError error)
    {
        var logger = http.RequestServices.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("Aeros.Gateway");
        GatewayLog.ForwardFailed(logger, http.Request.Method, http.Request.Path.Value ?? "", api, error.ToString());
        if (http.Response.HasStarted)
        {
            return Task.CompletedTask;
        }
        http.Response.Headers.Clear();
        return error switch
        {
            ForwarderError.RequestTimedOut => GatewayProblems.WriteAsync(http, 504, "Gateway Timeout", $"The '{api}' backend did not answer in time."),
            ForwarderError.NoAvailableDestinations => GatewayProblems.WriteAsync(http, 503, "Service Unavailable", $"No healthy destination of the '{api}' backend."),
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled => Task.CompletedTask,
            ForwarderError.RequestBodyClient => GatewayProblems.WriteAsync(http, 400, "Bad Request", "The request body could not be read."),
            _ => GatewayProblems.WriteAsync(http, 502, "Bad Gateway", $"The '{api}' backend could not be reached or answered badly."),
        };
    }
}
