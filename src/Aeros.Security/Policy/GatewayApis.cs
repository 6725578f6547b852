namespace Aeros.Security.Policy;

/// <summary>The API names used by the gateway's routes and the policy file.</summary>
public static class GatewayApis
{
    /// <summary>The NGSI-LD broker, <c>/ngsi-ld/</c>.</summary>
    public const string Broker = "broker";

    /// <summary>The HLO, <c>/hlo/</c>.</summary>
    public const string Hlo = "hlo";

    /// <summary>The LLO, <c>/llo/</c>.</summary>
    public const string Llo = "llo";

    /// <summary>The federator, <c>/federation/</c>.</summary>
    public const string Federation = "federation";

    /// <summary>The IAM's API other than the OIDC protocol endpoints, <c>/iam/</c>.</summary>
    public const string Iam = "iam";

    /// <summary>The self-APIs of infrastructure elements, <c>/ie/{ieId}/self/</c>.</summary>
    public const string Ie = "ie";

    /// <summary>The aggregated OpenAPI document, <c>/openapi.json</c>.</summary>
    public const string OpenApi = "openapi";

    /// <summary>Every API name.</summary>
    public static readonly IReadOnlyList<string> All = [Broker, Hlo, Llo, Federation, Iam, Ie, OpenApi];
}
