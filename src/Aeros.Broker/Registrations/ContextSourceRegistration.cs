using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace Aeros.Broker.Registrations;

/// <summary>How a context source's data relates to the broker's own (ETSI GS CIM 009 §4.3.6.2).</summary>
internal enum RegistrationMode
{
    /// <summary>Data may be held locally and at the source; consumption merges both, provision goes to both.</summary>
    Inclusive,
    /// <summary>The registered attributes live only at the source.</summary>
    Exclusive,
    /// <summary>The registered entities or attributes live only at the source(s); the broker only redirects.</summary>
    Redirect,
    /// <summary>The source only fills gaps in consumption; provision is never forwarded.</summary>
    Auxiliary,
}

/// <summary>One EntityInfo of a registration: a type (expanded) and optionally an id or an id pattern.</summary>
internal sealed record RegisteredEntity(string? Id, string? IdPattern, string Type);

/// <summary>One RegistrationInfo: entities and/or attribute names (expanded), any of them may be absent.</summary>
internal sealed record RegistrationInfo(
    IReadOnlyList<RegisteredEntity>? Entities,
    IReadOnlyList<string>? PropertyNames,
    IReadOnlyList<string>? RelationshipNames)
{
    /// <summary>Whether the entry restricts attributes (lists property or relationship names).</summary>
    public bool HasNames => PropertyNames is { Count: > 0 } || RelationshipNames is { Count: > 0 };

    /// <summary>Every registered attribute name.</summary>
    public IEnumerable<string> Names => (PropertyNames ?? []).Concat(RelationshipNames ?? []);
}

/// <summary>A time interval of a registration (<c>observationInterval</c>, <c>managementInterval</c>).</summary>
internal sealed record RegistrationInterval(DateTimeOffset StartAt, DateTimeOffset? EndAt)
{
    public bool Contains(DateTimeOffset at) => at >= StartAt && (EndAt is null || at <= EndAt);

    public bool Overlaps(DateTimeOffset start, DateTimeOffset? end) =>
        (end is null || StartAt <= end) && (EndAt is null || EndAt >= start);
}

/// <summary>The <c>management</c> member (RegistrationManagementInfo).</summary>
internal sealed record RegistrationManagement(bool LocalOnly, TimeSpan? Timeout, TimeSpan? Cooldown, string? CacheDuration);

/// <summary>
/// A validated context source registration in expanded form (types and attribute names are full IRIs).
/// Immutable: an update builds a new one. <see cref="Document"/> is the canonical expanded JSON that is stored
/// and rendered (compacted) again; the other members are its parsed view used for matching and forwarding.
/// </summary>
internal sealed class ContextSourceRegistration
{
    public required string Id { get; init; }

    /// <summary>The canonical expanded JSON (without <c>@context</c>, stats or system timestamps).</summary>
    public required JsonObject Document { get; init; }

    /// <summary>The @context the registration was created with (a URL, array or object), or null for the core context.</summary>
    public JsonNode? Context { get; init; }

    public required Uri Endpoint { get; init; }

    public required IReadOnlyList<RegistrationInfo> Information { get; init; }

    public RegistrationMode Mode { get; init; } = RegistrationMode.Inclusive;

    /// <summary>The operations the source supports, groups expanded (§4.20).</summary>
    public required IReadOnlySet<string> Operations { get; init; }

    /// <summary>Headers to send when forwarding (<c>contextSourceInfo</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ContextSourceInfo { get; init; } = [];

    public string? ContextSourceAlias { get; init; }

    /// <summary>The tenant to use at the source (NGSILD-Tenant), or null for its default tenant.</summary>
    public string? Tenant { get; init; }

    public IReadOnlyList<string>? Scopes { get; init; }

    public Geometry? Location { get; init; }

    public RegistrationInterval? ObservationInterval { get; init; }

    public RegistrationInterval? ManagementInterval { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public IReadOnlyList<string>? DatasetIds { get; init; }

    public RegistrationManagement? Management { get; init; }

    /// <summary>Context source properties (any other member), by expanded name.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Properties { get; init; } = new Dictionary<string, JsonNode?>();

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ModifiedAt { get; init; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;

    public bool Supports(string operation) => Operations.Contains(operation);
}

/// <summary>The NGSI-LD operation names and groups a registration may list (§4.20).</summary>
internal static class RegistrationOperations
{
    public const string CreateEntity = "createEntity";
    public const string UpdateEntity = "updateEntity";
    public const string AppendAttrs = "appendAttrs";
    public const string UpdateAttrs = "updateAttrs";
    public const string DeleteAttrs = "deleteAttrs";
    public const string DeleteEntity = "deleteEntity";
    public const string MergeEntity = "mergeEntity";
    public const string ReplaceEntity = "replaceEntity";
    public const string ReplaceAttrs = "replaceAttrs";
    public const string RetrieveEntity = "retrieveEntity";
    public const string QueryEntity = "queryEntity";
    public const string QueryBatch = "queryBatch";
    public const string RetrieveEntityTypes = "retrieveEntityTypes";
    public const string RetrieveAttrTypes = "retrieveAttrTypes";

    /// <summary>The default of <c>operations</c>.</summary>
    public const string FederationOps = "federationOps";

    private static readonly string[] Provision =
    [
        CreateEntity, UpdateEntity, AppendAttrs, UpdateAttrs, DeleteAttrs, DeleteEntity, "createBatch", "upsertBatch",
        "updateBatch", "deleteBatch", "upsertTemporal", "appendAttrsTemporal", "deleteAttrsTemporal",
        "updateAttrInstanceTemporal", "deleteAttrInstanceTemporal", "deleteTemporal", MergeEntity, ReplaceEntity,
        ReplaceAttrs, "mergeBatch", "purgeEntity",
    ];

    private static readonly string[] TypeInfo =
    [
        "retrieveEntityTypes", "retrieveEntityTypeDetails", "retrieveEntityTypeInfo", "retrieveAttrTypes",
        "retrieveAttrTypeDetails", "retrieveAttrTypeInfo",
    ];

    private static readonly string[] Consumption =
        [RetrieveEntity, QueryEntity, QueryBatch, "retrieveTemporal", "queryTemporal", .. TypeInfo];

    private static readonly string[] Subscription =
        ["createSubscription", "updateSubscription", "retrieveSubscription", "querySubscription", "deleteSubscription"];

    private static readonly string[] EntityMap =
        ["retrieveEntityMap", "updateEntityMap", "deleteEntityMap", "createEntityMapQueryEntity"];

    private const string SourceIdentity = "retrieveContextSourceIdentity";

    /// <summary>Each group and the operations it stands for.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Groups = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [FederationOps] = [.. Consumption, .. Subscription, .. EntityMap, SourceIdentity],
        ["updateOps"] = [UpdateEntity, UpdateAttrs, ReplaceEntity, ReplaceAttrs],
        ["retrieveOps"] = [RetrieveEntity, QueryEntity],
        ["redirectionOps"] =
        [
            CreateEntity, UpdateEntity, AppendAttrs, UpdateAttrs, DeleteAttrs, DeleteEntity, MergeEntity, ReplaceEntity,
            ReplaceAttrs, RetrieveEntity, QueryEntity, "purgeEntity", .. TypeInfo, .. EntityMap, SourceIdentity,
        ],
        ["associationOps"] = [.. Consumption, .. Subscription, SourceIdentity],
    };

    /// <summary>Whether the operation writes (create, update, delete of entities or temporal data).</summary>
    public static bool IsProvision(string operation) => Array.IndexOf(Provision, operation) >= 0;

    /// <summary>Every single operation name.</summary>
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(
        [.. Provision, .. Consumption, .. Subscription, .. EntityMap, SourceIdentity], StringComparer.Ordinal);

    /// <summary>The operations of a list of names and groups; false when a name is neither.</summary>
    public static bool TryExpand(IEnumerable<string> namesAndGroups, out HashSet<string> operations, out string? unknown)
    {
        operations = new HashSet<string>(StringComparer.Ordinal);
        unknown = null;
        foreach (var name in namesAndGroups)
        {
            if (Groups.TryGetValue(name, out var members))
            {
                operations.UnionWith(members);
            }
            else if (Names.Contains(name))
            {
                operations.Add(name);
            }
            else
            {
                unknown = name;
                return false;
            }
        }
        return true;
    }
}
