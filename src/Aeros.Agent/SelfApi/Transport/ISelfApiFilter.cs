namespace Aeros.Agent.SelfApi.Transport;

/// <summary>
/// A check every self-API request passes before its handler, on both carriers (Kestrel and the agent's own server):
/// the place for concerns such as token checks, so that they hold for <c>aeros agent</c> and <c>aeros-agent</c> alike.
/// Registered in DI (<c>IEnumerable&lt;ISelfApiFilter&gt;</c>), run in registration order; the first answer wins.
/// </summary>
internal interface ISelfApiFilter
{
    /// <summary>Null to let the request through, or the response that ends it (e.g. a 401 problem).</summary>
    ValueTask<SelfApiResponse?> CheckAsync(SelfApiRequest request);
}

/// <summary>Runs the registered <see cref="ISelfApiFilter"/>s, then the handler.</summary>
internal static class SelfApiFilters
{
    public static SelfApiHandler Wrap(SelfApiHandler handler) => async request =>
    {
        if (request.Services.GetService(typeof(IEnumerable<ISelfApiFilter>)) is IEnumerable<ISelfApiFilter> filters)
        {
            foreach (var filter in filters)
            {
                if (await filter.CheckAsync(request) is { } refused)
                {
                    return refused;
                }
            }
        }
        return await handler(request);
    };
}
