using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Aeros.Broker.Api;

/// <summary>Maps NGSI-LD endpoints with error handling around each, without per-request filter overhead.</summary>
internal static class GuardedRouteBuilder
{
    public static void Get(this IEndpointRouteBuilder api, string pattern, RequestDelegate handler) =>
        api.MapMethods(pattern, [HttpMethods.Get], NgsiLdErrorHandling.Guard(handler));

    public static void Post(this IEndpointRouteBuilder api, string pattern, RequestDelegate handler) =>
        api.MapMethods(pattern, [HttpMethods.Post], NgsiLdErrorHandling.Guard(handler));

    public static void Put(this IEndpointRouteBuilder api, string pattern, RequestDelegate handler) =>
        api.MapMethods(pattern, [HttpMethods.Put], NgsiLdErrorHandling.Guard(handler));

    public static void Patch(this IEndpointRouteBuilder api, string pattern, RequestDelegate handler) =>
        api.MapMethods(pattern, [HttpMethods.Patch], NgsiLdErrorHandling.Guard(handler));

    public static void Delete(this IEndpointRouteBuilder api, string pattern, RequestDelegate handler) =>
        api.MapMethods(pattern, [HttpMethods.Delete], NgsiLdErrorHandling.Guard(handler));
}
