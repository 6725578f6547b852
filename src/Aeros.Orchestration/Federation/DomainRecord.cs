using System.Text.Json.Nodes;

namespace Aeros.Orchestration.Federation;

/// <summary>What the federator reads from a Domain entity.</summary>
/// <param name="Name">The domain name (the id after <c>urn:ngsi-ld:Domain:</c>).</param>
/// <param name="PublicUrl">The domain's public URL, or null if the entity has none (or an invalid one).</param>
/// <param name="Status">The <c>domainStatus</c> URN (e.g. <c>urn:ngsi-ld:DomainStatus:Functional</c>), or null.</param>
internal sealed record DomainRecord(string Name, Uri? PublicUrl, string? Status)
{
    public bool IsRemoved => Status is not null && Status.EndsWith(":Removed", StringComparison.Ordinal)
        || Status == "Removed";

    /// <summary>Reads a Domain entity in normalized, concise or simplified form; null if it is not one.</summary>
    public static DomainRecord? FromEntity(JsonNode? entity)
    {
        if (entity is not JsonObject obj || obj["id"]?.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return null;
        }
        var id = obj["id"]!.GetValue<string>();
        if (!id.StartsWith(ContinuumTerms.DomainIdPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var name = id[ContinuumTerms.DomainIdPrefix.Length..];
        if (!FederationOptions.IsValidDomainName(name))
        {
            return null;
        }
        Uri? url = null;
        if (Text(obj[ContinuumTerms.PublicUrl], "value") is { } urlText
            && Uri.TryCreate(urlText, UriKind.Absolute, out var parsed) && FederationOptionsValidator.IsHttpUrl(parsed))
        {
            url = parsed;
        }
        var status = Text(obj[ContinuumTerms.DomainStatus], "object") ?? Text(obj[ContinuumTerms.DomainStatus], "value");
        return new DomainRecord(name, url, status);
    }

    /// <summary>The string of an attribute: its <paramref name="member"/> in normalized form, or the value itself (simplified).</summary>
    private static string? Text(JsonNode? attribute, string member)
    {
        var node = attribute;
        if (node is JsonArray { Count: > 0 } instances)
        {
            node = instances[0];
        }
        if (node is JsonObject o)
        {
            node = o[member];
        }
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    /// <summary>The Domain entity a federator writes for itself (expanded names, no @context needed).</summary>
    public static JsonObject BuildEntity(string name, Uri publicUrl, string status, bool isEntrypoint, IEnumerable<string> owners)
    {
        var entity = new JsonObject
        {
            ["id"] = ContinuumTerms.DomainId(name),
            ["type"] = ContinuumTerms.Domain,
            [ContinuumTerms.PublicUrl] = new JsonObject { ["type"] = "Property", ["value"] = FederationRegistrations.EndpointText(publicUrl) },
            [ContinuumTerms.DomainStatus] = new JsonObject { ["type"] = "Relationship", ["object"] = status },
            [ContinuumTerms.IsEntrypoint] = new JsonObject { ["type"] = "Property", ["value"] = isEntrypoint },
        };
        var ownerIds = owners.Select(OwnerId).Distinct(StringComparer.Ordinal).ToList();
        if (ownerIds.Count > 0)
        {
            entity[ContinuumTerms.Owner] = new JsonObject
            {
                ["type"] = "Relationship",
                ["object"] = ownerIds.Count == 1 ? JsonValue.Create(ownerIds[0]) : new JsonArray(ownerIds.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()),
            };
        }
        return entity;
    }

    /// <summary>
    /// Whether <paramref name="current"/> already has every attribute of <paramref name="desired"/> with the same
    /// type, value and object (other attributes and sub-attributes do not matter), so writing it would change nothing.
    /// </summary>
    public static bool Holds(JsonObject? current, JsonObject desired)
    {
        if (current is null)
        {
            return false;
        }
        foreach (var (name, wanted) in desired)
        {
            if (name is "id" or "type" or "@context")
            {
                continue;
            }
            if (current[name] is not JsonObject have || wanted is not JsonObject want)
            {
                return false;
            }
            foreach (var member in new[] { "type", "value", "object" })
            {
                if (!JsonNode.DeepEquals(have[member], want[member]))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>An owner as a URI: kept if it already is one, else <c>urn:ngsi-ld:Organization:&lt;name&gt;</c>.</summary>
    public static string OwnerId(string owner) =>
        Uri.TryCreate(owner, UriKind.Absolute, out _) && owner.Contains(':', StringComparison.Ordinal)
            ? owner
            : ContinuumTerms.OrganizationIdPrefix + owner;
}
