using Aeros.JsonLd;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>
/// Which attributes the value index covers (<see cref="BrokerOptions.IndexedAttributes"/>). Indexing costs every
/// write one index row per scalar, so by default nothing is indexed and an operator names the attributes that
/// selective queries use; <c>*</c> indexes every attribute. A q term on an attribute outside the policy is never
/// pushed down (its rows would be missing from the index).
/// </summary>
internal sealed class AttributeIndexPolicy
{
    private readonly HashSet<string>? _names;

    private AttributeIndexPolicy(HashSet<string>? names) => _names = names;

    /// <summary>Indexes every attribute.</summary>
    public static AttributeIndexPolicy All { get; } = new(null);

    /// <summary>Indexes nothing.</summary>
    public static AttributeIndexPolicy None { get; } = new([]);

    /// <summary>True when nothing is indexed (writes skip the index entirely).</summary>
    public bool IsEmpty => _names is { Count: 0 };

    /// <summary>
    /// Builds the policy from configured names: <c>*</c> for all, else attribute names as full IRIs or as terms
    /// of the NGSI-LD core context (so <c>hostname</c> means <c>https://uri.etsi.org/ngsi-ld/default-context/hostname</c>).
    /// </summary>
    public static AttributeIndexPolicy From(IEnumerable<string>? configured)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in configured ?? [])
        {
            var trimmed = name.Trim();
            if (trimmed == "*")
            {
                return All;
            }
            if (trimmed.Length > 0)
            {
                names.Add(JsonLdContext.Core.ExpandTerm(trimmed));
            }
        }
        return names.Count == 0 ? None : new AttributeIndexPolicy(names);
    }

    /// <summary>Whether the attribute (expanded name) is indexed.</summary>
    public bool Indexes(string expandedName) => _names is null || _names.Contains(expandedName);

    /// <summary>A stable text naming the policy; stored with the index so a change rebuilds it at start.</summary>
    public string Fingerprint => _names is null ? "*" : string.Join('\n', _names.Order(StringComparer.Ordinal));
}
