using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Entities;
using Aeros.Broker.Errors;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Aeros.JsonLd;

namespace Aeros.Broker.Subscriptions;

/// <summary>How a subscription document is read.</summary>
/// <param name="Names">Expands types and attribute names (expanded IRIs stay as they are).</param>
/// <param name="QContext">Expands the names inside <c>q</c>.</param>
/// <param name="Now">The time expiresAt is checked against.</param>
/// <param name="CheckExpiresAt">Whether an expiresAt in the past is an error (only when the client sent it).</param>
/// <param name="ForRegistrations">A /csourceSubscriptions document: <c>csf</c> is allowed.</param>
internal sealed record SubscriptionParseSettings(JsonLdContext Names, JsonLdContext QContext, DateTimeOffset Now, bool CheckExpiresAt, bool ForRegistrations = false);

/// <summary>
/// Validates and reads Subscription documents (§5.2.12, §5.2.14, §5.2.15): every invalid member is a 400
/// BadRequestData naming the member. Read-only members (status, timesSent, ...) are ignored.
/// </summary>
internal static class SubscriptionParser
{
    private static readonly HashSet<string> ReadOnlyMembers = ["status", "createdAt", "modifiedAt", "@context"];

    private static readonly HashSet<string> ReadOnlyNotificationMembers =
        ["status", "timesSent", "timesFailed", "timesDropped", "lastNotification", "lastSuccess", "lastFailure"];

    private static readonly HashSet<string> Unsupported = ["csf", "temporalQ", "expandValues", "jsonKeys", "localOnly"];

    /// <summary>
    /// Reads a subscription. <paramref name="id"/> is used when the document has none. The contexts of the result
    /// are <see cref="SubscriptionParseSettings.Names"/>; callers set the notification context afterwards.
    /// </summary>
    public static Subscription Parse(JsonObject json, string? id, SubscriptionParseSettings settings)
    {
        ArgumentNullException.ThrowIfNull(json);
        var names = settings.Names;
        var type = json["type"];
        if (type is null)
        {
            throw NgsiLdException.BadRequestData("A subscription needs \"type\": \"Subscription\".");
        }
        if (String(type, "type") != Subscription.DefaultType)
        {
            throw NgsiLdException.BadRequestData("The type of a subscription must be \"Subscription\".");
        }
        var givenId = json["id"] is { } idNode ? String(idNode, "id") : null;
        if (givenId is not null && !NgsiNames.IsUri(givenId))
        {
            throw NgsiLdException.BadRequestData($"The subscription id '{givenId}' is not a URI.");
        }
        string? name = null, description = null, lang = null, jsonldContext = null;
        List<SubscriptionEntity>? entities = null;
        List<string>? watched = null, triggerNames = null, datasetIds = null;
        double? timeInterval = null, throttling = null;
        QExpression? q = null, csf = null;
        ScopeExpression? scopeQ = null;
        (JsonObject Json, GeoQuery Query)? geoQ = null;
        bool? isActive = null;
        DateTimeOffset? expiresAt = null;
        string? expiresAtText = null;
        LanguageFilter? langFilter = null;
        NotificationParameters? notification = null;
        var triggers = NotificationTriggers.Default;
        foreach (var (member, value) in json)
        {
            if (value is null && member is not ("id" or "type"))
            {
                // An NGSI-LD Null (JSON null) only removes members in an update; it was applied before parsing.
                continue;
            }
            switch (member)
            {
                case "id" or "type":
                    break;
                case "subscriptionName":
                    name = String(value, member);
                    break;
                case "description":
                    description = String(value, member);
                    break;
                case "entities":
                    entities = ParseEntities(value, names);
                    break;
                case "watchedAttributes":
                    watched = Names(value, member, names);
                    break;
                case "notificationTrigger":
                    (triggerNames, triggers) = ParseTriggers(value);
                    break;
                case "timeInterval":
                    timeInterval = PositiveNumber(value, member);
                    break;
                case "throttling":
                    throttling = PositiveNumber(value, member);
                    break;
                case "q":
                    q = QExpression.Parse(String(value, member), settings.QContext.ExpandTerm);
                    break;
                case "csf" when settings.ForRegistrations:
                    csf = QExpression.Parse(String(value, member), settings.QContext.ExpandTerm);
                    break;
                case "geoQ":
                    geoQ = ParseGeoQ(value, names);
                    break;
                case "scopeQ":
                    scopeQ = ScopeExpression.Parse(String(value, member));
                    break;
                case "lang":
                    lang = String(value, member);
                    langFilter = LanguageFilter.Parse(lang);
                    break;
                case "datasetId":
                    datasetIds = Strings(value, member);
                    foreach (var d in datasetIds)
                    {
                        if (d != "@none" && !NgsiNames.IsUri(d))
                        {
                            throw NgsiLdException.BadRequestData($"datasetId '{d}' is not a URI.");
                        }
                    }
                    break;
                case "isActive":
                    isActive = Bool(value, member);
                    break;
                case "expiresAt":
                    var text = String(value, member);
                    if (!NgsiNames.TryParseDateTime(text, out var e))
                    {
                        throw NgsiLdException.BadRequestData($"expiresAt '{text}' is not an ISO 8601 date-time.");
                    }
                    if (settings.CheckExpiresAt && e <= settings.Now)
                    {
                        throw NgsiLdException.BadRequestData($"expiresAt {text} is in the past.");
                    }
                    expiresAt = e;
                    expiresAtText = text;
                    break;
                case "jsonldContext":
                    jsonldContext = String(value, member);
                    if (!NgsiNames.IsUri(jsonldContext))
                    {
                        throw NgsiLdException.BadRequestData($"jsonldContext '{jsonldContext}' is not a URI.");
                    }
                    break;
                case "notification":
                    notification = ParseNotification(value, names);
                    break;
                default:
                    if (ReadOnlyMembers.Contains(member))
                    {
                        break;
                    }
                    if (Unsupported.Contains(member))
                    {
                        throw NgsiLdException.OperationNotSupported($"Subscription member '{member}' is not supported by this broker.");
                    }
                    throw NgsiLdException.BadRequestData($"'{member}' is not a member of a Subscription.");
            }
        }
        if (notification is null)
        {
            throw NgsiLdException.BadRequestData("A subscription needs notification (with an endpoint).");
        }
        if (entities is null && watched is null)
        {
            throw NgsiLdException.BadRequestData("A subscription needs entities or watchedAttributes (or both).");
        }
        if (timeInterval is not null)
        {
            if (watched is not null)
            {
                throw NgsiLdException.BadRequestData("timeInterval cannot be combined with watchedAttributes.");
            }
            if (throttling is not null)
            {
                throw NgsiLdException.BadRequestData("timeInterval cannot be combined with throttling.");
            }
            if (entities is null)
            {
                throw NgsiLdException.BadRequestData("A periodic subscription (timeInterval) needs entities.");
            }
        }
        return new Subscription
        {
            Id = givenId ?? id ?? throw new InvalidOperationException("No subscription id."),
            Name = name,
            Description = description,
            Entities = entities,
            WatchedAttributes = watched,
            TriggerNames = triggerNames,
            Triggers = triggers,
            TimeInterval = timeInterval,
            Throttling = throttling,
            Q = q,
            QContext = q is null && csf is null ? null : settings.QContext,
            Csf = csf,
            GeoQJson = geoQ?.Json,
            GeoQ = geoQ?.Query,
            ScopeQ = scopeQ,
            Lang = lang,
            LangFilter = langFilter,
            DatasetIds = datasetIds,
            IsActive = isActive,
            ExpiresAt = expiresAt,
            ExpiresAtText = expiresAtText,
            JsonLdContextUrl = jsonldContext,
            Notification = notification,
            Context = names,
            NotificationContext = names,
            NotificationContextLink = names.LinkUrl,
        };
    }

    private static List<SubscriptionEntity> ParseEntities(JsonNode? value, JsonLdContext names)
    {
        if (value is not JsonArray array || array.Count == 0)
        {
            throw NgsiLdException.BadRequestData("entities must be a non-empty array of {id, idPattern, type}.");
        }
        var result = new List<SubscriptionEntity>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonObject o)
            {
                throw NgsiLdException.BadRequestData("Every element of entities must be an object.");
            }
            string? id = null, idPattern = null, type = null;
            foreach (var (member, v) in o)
            {
                switch (member)
                {
                    case "id":
                        id = String(v, "entities.id");
                        if (!NgsiNames.IsUri(id))
                        {
                            throw NgsiLdException.BadRequestData($"'{id}' in entities is not a URI.");
                        }
                        break;
                    case "idPattern":
                        idPattern = String(v, "entities.idPattern");
                        break;
                    case "type":
                        type = String(v, "entities.type");
                        break;
                    default:
                        throw NgsiLdException.BadRequestData($"'{member}' is not a member of an entity selector.");
                }
            }
            if (string.IsNullOrWhiteSpace(type))
            {
                throw NgsiLdException.BadRequestData("Every element of entities needs a type.");
            }
            var expandedText = MapTypeNames(type, names.ExpandTerm);
            result.Add(new SubscriptionEntity
            {
                Id = id,
                IdPattern = idPattern,
                Pattern = idPattern is null ? null : EntityQueryFilter.CompilePattern(idPattern),
                TypeText = expandedText,
                Types = TypeExpression.Parse(expandedText, static t => t),
            });
        }
        return result;
    }

    /// <summary>Applies <paramref name="map"/> to each name of a type expression, keeping its operators.</summary>
    public static string MapTypeNames(string expression, Func<string, string> map)
    {
        var builder = new StringBuilder(expression.Length * 2);
        var start = -1;
        for (var i = 0; i <= expression.Length; i++)
        {
            var c = i < expression.Length ? expression[i] : ',';
            var isOperator = c is ',' or ';' or '|' or '(' or ')' || char.IsWhiteSpace(c);
            if (!isOperator)
            {
                if (start < 0)
                {
                    start = i;
                }
                continue;
            }
            if (start >= 0)
            {
                var term = expression[start..i];
                if (!NgsiNames.IsValidName(term) && term != "*")
                {
                    throw NgsiLdException.BadRequestData($"'{term}' in the type expression '{expression}' is not a type name.");
                }
                builder.Append(term == "*" ? term : map(term));
                start = -1;
            }
            if (i < expression.Length)
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    private static (List<string>, NotificationTriggers) ParseTriggers(JsonNode? value)
    {
        var list = Strings(value, "notificationTrigger");
        if (list.Count == 0)
        {
            throw NgsiLdException.BadRequestData("notificationTrigger must not be empty.");
        }
        var triggers = NotificationTriggers.None;
        foreach (var item in list)
        {
            if (!TriggerNames.TryParse(item, out var t))
            {
                throw NgsiLdException.BadRequestData(
                    $"'{item}' is not a notification trigger (entityCreated, entityUpdated, entityDeleted, attributeCreated, attributeUpdated, attributeDeleted).");
            }
            triggers |= t;
        }
        return (list, triggers);
    }

    private static (JsonObject, GeoQuery) ParseGeoQ(JsonNode? value, JsonLdContext names)
    {
        if (value is not JsonObject o)
        {
            throw NgsiLdException.BadRequestData("geoQ must be an object with geometry, coordinates and georel.");
        }
        string? georel = null, geometry = null, coordinates = null, geoproperty = null;
        JsonNode? coordinatesNode = null;
        foreach (var (member, v) in o)
        {
            switch (member)
            {
                case "georel": georel = String(v, "geoQ.georel"); break;
                case "geometry": geometry = String(v, "geoQ.geometry"); break;
                case "geoproperty": geoproperty = String(v, "geoQ.geoproperty"); break;
                case "coordinates":
                    coordinatesNode = v;
                    coordinates = v switch
                    {
                        JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>(),
                        JsonArray a => a.ToJsonString(),
                        _ => throw NgsiLdException.BadRequestData("geoQ.coordinates must be an array or a string."),
                    };
                    break;
                default:
                    throw NgsiLdException.BadRequestData($"'{member}' is not a member of geoQ.");
            }
        }
        if (georel is null || geometry is null || coordinates is null)
        {
            throw NgsiLdException.BadRequestData("geoQ needs georel, geometry and coordinates.");
        }
        var expandedProperty = names.ExpandTerm(geoproperty ?? "location");
        var query = GeoQuery.Parse(georel, geometry, coordinates, expandedProperty);
        var json = new JsonObject
        {
            ["geometry"] = geometry,
            ["coordinates"] = coordinatesNode!.DeepClone(),
            ["georel"] = georel,
        };
        if (geoproperty is not null)
        {
            json["geoproperty"] = expandedProperty;
        }
        return (json, query);
    }

    private static NotificationParameters ParseNotification(JsonNode? value, JsonLdContext names)
    {
        if (value is not JsonObject o)
        {
            throw NgsiLdException.BadRequestData("notification must be an object with an endpoint.");
        }
        List<string>? attributes = null, pick = null, omit = null;
        string? format = null;
        bool? sysAttrs = null, showChanges = null;
        NotificationEndpoint? endpoint = null;
        foreach (var (member, v) in o)
        {
            if (v is null)
            {
                continue;
            }
            switch (member)
            {
                case "attributes":
                    attributes = Names(v, "notification.attributes", names);
                    break;
                case "pick":
                    pick = ProjectionNames(v, "pick", names);
                    break;
                case "omit":
                    omit = ProjectionNames(v, "omit", names);
                    break;
                case "format":
                    format = String(v, "notification.format");
                    if (format is not ("normalized" or "concise" or "keyValues" or "simplified"))
                    {
                        throw NgsiLdException.BadRequestData($"'{format}' is not a notification format; use normalized, concise, keyValues or simplified.");
                    }
                    break;
                case "sysAttrs":
                    sysAttrs = Bool(v, "notification.sysAttrs");
                    break;
                case "showChanges":
                    showChanges = Bool(v, "notification.showChanges");
                    break;
                case "endpoint":
                    endpoint = ParseEndpoint(v);
                    break;
                case "join" or "joinLevel":
                    throw NgsiLdException.OperationNotSupported($"notification.{member} is not supported by this broker.");
                default:
                    if (ReadOnlyNotificationMembers.Contains(member))
                    {
                        break;
                    }
                    throw NgsiLdException.BadRequestData($"'{member}' is not a member of notification.");
            }
        }
        if (endpoint is null)
        {
            throw NgsiLdException.BadRequestData("notification needs an endpoint.");
        }
        if (attributes is not null && (pick is not null || omit is not null))
        {
            throw NgsiLdException.BadRequestData("notification.attributes cannot be combined with pick or omit.");
        }
        var entityFormat = format switch
        {
            "concise" => EntityFormat.Concise,
            "keyValues" or "simplified" => EntityFormat.KeyValues,
            _ => EntityFormat.Normalized,
        };
        if (showChanges == true && entityFormat == EntityFormat.KeyValues)
        {
            throw NgsiLdException.BadRequestData("showChanges cannot be used with the keyValues (simplified) format.");
        }
        Projection? projection = null;
        if (pick is not null || omit is not null)
        {
            // The names are already expanded (or id/type/scope), so the projection keeps them as they are.
            projection = Projection.Parse(pick is null ? null : string.Join(',', pick), omit is null ? null : string.Join(',', omit), static n => n);
        }
        return new NotificationParameters
        {
            Attributes = attributes,
            Pick = pick,
            Omit = omit,
            Projection = projection,
            FormatText = format,
            Format = entityFormat,
            SysAttrs = sysAttrs,
            ShowChanges = showChanges,
            Endpoint = endpoint,
        };
    }

    private static List<string> ProjectionNames(JsonNode value, string member, JsonLdContext names)
    {
        var list = Strings(value, "notification." + member, splitCommas: true);
        if (list.Count == 0)
        {
            throw NgsiLdException.BadRequestData($"notification.{member} must not be empty.");
        }
        // Validates the syntax (and rejects braces we cannot apply to notifications).
        _ = Projection.Parse(member == "pick" ? string.Join(',', list) : null, member == "omit" ? string.Join(',', list) : null, names.ExpandTerm);
        return list.ConvertAll(n => n is "id" or "type" or "scope" ? n : names.ExpandTerm(n));
    }

    private static NotificationEndpoint ParseEndpoint(JsonNode value)
    {
        if (value is not JsonObject o)
        {
            throw NgsiLdException.BadRequestData("notification.endpoint must be an object with a uri.");
        }
        Uri? uri = null;
        string? accept = null;
        List<KeyValuePair<string, string>>? receiverInfo = null, notifierInfo = null;
        double? timeout = null, cooldown = null;
        foreach (var (member, v) in o)
        {
            if (v is null)
            {
                continue;
            }
            switch (member)
            {
                case "uri":
                    var text = String(v, "endpoint.uri");
                    if (!NgsiNames.IsUri(text) || !Uri.TryCreate(text, UriKind.Absolute, out uri))
                    {
                        throw NgsiLdException.BadRequestData($"endpoint.uri '{text}' is not a URI.");
                    }
                    if (uri.Scheme is not ("http" or "https" or "mqtt" or "mqtts"))
                    {
                        throw NgsiLdException.BadRequestData($"endpoint.uri scheme '{uri.Scheme}' is not supported; use http, https, mqtt or mqtts.");
                    }
                    if (string.IsNullOrEmpty(uri.Host))
                    {
                        throw NgsiLdException.BadRequestData($"endpoint.uri '{text}' has no host.");
                    }
                    break;
                case "accept":
                    accept = String(v, "endpoint.accept");
                    if (accept is not (Api.NgsiLdHttp.ApplicationJson or Api.NgsiLdHttp.ApplicationLdJson or Api.NgsiLdHttp.ApplicationGeoJson))
                    {
                        throw NgsiLdException.BadRequestData($"endpoint.accept '{accept}' is not supported; use application/json, application/ld+json or application/geo+json.");
                    }
                    break;
                case "receiverInfo":
                    receiverInfo = KeyValues(v, "endpoint.receiverInfo");
                    break;
                case "notifierInfo":
                    notifierInfo = KeyValues(v, "endpoint.notifierInfo");
                    break;
                case "timeout":
                    timeout = NonNegativeNumber(v, "endpoint.timeout");
                    break;
                case "cooldown":
                    cooldown = NonNegativeNumber(v, "endpoint.cooldown");
                    break;
                default:
                    throw NgsiLdException.BadRequestData($"'{member}' is not a member of endpoint.");
            }
        }
        foreach (var (key, setting) in notifierInfo ?? [])
        {
            // The MQTT settings are checked here so a bad value is a 400, not a failed delivery later.
            if ((key == "MQTT-QoS" && setting is not ("0" or "1" or "2")) || (key == "MQTT-Version" && setting is not ("mqtt3.1.1" or "mqtt5.0")))
            {
                throw NgsiLdException.BadRequestData($"notifierInfo {key} '{setting}' is not supported (MQTT-QoS: 0, 1, 2; MQTT-Version: mqtt3.1.1, mqtt5.0).");
            }
        }
        return new NotificationEndpoint
        {
            Uri = uri ?? throw NgsiLdException.BadRequestData("notification.endpoint needs a uri."),
            Accept = accept,
            ReceiverInfo = receiverInfo,
            NotifierInfo = notifierInfo,
            Timeout = timeout,
            Cooldown = cooldown,
        };
    }

    private static List<KeyValuePair<string, string>> KeyValues(JsonNode value, string member)
    {
        if (value is not JsonArray array)
        {
            throw NgsiLdException.BadRequestData($"{member} must be an array of {{\"key\", \"value\"}} objects.");
        }
        var result = new List<KeyValuePair<string, string>>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonObject o || o.Count != 2 || o["key"] is not JsonValue k || k.GetValueKind() != JsonValueKind.String
                || o["value"] is not JsonValue v || v.GetValueKind() != JsonValueKind.String || k.GetValue<string>().Length == 0)
            {
                throw NgsiLdException.BadRequestData($"{member} must be an array of {{\"key\": string, \"value\": string}} objects.");
            }
            result.Add(new(k.GetValue<string>(), v.GetValue<string>()));
        }
        return result;
    }

    private static List<string> Names(JsonNode? value, string member, JsonLdContext names)
    {
        var list = Strings(value, member);
        if (list.Count == 0)
        {
            throw NgsiLdException.BadRequestData($"{member} must not be empty.");
        }
        var result = new List<string>(list.Count);
        foreach (var name in list)
        {
            if (!NgsiNames.IsValidName(name) || NgsiNames.IsReservedEntityMember(name))
            {
                throw NgsiLdException.BadRequestData($"'{name}' in {member} is not an attribute name.");
            }
            result.Add(names.ExpandTerm(name));
        }
        return result;
    }

    private static List<string> Strings(JsonNode? value, string member, bool splitCommas = false) => value switch
    {
        JsonArray a when a.All(x => x is JsonValue xv && xv.GetValueKind() == JsonValueKind.String) => [.. a.Select(x => x!.GetValue<string>())],
        JsonValue v when splitCommas && v.GetValueKind() == JsonValueKind.String =>
            [.. v.GetValue<string>().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)],
        _ => throw NgsiLdException.BadRequestData($"{member} must be an array of strings."),
    };

    private static string String(JsonNode? value, string member) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw NgsiLdException.BadRequestData($"{member} must be a string.");

    private static bool Bool(JsonNode? value, string member) => value?.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw NgsiLdException.BadRequestData($"{member} must be true or false."),
    };

    private static double Number(JsonNode? value, string member) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && double.IsFinite(v.GetValue<double>())
            ? v.GetValue<double>()
            : throw NgsiLdException.BadRequestData($"{member} must be a number.");

    private static double PositiveNumber(JsonNode? value, string member)
    {
        var number = Number(value, member);
        return number > 0 ? number : throw NgsiLdException.BadRequestData($"{member} must be greater than 0 (seconds), not {number.ToString(CultureInfo.InvariantCulture)}.");
    }

    private static double NonNegativeNumber(JsonNode? value, string member)
    {
        var number = Number(value, member);
        return number >= 0 ? number : throw NgsiLdException.BadRequestData($"{member} must not be negative.");
    }
}
