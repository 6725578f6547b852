using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aeros.Broker.Api;
using Aeros.Broker.Entities;
using Aeros.Broker.Query;
using Aeros.JsonLd;

namespace Aeros.Broker.Subscriptions;

/// <summary>
/// A parsed NGSI-LD Subscription (ETSI GS CIM 009 §5.2.12) with every name expanded. Immutable: an update builds a
/// new definition. The same structure serves /csourceSubscriptions (matched against registrations instead).
/// Members that are null were not given (they are not echoed on retrieve).
/// </summary>
internal sealed record Subscription
{
    private readonly IReadOnlyList<string>? _datasetIds;
    private readonly IReadOnlyList<string>? _watchedAttributes;

    public const string DefaultType = "Subscription";

    public required string Id { get; init; }

    public string? Name { get; init; }

    public string? Description { get; init; }

    /// <summary>Entity selectors (OR between them), or null.</summary>
    public IReadOnlyList<SubscriptionEntity>? Entities { get; init; }

    /// <summary>Expanded names of the watched attributes, or null for all.</summary>
    public IReadOnlyList<string>? WatchedAttributes
    {
        get => _watchedAttributes;
        init
        {
            _watchedAttributes = value;
            WatchedAttributesUtf8 = value?.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
        }
    }

    /// <summary><see cref="WatchedAttributes"/> in UTF-8, to find them in stored entities.</summary>
    public IReadOnlyList<byte[]>? WatchedAttributesUtf8 { get; private init; }

    /// <summary>The triggers as given (null = the default <c>attributeCreated, attributeUpdated</c>).</summary>
    public IReadOnlyList<string>? TriggerNames { get; init; }

    public NotificationTriggers Triggers { get; init; } = NotificationTriggers.Default;

    /// <summary>Seconds between periodic notifications, or null for change-driven notifications.</summary>
    public double? TimeInterval { get; init; }

    /// <summary>Minimum seconds between two notifications, or null.</summary>
    public double? Throttling { get; init; }

    public QExpression? Q { get; init; }

    /// <summary>The context source filter (<c>csf</c>, /csourceSubscriptions only; written in <see cref="QContext"/>).</summary>
    public QExpression? Csf { get; init; }

    /// <summary>The context <see cref="Q"/> was written in (its terms expand with it).</summary>
    public JsonLdContext? QContext { get; init; }

    /// <summary>geoQ with <c>geoproperty</c> expanded, as a JSON object; null when none.</summary>
    public JsonObject? GeoQJson { get; init; }

    public GeoQuery? GeoQ { get; init; }

    public ScopeExpression? ScopeQ { get; init; }

    public string? Lang { get; init; }

    public LanguageFilter? LangFilter { get; init; }

    public IReadOnlyList<string>? DatasetIds
    {
        get => _datasetIds;
        init
        {
            _datasetIds = value;
            DatasetIdSet = value is null ? null : new HashSet<string>(value, StringComparer.Ordinal);
        }
    }

    /// <summary><see cref="DatasetIds"/> as a set, for rendering.</summary>
    public IReadOnlySet<string>? DatasetIdSet { get; private init; }

    /// <summary>isActive as given, or null (then active unless expired).</summary>
    public bool? IsActive { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>expiresAt as the client wrote it (echoed on retrieve).</summary>
    public string? ExpiresAtText { get; init; }

    /// <summary>The <c>jsonldContext</c> URI, or null.</summary>
    public string? JsonLdContextUrl { get; init; }

    public required NotificationParameters Notification { get; init; }

    /// <summary>The subscription's own @context (of the request that created it).</summary>
    public required JsonLdContext Context { get; init; }

    /// <summary>The context notifications are compacted with: <c>jsonldContext</c> when given, else <see cref="Context"/>.</summary>
    public required JsonLdContext NotificationContext { get; init; }

    /// <summary>Absolute URL of <see cref="NotificationContext"/> for the Link header of JSON notifications.</summary>
    public required string NotificationContextLink
    {
        get => _notificationContextLink;
        init
        {
            _notificationContextLink = value;
            NotificationLinkHeader = $"<{value}>; rel=\"{NgsiLdHttp.JsonLdContextRel}\"; type=\"application/ld+json\"";
        }
    }

    private readonly string _notificationContextLink = "";

    /// <summary>The Link header value of JSON notifications, made once per definition rather than per notification.</summary>
    public string NotificationLinkHeader { get; private init; } = "";

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ModifiedAt { get; init; }

    public bool IsPeriodic => TimeInterval is not null;

    /// <summary>The status member (§5.2.12): paused when isActive is false, expired once expiresAt passed, else active.</summary>
    public string StatusAt(DateTimeOffset now) =>
        IsActive == false ? "paused" : ExpiresAt is { } e && e <= now ? "expired" : "active";

    public bool IsActiveAt(DateTimeOffset now) => IsActive != false && (ExpiresAt is not { } e || e > now);
}

/// <summary>One entry of <c>entities</c>: id or idPattern and a type expression (expanded).</summary>
internal sealed class SubscriptionEntity
{
    public string? Id { get; init; }

    public string? IdPattern { get; init; }

    public Regex? Pattern { get; init; }

    /// <summary>The type expression with expanded names, as text.</summary>
    public required string TypeText { get; init; }

    public required TypeExpression Types { get; init; }

    public bool Matches(Model.Entity entity) =>
        (Id is null || string.Equals(Id, entity.Id, StringComparison.Ordinal))
        && (Pattern is null || Pattern.IsMatch(entity.Id))
        && Types.Matches(entity.Types);
}

/// <summary>NotificationParams (§5.2.14) with expanded names.</summary>
internal sealed class NotificationParameters
{
    private readonly IReadOnlyList<string>? _attributes;

    /// <summary>The deprecated <c>attributes</c> (expanded), or null.</summary>
    public IReadOnlyList<string>? Attributes
    {
        get => _attributes;
        init
        {
            _attributes = value;
            AttributeSet = value is null ? null : new HashSet<string>(value, StringComparer.Ordinal);
        }
    }

    /// <summary><see cref="Attributes"/> as a set, for rendering.</summary>
    public IReadOnlySet<string>? AttributeSet { get; private init; }

    public IReadOnlyList<string>? Pick { get; init; }

    public IReadOnlyList<string>? Omit { get; init; }

    public Projection? Projection { get; init; }

    /// <summary>format as given (<c>normalized</c>, <c>concise</c>, <c>keyValues</c>, <c>simplified</c>), or null.</summary>
    public string? FormatText { get; init; }

    public EntityFormat Format { get; init; } = EntityFormat.Normalized;

    public bool? SysAttrs { get; init; }

    public bool? ShowChanges { get; init; }

    public required NotificationEndpoint Endpoint { get; init; }
}

/// <summary>Endpoint (§5.2.15).</summary>
internal sealed class NotificationEndpoint
{
    public required Uri Uri { get; init; }

    /// <summary>accept as given, or null (application/json).</summary>
    public string? Accept { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>>? ReceiverInfo { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>>? NotifierInfo { get; init; }

    /// <summary>timeout in milliseconds, or null.</summary>
    public double? Timeout { get; init; }

    /// <summary>cooldown in milliseconds, or null.</summary>
    public double? Cooldown { get; init; }

    public string EffectiveAccept => Accept ?? Api.NgsiLdHttp.ApplicationJson;
}

/// <summary>The notificationTrigger values (§5.2.12).</summary>
[Flags]
internal enum NotificationTriggers
{
    None = 0,
    EntityCreated = 1,
    EntityUpdated = 2,
    EntityDeleted = 4,
    AttributeCreated = 8,
    AttributeUpdated = 16,
    AttributeDeleted = 32,
    Default = AttributeCreated | AttributeUpdated,
}

/// <summary>Names of the notification triggers.</summary>
internal static class TriggerNames
{
    public static readonly string[] Default = ["attributeCreated", "attributeUpdated"];

    public static bool TryParse(string name, out NotificationTriggers trigger)
    {
        trigger = name switch
        {
            "entityCreated" => NotificationTriggers.EntityCreated,
            "entityUpdated" => NotificationTriggers.EntityUpdated,
            "entityDeleted" => NotificationTriggers.EntityDeleted,
            "attributeCreated" => NotificationTriggers.AttributeCreated,
            "attributeUpdated" => NotificationTriggers.AttributeUpdated,
            "attributeDeleted" => NotificationTriggers.AttributeDeleted,
            _ => NotificationTriggers.None,
        };
        return trigger != NotificationTriggers.None;
    }
}
