using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aeros.Broker.Entities;
using Aeros.Broker.Errors;
using Aeros.Broker.Query;
using Aeros.JsonLd;

namespace Aeros.Broker.Registrations;

/// <summary>
/// Validates CSourceRegistration payloads (§5.2.9) in two steps: <see cref="Canonicalize"/> checks each member's
/// syntax and expands user terms (types, attribute names, context source property names) with the request's
/// @context; <see cref="Build"/> checks the registration as a whole (mandatory members, mode rules) and yields
/// the model. Updates canonicalize the fragment, merge it into the stored document, and build again.
/// Every problem is a 400 BadRequestData naming the member.
/// </summary>
internal static class RegistrationParser
{
    public const string TypeName = "ContextSourceRegistration";
    private const string ExpandedTypeName = "https://uri.etsi.org/ngsi-ld/ContextSourceRegistration";

    /// <summary>Members that the broker generates; a client may send them (e.g. a copy of a GET) but they are ignored.</summary>
    private static readonly HashSet<string> ReadOnlyMembers =
        ["status", "timesSent", "timesFailed", "lastSuccess", "lastFailure", "createdAt", "modifiedAt", "@context"];

    /// <summary>Core members of a registration; any other member is a context source property.</summary>
    public static readonly HashSet<string> CoreMembers =
    [
        "id", "type", "registrationName", "description", "endpoint", "information", "mode", "operations",
        "contextSourceInfo", "contextSourceAlias", "tenant", "scope", "location", "observationSpace", "operationSpace",
        "observationInterval", "managementInterval", "expiresAt", "datasetId", "refreshRate", "management",
    ];

    /// <summary>
    /// Checks every member of a payload or update fragment and returns it with names expanded. In a fragment,
    /// JSON null is kept (it removes the member).
    /// </summary>
    public static JsonObject Canonicalize(JsonObject input, JsonLdContext context, DateTimeOffset now, bool fragment)
    {
        var result = new JsonObject();
        foreach (var (member, value) in input)
        {
            if (ReadOnlyMembers.Contains(member))
            {
                continue;
            }
            if (value is null && fragment && member is not ("id" or "type"))
            {
                result[member] = null;
                continue;
            }
            result[CanonicalName(member, context)] = member switch
            {
                "id" => JsonValue.Create(Uri(value, member)),
                "type" => CheckType(value),
                "endpoint" => JsonValue.Create(Endpoint(value)),
                "information" => Information(value, context),
                "mode" => JsonValue.Create(Mode(value).Text),
                "operations" => Operations(value),
                "contextSourceInfo" => ContextSourceInfo(value),
                "contextSourceAlias" => JsonValue.Create(Alias(value)),
                "tenant" => JsonValue.Create(TenantName(value)),
                "scope" => Scopes(value),
                "location" or "observationSpace" or "operationSpace" => Geometry(value, member),
                "observationInterval" or "managementInterval" => Interval(value, member),
                "expiresAt" => JsonValue.Create(ExpiresAt(value, now)),
                "registrationName" or "description" => JsonValue.Create(String(value, member)),
                "datasetId" => DatasetIds(value),
                "refreshRate" => JsonValue.Create(Duration(value, member)),
                "management" => Management(value),
                _ => value?.DeepClone(),
            };
        }
        return result;
    }

    private static string CanonicalName(string member, JsonLdContext context)
    {
        if (CoreMembers.Contains(member))
        {
            return member;
        }
        if (!NgsiNames.IsValidName(member))
        {
            throw NgsiLdException.BadRequestData($"'{member}' is not a valid context source property name.");
        }
        return context.ExpandTerm(member);
    }

    /// <summary>Builds the registration from a canonical document, checking what the members say together.</summary>
    public static ContextSourceRegistration Build(JsonObject document, JsonNode? context, DateTimeOffset createdAt, DateTimeOffset modifiedAt)
    {
        var id = document["id"]?.GetValue<string>() ?? throw NgsiLdException.BadRequestData("The registration has no id.");
        if (document["type"] is null)
        {
            throw NgsiLdException.BadRequestData($"The registration has no type; it must be \"{TypeName}\".");
        }
        var endpoint = document["endpoint"]?.GetValue<string>()
            ?? throw NgsiLdException.BadRequestData("The registration has no endpoint.");
        if (document["information"] is not JsonArray information)
        {
            throw NgsiLdException.BadRequestData("The registration has no information.");
        }
        var infos = information.Select(ReadInfo).ToList();
        var mode = document["mode"] is { } m ? Mode(m).Mode : RegistrationMode.Inclusive;
        RegistrationOperations.TryExpand(
            document["operations"] is JsonArray ops ? ops.Select(o => o!.GetValue<string>()) : [RegistrationOperations.FederationOps],
            out var operations, out _);
        if (mode == RegistrationMode.Auxiliary && operations.FirstOrDefault(RegistrationOperations.IsProvision) is { } write)
        {
            // §5.9.2.4: an auxiliary source only helps consumption.
            throw NgsiLdException.BadRequestData($"An auxiliary registration cannot list {write}; it serves retrieval only.");
        }
        if (mode == RegistrationMode.Exclusive)
        {
            foreach (var info in infos)
            {
                if (info.Entities is not { Count: > 0 } || info.Entities.Any(e => e.Id is null) || !info.HasNames)
                {
                    throw NgsiLdException.BadRequestData(
                        "An exclusive registration must name entity ids and the attributes (propertyNames/relationshipNames) it holds.");
                }
            }
        }
        var properties = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (member, value) in document)
        {
            if (!CoreMembers.Contains(member))
            {
                properties[member] = value;
            }
        }
        return new ContextSourceRegistration
        {
            Id = id,
            Document = document,
            Context = context?.DeepClone(),
            Endpoint = new Uri(endpoint, UriKind.Absolute),
            Information = infos,
            Mode = mode,
            Operations = operations,
            ContextSourceInfo = document["contextSourceInfo"] is JsonArray csi
                ? [.. csi.Select(kv => KeyValuePair.Create(kv!["key"]!.GetValue<string>(), kv["value"]!.GetValue<string>()))]
                : [],
            ContextSourceAlias = document["contextSourceAlias"]?.GetValue<string>(),
            Tenant = document["tenant"]?.GetValue<string>(),
            Scopes = document["scope"] is JsonArray scopes ? [.. scopes.Select(s => s!.GetValue<string>())] : null,
            Location = document["location"] is { } location ? GeoJsonGeometry.TryRead(location) : null,
            ObservationInterval = ReadInterval(document["observationInterval"]),
            ManagementInterval = ReadInterval(document["managementInterval"]),
            ExpiresAt = document["expiresAt"] is { } e && NgsiNames.TryParseDateTime(e.GetValue<string>(), out var expires) ? expires : null,
            DatasetIds = document["datasetId"] is JsonArray ds ? [.. ds.Select(d => d!.GetValue<string>())] : null,
            Management = ReadManagement(document["management"]),
            Properties = properties,
            CreatedAt = createdAt,
            ModifiedAt = modifiedAt,
        };
    }

    private static RegistrationInfo ReadInfo(JsonNode? node)
    {
        var info = (JsonObject)node!;
        return new RegistrationInfo(
            info["entities"] is JsonArray entities
                ? [.. entities.Select(e => new RegisteredEntity(e!["id"]?.GetValue<string>(), e["idPattern"]?.GetValue<string>(), e["type"]!.GetValue<string>()))]
                : null,
            info["propertyNames"] is JsonArray p ? [.. p.Select(n => n!.GetValue<string>())] : null,
            info["relationshipNames"] is JsonArray r ? [.. r.Select(n => n!.GetValue<string>())] : null);
    }

    private static RegistrationInterval? ReadInterval(JsonNode? node)
    {
        if (node is not JsonObject interval)
        {
            return null;
        }
        NgsiNames.TryParseDateTime(interval["startAt"]!.GetValue<string>(), out var start);
        DateTimeOffset? end = interval["endAt"] is { } e && NgsiNames.TryParseDateTime(e.GetValue<string>(), out var parsed) ? parsed : null;
        return new RegistrationInterval(start, end);
    }

    private static RegistrationManagement? ReadManagement(JsonNode? node)
    {
        if (node is not JsonObject management)
        {
            return null;
        }
        return new RegistrationManagement(
            management["localOnly"]?.GetValue<bool>() ?? false,
            management["timeout"] is { } t ? TimeSpan.FromMilliseconds(t.GetValue<double>()) : null,
            management["cooldown"] is { } c ? TimeSpan.FromMilliseconds(c.GetValue<double>()) : null,
            management["cacheDuration"]?.GetValue<string>());
    }

    private static JsonNode CheckType(JsonNode? value)
    {
        var type = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (type is not (TypeName or ExpandedTypeName))
        {
            throw NgsiLdException.BadRequestData($"The type of a registration must be \"{TypeName}\".");
        }
        return JsonValue.Create(TypeName);
    }

    private static string String(JsonNode? value, string member) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw NgsiLdException.BadRequestData($"'{member}' must be a string.");

    private static string Uri(JsonNode? value, string member)
    {
        var text = String(value, member);
        return NgsiNames.IsUri(text) ? text : throw NgsiLdException.BadRequestData($"'{member}' must be a URI; '{text}' is not.");
    }

    private static string Endpoint(JsonNode? value)
    {
        var text = String(value, "endpoint");
        if (!System.Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            throw NgsiLdException.BadRequestData($"endpoint must be an absolute http(s) URL of the context source; '{text}' is not.");
        }
        return text;
    }

    private static JsonArray Information(JsonNode? value, JsonLdContext context)
    {
        if (value is not JsonArray array || array.Count == 0)
        {
            throw NgsiLdException.BadRequestData("information must be a non-empty array of RegistrationInfo.");
        }
        var result = new JsonArray();
        foreach (var element in array)
        {
            if (element is not JsonObject info)
            {
                throw NgsiLdException.BadRequestData("Every element of information must be an object.");
            }
            var canonical = new JsonObject();
            foreach (var (member, memberValue) in info)
            {
                switch (member)
                {
                    case "entities":
                        canonical[member] = Entities(memberValue, context);
                        break;
                    case "propertyNames" or "relationshipNames":
                        canonical[member] = Names(memberValue, member, context);
                        break;
                    default:
                        throw NgsiLdException.BadRequestData($"'{member}' is not a member of RegistrationInfo (entities, propertyNames, relationshipNames).");
                }
            }
            if (canonical.Count == 0)
            {
                throw NgsiLdException.BadRequestData("A RegistrationInfo needs entities, propertyNames or relationshipNames.");
            }
            result.Add(canonical);
        }
        return result;
    }

    private static JsonArray Entities(JsonNode? value, JsonLdContext context)
    {
        if (value is not JsonArray array || array.Count == 0)
        {
            throw NgsiLdException.BadRequestData("information.entities must be a non-empty array of EntityInfo.");
        }
        var result = new JsonArray();
        foreach (var element in array)
        {
            if (element is not JsonObject info)
            {
                throw NgsiLdException.BadRequestData("Every EntityInfo must be an object with type and optionally id or idPattern.");
            }
            var canonical = new JsonObject();
            foreach (var (member, memberValue) in info)
            {
                switch (member)
                {
                    case "id":
                        canonical["id"] = Uri(memberValue, "entities.id");
                        break;
                    case "idPattern":
                        var pattern = String(memberValue, "entities.idPattern");
                        ValidatePattern(pattern);
                        canonical["idPattern"] = pattern;
                        break;
                    case "type":
                        var type = String(memberValue, "entities.type");
                        if (!NgsiNames.IsValidName(type))
                        {
                            throw NgsiLdException.BadRequestData($"'{type}' is not a valid entity type.");
                        }
                        canonical["type"] = context.ExpandTerm(type);
                        break;
                    default:
                        throw NgsiLdException.BadRequestData($"'{member}' is not a member of EntityInfo (id, idPattern, type).");
                }
            }
            if (canonical["type"] is null)
            {
                throw NgsiLdException.BadRequestData("Every EntityInfo needs a type.");
            }
            if (canonical["id"] is not null && canonical["idPattern"] is not null)
            {
                throw NgsiLdException.BadRequestData("An EntityInfo has either id or idPattern, not both.");
            }
            result.Add(canonical);
        }
        return result;
    }

    /// <summary>Checks a regular expression the way queries do (non-backtracking engine, bounded).</summary>
    public static void ValidatePattern(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.NonBacktracking, TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw NgsiLdException.BadRequestData($"idPattern '{pattern}' is not a supported regular expression: {e.Message}");
        }
    }

    private static JsonArray Names(JsonNode? value, string member, JsonLdContext context)
    {
        if (value is not JsonArray array || array.Count == 0)
        {
            throw NgsiLdException.BadRequestData($"information.{member} must be a non-empty array of attribute names.");
        }
        var result = new JsonArray();
        foreach (var element in array)
        {
            var name = String(element, member);
            if (!NgsiNames.IsValidName(name) || NgsiNames.IsReservedEntityMember(name))
            {
                throw NgsiLdException.BadRequestData($"'{name}' in {member} is not a valid attribute name.");
            }
            result.Add(context.ExpandTerm(name));
        }
        return result;
    }

    private static (RegistrationMode Mode, string Text) Mode(JsonNode? value) => String(value, "mode") switch
    {
        "inclusive" => (RegistrationMode.Inclusive, "inclusive"),
        "exclusive" => (RegistrationMode.Exclusive, "exclusive"),
        "redirect" => (RegistrationMode.Redirect, "redirect"),
        "auxiliary" => (RegistrationMode.Auxiliary, "auxiliary"),
        var other => throw NgsiLdException.BadRequestData($"mode '{other}' is not one of inclusive, exclusive, redirect, auxiliary."),
    };

    private static JsonArray Operations(JsonNode? value)
    {
        if (value is not JsonArray array || array.Count == 0)
        {
            throw NgsiLdException.BadRequestData("operations must be a non-empty array of operation names or groups.");
        }
        var names = array.Select(o => String(o, "operations")).ToList();
        if (!RegistrationOperations.TryExpand(names, out _, out var unknown))
        {
            throw NgsiLdException.BadRequestData($"'{unknown}' in operations is not an NGSI-LD operation or operation group.");
        }
        return new JsonArray([.. names.Select(n => (JsonNode)JsonValue.Create(n))]);
    }

    private static JsonArray ContextSourceInfo(JsonNode? value)
    {
        if (value is not JsonArray array)
        {
            throw NgsiLdException.BadRequestData("contextSourceInfo must be an array of {key, value}.");
        }
        var result = new JsonArray();
        foreach (var element in array)
        {
            if (element is not JsonObject pair || pair.Count != 2)
            {
                throw NgsiLdException.BadRequestData("Every contextSourceInfo element must be an object with exactly key and value.");
            }
            var key = String(pair["key"], "contextSourceInfo.key");
            var text = String(pair["value"], "contextSourceInfo.value");
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                throw NgsiLdException.BadRequestData($"contextSourceInfo key '{key}' is not a valid HTTP header name.");
            }
            if (text.Any(c => c is '\r' or '\n' or '\0'))
            {
                throw NgsiLdException.BadRequestData($"contextSourceInfo value of '{key}' contains line breaks.");
            }
            result.Add(new JsonObject { ["key"] = key, ["value"] = text });
        }
        return result;
    }

    private static string Alias(JsonNode? value)
    {
        var alias = String(value, "contextSourceAlias");
        if (!IsValidAlias(alias))
        {
            throw NgsiLdException.BadRequestData("contextSourceAlias must be 1-128 characters without whitespace, commas or quotes.");
        }
        return alias;
    }

    /// <summary>Whether a text can be a context source alias (one token of a Via header).</summary>
    public static bool IsValidAlias(string alias) =>
        alias.Length is > 0 and <= 128 && alias.All(c => c > ' ' && c < 0x7f && c is not (',' or '"' or '(' or ')'));

    private static string TenantName(JsonNode? value)
    {
        var tenant = String(value, "tenant");
        if (tenant.Length is 0 or > 128 || !tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/'))
        {
            throw NgsiLdException.BadRequestData("tenant must be 1-128 letters, digits or _-.:/ characters.");
        }
        return tenant;
    }

    private static JsonArray Scopes(JsonNode? value)
    {
        var scopes = value is JsonArray array ? array.Select(s => String(s, "scope")).ToList() : [String(value, "scope")];
        foreach (var scope in scopes)
        {
            if (!NgsiNames.IsValidScope(scope))
            {
                throw NgsiLdException.BadRequestData($"'{scope}' is not a valid scope.");
            }
        }
        return new JsonArray([.. scopes.Select(s => (JsonNode)JsonValue.Create(s))]);
    }

    private static JsonNode Geometry(JsonNode? value, string member)
    {
        if (GeoJsonGeometry.TryRead(value) is null)
        {
            throw NgsiLdException.BadRequestData($"'{member}' must be a valid GeoJSON geometry.");
        }
        return value!.DeepClone();
    }

    private static JsonObject Interval(JsonNode? value, string member)
    {
        if (value is not JsonObject interval)
        {
            throw NgsiLdException.BadRequestData($"'{member}' must be an object with startAt and optionally endAt.");
        }
        DateTimeOffset? start = null;
        DateTimeOffset? end = null;
        foreach (var (name, time) in interval)
        {
            var text = String(time, $"{member}.{name}");
            if (!NgsiNames.TryParseDateTime(text, out var parsed))
            {
                throw NgsiLdException.BadRequestData($"'{member}.{name}' must be an ISO 8601 date-time.");
            }
            switch (name)
            {
                case "startAt": start = parsed; break;
                case "endAt": end = parsed; break;
                default: throw NgsiLdException.BadRequestData($"'{name}' is not a member of a TimeInterval (startAt, endAt).");
            }
        }
        if (start is null)
        {
            throw NgsiLdException.BadRequestData($"'{member}' needs startAt.");
        }
        if (end is not null && end <= start)
        {
            throw NgsiLdException.BadRequestData($"'{member}' ends before it starts (endAt must be after startAt).");
        }
        return (JsonObject)interval.DeepClone();
    }

    private static string ExpiresAt(JsonNode? value, DateTimeOffset now)
    {
        var text = String(value, "expiresAt");
        if (!NgsiNames.TryParseDateTime(text, out var expires))
        {
            throw NgsiLdException.BadRequestData("expiresAt must be an ISO 8601 date-time.");
        }
        if (expires <= now)
        {
            throw NgsiLdException.BadRequestData("expiresAt lies in the past.");
        }
        return text;
    }

    private static JsonArray DatasetIds(JsonNode? value)
    {
        var ids = value is JsonArray array ? array.Select(d => Uri(d, "datasetId")).ToList() : [Uri(value, "datasetId")];
        return new JsonArray([.. ids.Select(d => (JsonNode)JsonValue.Create(d))]);
    }

    private static string Duration(JsonNode? value, string member)
    {
        var text = String(value, member);
        try
        {
            if (!text.StartsWith('P') || System.Xml.XmlConvert.ToTimeSpan(text) < TimeSpan.Zero)
            {
                throw new FormatException();
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw NgsiLdException.BadRequestData($"'{member}' must be a non-negative ISO 8601 duration such as PT10S.");
        }
        return text;
    }

    private static JsonObject Management(JsonNode? value)
    {
        if (value is not JsonObject management)
        {
            throw NgsiLdException.BadRequestData("management must be an object (localOnly, timeout, cooldown, cacheDuration).");
        }
        var result = new JsonObject();
        foreach (var (member, memberValue) in management)
        {
            switch (member)
            {
                case "localOnly":
                    result[member] = memberValue is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                        ? b.GetValue<bool>()
                        : throw NgsiLdException.BadRequestData("management.localOnly must be true or false.");
                    break;
                case "timeout" or "cooldown":
                    if (memberValue is not JsonValue n || n.GetValueKind() != JsonValueKind.Number || !n.TryGetValue<double>(out var ms)
                        || ms < (member == "timeout" ? 1 : 0) || ms > TimeSpan.FromDays(1).TotalMilliseconds)
                    {
                        throw NgsiLdException.BadRequestData($"management.{member} must be a number of milliseconds ({(member == "timeout" ? "at least 1" : "0 or more")}, at most one day).");
                    }
                    result[member] = ms;
                    break;
                case "cacheDuration":
                    result[member] = Duration(memberValue, "management.cacheDuration");
                    break;
                default:
                    throw NgsiLdException.BadRequestData($"'{member}' is not a member of management (localOnly, timeout, cooldown, cacheDuration).");
            }
        }
        return result;
    }
}
