using System.Text.Json.Nodes;

namespace Aeros.Orchestration.Federation;

/// <summary>One of the four registrations the aerOS federator creates for a domain.</summary>
/// <param name="Kind">The last part of the id: <c>infrastructure</c>, <c>services</c>, <c>organizations</c>, <c>benchmark</c>.</param>
/// <param name="EntityTypes">The expanded entity types registered.</param>
/// <param name="Operations">The NGSI-LD operations (or groups) the domain serves for them.</param>
public sealed record FederationRegistrationKind(string Kind, IReadOnlyList<string> EntityTypes, IReadOnlyList<string> Operations);

/// <summary>
/// Builds the context source registrations of the aerOS layout:
/// <c>urn:aerios:federation:&lt;domain&gt;:{infrastructure|services|organizations|benchmark}</c>, mode inclusive,
/// endpoint the domain's public URL, <c>management.localOnly = true</c> (a forwarded request is answered from the
/// domain's own data only, so brokers never forward in circles).
/// </summary>
public static class FederationRegistrations
{
    /// <summary>The id prefix shared by all federation registrations.</summary>
    public const string IdPrefix = "urn:aerios:federation:";

    private static readonly string[] RetrieveOnly = ["retrieveOps"];

    /// <summary>The four registration kinds, in the order they are created.</summary>
    public static IReadOnlyList<FederationRegistrationKind> Kinds { get; } =
    [
        new("infrastructure", [ContinuumTerms.Domain, ContinuumTerms.LowLevelOrchestrator, ContinuumTerms.InfrastructureElement], RetrieveOnly),
        new("services",
            [ContinuumTerms.Service, ContinuumTerms.ServiceComponent, ContinuumTerms.NetworkPort, ContinuumTerms.InfrastructureElementRequirements],
            ["retrieveOps", "updateOps", "mergeEntity", "deleteAttrs", "deleteEntity"]),
        new("organizations", [ContinuumTerms.Organization], RetrieveOnly),
        new("benchmark", [ContinuumTerms.Benchmark], RetrieveOnly),
    ];

    /// <summary>The id of one registration of a domain.</summary>
    public static string Id(string domainName, string kind) => IdPrefix + domainName + ":" + kind;

    /// <summary>The ids of the four registrations of a domain.</summary>
    public static IEnumerable<string> Ids(string domainName) => Kinds.Select(k => Id(domainName, k.Kind));

    /// <summary>Reads the domain name and kind out of a federation registration id; false for any other id.</summary>
    public static bool TryParseId(string? id, out string domainName, out string kind)
    {
        domainName = kind = "";
        if (id is null || !id.StartsWith(IdPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = id[IdPrefix.Length..];
        var colon = rest.LastIndexOf(':');
        if (colon <= 0)
        {
            return false;
        }
        var name = rest[..colon];
        var k = rest[(colon + 1)..];
        if (!FederationOptions.IsValidDomainName(name) || !Kinds.Any(x => x.Kind == k))
        {
            return false;
        }
        domainName = name;
        kind = k;
        return true;
    }

    /// <summary>
    /// The four registrations of <paramref name="domainName"/>, as NGSI-LD CSourceRegistration payloads with
    /// expanded names (send them as <c>application/json</c> without a context).
    /// </summary>
    /// <param name="domainName">The registered domain.</param>
    /// <param name="endpoint">The domain's public URL; its broker is under <c>/ngsi-ld/v1</c>.</param>
    /// <param name="contextSourceAlias">The alias of the domain's broker (its <c>/info/sourceIdentity</c>), or null if it has none.</param>
    /// <param name="forwardTimeout">How long a broker waits for the domain when forwarding (<c>management.timeout</c>).</param>
    public static IReadOnlyList<JsonObject> Build(string domainName, Uri endpoint, string? contextSourceAlias, TimeSpan forwardTimeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!FederationOptions.IsValidDomainName(domainName))
        {
            throw new ArgumentException($"'{domainName}' is not a valid domain name.", nameof(domainName));
        }
        var list = new List<JsonObject>(Kinds.Count);
        foreach (var kind in Kinds)
        {
            var entities = new JsonArray();
            foreach (var type in kind.EntityTypes)
            {
                entities.Add(new JsonObject { ["type"] = type });
            }
            var registration = new JsonObject
            {
                ["id"] = Id(domainName, kind.Kind),
                ["type"] = "ContextSourceRegistration",
                ["registrationName"] = $"aerOS federation: {kind.Kind} of domain {domainName}",
                ["endpoint"] = EndpointText(endpoint),
                ["information"] = new JsonArray(new JsonObject { ["entities"] = entities }),
                ["mode"] = "inclusive",
                ["operations"] = new JsonArray(kind.Operations.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()),
                ["management"] = new JsonObject
                {
                    ["localOnly"] = true,
                    ["timeout"] = (long)Math.Ceiling(forwardTimeout.TotalMilliseconds),
                },
            };
            if (!string.IsNullOrEmpty(contextSourceAlias))
            {
                registration["contextSourceAlias"] = contextSourceAlias;
            }
            list.Add(registration);
        }
        return list;
    }

    /// <summary>The fragment a PATCH sends to bring an existing registration to <paramref name="registration"/> (everything but id and type).</summary>
    public static JsonObject UpdateFragment(JsonObject registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var fragment = new JsonObject();
        foreach (var (key, value) in registration)
        {
            if (key is not ("id" or "type"))
            {
                fragment[key] = value?.DeepClone();
            }
        }
        return fragment;
    }

    /// <summary>A URL as an endpoint: absolute, without the trailing slash of an empty path.</summary>
    public static string EndpointText(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var text = url.GetLeftPart(UriPartial.Path);
        return text.EndsWith('/') ? text[..^1] : text;
    }
}
