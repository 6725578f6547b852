using System.Runtime.CompilerServices;
using Aeros.Gateway.Forwarding;
using Aeros.Security.Policy;
using Aeros.Gateway.Routing;
using Aeros.Security.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Gateway.Pipeline;

/// <summary>
/// The gateway's checks, in order, before a backend is called; the first that fails answers with problem details and
/// the backend is never called: header size (431), declared body size (413), bearer token (401), per-client rate
/// (429), route known (404), policy (403), per-route rate and concurrency (503), streamed body size (413). Then the
/// cache (safe GETs the policy allows) and the endpoint. Every response carries the latency headers; every request is
/// access-logged without headers, query or token. One instance serves both entries: <see cref="GatewayMiddleware"/>
/// (after endpoint routing) and <see cref="GatewayFastPath"/> (the hot backend routes, before routing).
/// </summary>
internal sealed class GatewayGuard(
    IOptions<GatewayOptions> options,
    GatewayPolicyHolder policy,
    JwtValidator tokens,
    ClientRateLimiter clients,
    RouteLimiter routes,
    ResponseCache cache,
    TimeProvider time,
    ILogger<GatewayGuard> logger)
{
    private readonly GatewayOptions _options = options.Value;
    private readonly string _domain = options.Value.DomainName!;

    /// <summary>The request's state; it is also the request's <see cref="UpstreamTiming"/> feature (one object per request).</summary>
    private sealed class RequestState(GatewayGuard owner, HttpContext http, long start) : UpstreamTiming
    {
        public string Api = "-";
        public string Client = "-";
        public RequestDelegate Next = null!;

        public Task OnStarting()
        {
            var total = owner.Since(start);
            var upstream = Elapsed; // this state is the request's timing feature: no look-up
            var headers = http.Response.Headers;
            headers[GatewayHeaders.GatewayLatency] = LatencyText.Milliseconds(upstream is { } u ? total - u : total);
            if (upstream is { } up)
            {
                headers[GatewayHeaders.UpstreamLatency] = LatencyText.Milliseconds(up);
            }
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// Runs the checks for a request to the route described by <paramref name="metadata"/> (null: no gateway route,
    /// refused after authentication) and, when all pass, <paramref name="next"/> (the endpoint or the forwarder).
    /// </summary>
    public async Task InvokeAsync(HttpContext http, GatewayRouteMetadata? metadata, RequestDelegate next)
    {
        var start = time.GetTimestamp();
        var state = new RequestState(this, http, start) { Next = next };
        http.Features.Set<UpstreamTiming>(state);
        http.Response.OnStarting(static s => ((RequestState)s).OnStarting(), state);
        try
        {
            await CheckAndRunAsync(http, metadata, state);
        }
        finally
        {
            if (_options.AccessLog && logger.IsEnabled(LogLevel.Information))
            {
                var total = Since(start).TotalMilliseconds;
                var upstream = state.Elapsed?.TotalMilliseconds ?? 0;
                GatewayLog.Access(logger, http.Request.Method, http.Request.Path.Value ?? "", http.Response.StatusCode, state.Api, state.Client,
                    Math.Max(0, total - upstream), upstream);
            }
        }
    }

    // Pooled state machines (awaited once each): no box per request and level.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CheckAndRunAsync(HttpContext http, GatewayRouteMetadata? metadata, RequestState state)
    {
        var request = http.Request;
        var limits = _options.Limits;
        var headerBytes = 0L;
        foreach (var (name, values) in request.Headers)
        {
            headerBytes += name.Length + 4; // ": " and CRLF
            foreach (var v in values)
            {
                headerBytes += v?.Length ?? 0;
            }
        }
        if (headerBytes > limits.MaxRequestHeadersBytes)
        {
            await RejectAsync(http, 431, "Request Header Fields Too Large", $"The request headers take {headerBytes} bytes; the limit is {limits.MaxRequestHeadersBytes}.");
            return;
        }
        if (request.ContentLength > limits.MaxRequestBodyBytes)
        {
            await RejectAsync(http, 413, "Content Too Large", $"The request body has {request.ContentLength} bytes; the limit is {limits.MaxRequestBodyBytes}.");
            return;
        }

        if (metadata is { Anonymous: true })
        {
            state.Api = metadata.Api;
            var address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (!clients.TryAcquire("ip|" + address, out var wait))
            {
                await TooManyAsync(http, 429, wait, "Too many requests from this address.");
                return;
            }
        }
        else
        {
            if (!TryBearerToken(request, out var token))
            {
                await UnauthorizedAsync(http, null);
                return;
            }
            // A token seen before is recalled from its span: no string for it, no parse, no signature check.
            if (tokens.Recall(token.Span) is not { } principal)
            {
                var validation = await tokens.ValidateAsync(token.ToString(), http.RequestAborted);
                if (validation.Principal is null)
                {
                    await UnauthorizedAsync(http, validation.Error);
                    return;
                }
                principal = validation.Principal;
            }
            state.Client = principal.ClientId;
            if (!clients.TryAcquire(principal.RateLimitKey, out var wait))
            {
                await TooManyAsync(http, 429, wait, $"Client '{principal.ClientId}' is above its request rate.");
                return;
            }
            if (metadata is null)
            {
                // No gateway route (or an endpoint somebody mapped without gateway metadata): refuse, fail closed.
                await RejectAsync(http, 404, "Not Found", $"The gateway routes nothing at {request.Path}.");
                return;
            }
            state.Api = metadata.Api;
            var decision = policy.Current.Check(principal.Roles, principal.Domains, metadata.Api, request.Method, _domain);
            if (!decision.Allowed)
            {
                await RejectAsync(http, 403, "Forbidden", decision.Reason!);
                return;
            }
            http.Features.Set(principal);
        }

        if (!routes.TryEnter(state.Api, out var routeWait, out var reason))
        {
            await TooManyAsync(http, 503, routeWait, reason);
            return;
        }
        try
        {
            await RunAsync(http, state.Api, state.Next);
        }
        finally
        {
            routes.Exit(state.Api);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunAsync(HttpContext http, string api, RequestDelegate next)
    {
        var request = http.Request;
        if (!await LimitStreamedBodyAsync(http))
        {
            return;
        }
        var isGet = HttpMethods.IsGet(request.Method);
        if (!isGet || !policy.Current.CacheDurations.TryGetValue(api, out var duration)
            || request.Headers.CacheControl.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase))
        {
            await next(http);
            if (!isGet && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method) && http.Response.StatusCode < 400)
            {
                cache.Invalidate(api);
            }
            return;
        }
        var key = ResponseCache.Key(api, request);
        if (cache.TryGet(key) is { } hit)
        {
            var response = http.Response;
            response.StatusCode = hit.Status;
            foreach (var (name, value) in hit.Headers)
            {
                response.Headers[name] = value;
            }
            response.Headers[GatewayHeaders.Cache] = "hit";
            response.ContentLength = hit.Body.Length;
            await response.Body.WriteAsync(hit.Body, http.RequestAborted);
            return;
        }
        var original = http.Response.Body;
        var capture = new CapturingStream(original, cache.MaxBodyBytes);
        http.Response.Body = capture;
        http.Response.OnStarting(static s =>
        {
            var r = (HttpResponse)s;
            if (r.StatusCode == 200)
            {
                r.Headers[GatewayHeaders.Cache] = "miss";
            }
            return Task.CompletedTask;
        }, http.Response);
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = original;
        }
        if (http.Response.StatusCode == 200 && !capture.Overflowed)
        {
            cache.Store(api, key, http.Response, capture.Captured, duration);
        }
    }

    /// <summary>
    /// A body without Content-Length (chunked) is read up to the limit before anything is forwarded, so an oversized
    /// one is refused with 413 instead of reaching the backend half-sent.
    /// </summary>
    private async Task<bool> LimitStreamedBodyAsync(HttpContext http)
    {
        var request = http.Request;
        var limit = _options.Limits.MaxRequestBodyBytes;
        if (request.ContentLength is not null || !request.Headers.ContainsKey("Transfer-Encoding"))
        {
            return true;
        }
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + n > limit)
            {
                await RejectAsync(http, 413, "Content Too Large", $"The request body is larger than the limit of {limit} bytes.");
                return false;
            }
            buffer.Write(chunk, 0, n);
        }
        buffer.Position = 0;
        request.Headers.Remove("Transfer-Encoding");
        request.Body = buffer;
        request.ContentLength = buffer.Length;
        http.Response.RegisterForDispose(buffer);
        return true;
    }

    private static bool TryBearerToken(HttpRequest request, out ReadOnlyMemory<char> token)
    {
        token = default;
        var header = request.Headers.Authorization;
        if (header.Count != 1)
        {
            return false;
        }
        var value = header[0];
        if (value is null || value.Length < 8 || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        token = value.AsMemory(7).Trim();
        return !token.IsEmpty;
    }

    private Task UnauthorizedAsync(HttpContext http, string? error)
    {
        GatewayLog.Rejected(logger, http.Request.Method, http.Request.Path.Value ?? "", 401, error ?? "no bearer token");
        return GatewayProblems.Unauthorized(http, error);
    }

    private Task TooManyAsync(HttpContext http, int status, TimeSpan wait, string detail)
    {
        GatewayLog.Rejected(logger, http.Request.Method, http.Request.Path.Value ?? "", status, detail);
        return GatewayProblems.TooMany(http, status, wait, detail);
    }

    private Task RejectAsync(HttpContext http, int status, string title, string detail)
    {
        GatewayLog.Rejected(logger, http.Request.Method, http.Request.Path.Value ?? "", status, detail);
        if (status is 413 or 431)
        {
            // The rest of an oversized request is not read: close the connection rather than drain it.
            http.Response.Headers.Connection = "close";
        }
        return GatewayProblems.WriteAsync(http, status, title, detail);
    }

    private TimeSpan Since(long start) => time.GetElapsedTime(start);
}

/// <summary>The gateway's checks after endpoint routing: the endpoint's <see cref="GatewayRouteMetadata"/> names the route.</summary>
internal sealed class GatewayMiddleware(RequestDelegate next, GatewayGuard guard)
{
    public Task InvokeAsync(HttpContext http) =>
        guard.InvokeAsync(http, http.GetEndpoint()?.Metadata.GetMetadata<GatewayRouteMetadata>(), next);
}

/// <summary>The policy in force (loaded once at start; immutable).</summary>
internal sealed class GatewayPolicyHolder
{
    public GatewayPolicyHolder(IOptions<GatewayOptions> options)
    {
        var file = options.Value.PolicyFile;
        Current = file is null ? AccessPolicy.LoadDefault() : AccessPolicy.Load(file);
        Source = file ?? "(embedded default)";
    }

    public AccessPolicy Current { get; }

    public string Source { get; }
}
