using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Aeros.Broker.Query;

namespace Aeros.Broker.Registrations;

/// <summary>
/// What a request asks for, for matching registrations (§5.12): entity ids or an id pattern, types, attribute
/// names (all expanded), or several selectors of a POST query.
/// </summary>
internal sealed class RegistrationFilter
{
    public IReadOnlyList<string>? Ids { get; init; }

    public string? IdPattern { get; init; }

    public TypeExpression? Types { get; init; }

    /// <summary>Alternative selectors (POST query <c>entities</c>); a registration matches if one of them does.</summary>
    public IReadOnlyList<EntitySelector>? Selectors { get; init; }

    /// <summary>The types of the entity a provision concerns (expanded); an EntityInfo must name one of them.</summary>
    public IReadOnlyList<string>? EntityTypes { get; init; }

    /// <summary>Requested attribute names (expanded), or null for all.</summary>
    public IReadOnlyCollection<string>? Attrs { get; init; }

    /// <summary>Requested datasetIds; a registration with datasetIds must share one.</summary>
    public IReadOnlyCollection<string>? DatasetIds { get; init; }

    /// <summary>A geo-query; a registration with a <c>location</c> must lie where it asks.</summary>
    public GeoQuery? Geo { get; init; }

    /// <summary>A scope query; a registration with scopes must have a matching one.</summary>
    public ScopeExpression? ScopeQ { get; init; }
}

/// <summary>Matching of requests against registrations (ETSI GS CIM 009 §5.12).</summary>
internal static class RegistrationMatcher
{
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether the registration matches, and which of its attributes are concerned: null when it serves every
    /// attribute of the matched entities, else the registered names (narrowed to the requested ones).
    /// </summary>
    public static bool Matches(ContextSourceRegistration registration, RegistrationFilter filter, out IReadOnlySet<string>? attributes)
    {
        attributes = null;
        if (!RegistrationLevelMatches(registration, filter))
        {
            return false;
        }
        HashSet<string>? names = null;
        var matched = false;
        var all = false;
        foreach (var info in registration.Information)
        {
            if (!InfoMatches(info, filter))
            {
                continue;
            }
            matched = true;
            if (!info.HasNames)
            {
                all = true;
                continue;
            }
            names ??= new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in info.Names)
            {
                if (filter.Attrs is null || filter.Attrs.Contains(name))
                {
                    names.Add(name);
                }
            }
        }
        if (matched && !all)
        {
            attributes = names;
        }
        return matched;
    }

    /// <summary>
    /// The registration-wide conditions (§5.12): shared datasetId, geo-query against <c>location</c>, scopeQ against
    /// <c>scope</c>. A registration without the member is not restricted by it.
    /// </summary>
    private static bool RegistrationLevelMatches(ContextSourceRegistration registration, RegistrationFilter filter)
    {
        if (filter.DatasetIds is { Count: > 0 } datasetIds && registration.DatasetIds is { Count: > 0 } registered
            && !registered.Any(d => datasetIds.Contains(d) || (d == "@none" && datasetIds.Contains("@none"))))
        {
            return false;
        }
        if (filter.ScopeQ is not null && registration.Scopes is not null && !filter.ScopeQ.Matches(registration.Scopes))
        {
            return false;
        }
        if (filter.Geo is { } geo && registration.Location is { } location)
        {
            // The location is the area the source covers: near asks for its distance, other relations for overlap.
            return geo.Relation == GeoRelation.Near ? geo.Matches(location) : location.Intersects(geo.Reference);
        }
        return true;
    }

    /// <summary>Whether one RegistrationInfo matches the filter: an entity selector and the attribute names.</summary>
    public static bool InfoMatches(RegistrationInfo info, RegistrationFilter filter)
    {
        if (filter.Attrs is { Count: > 0 } attrs && info.HasNames && !info.Names.Any(attrs.Contains))
        {
            return false;
        }
        if (info.Entities is null)
        {
            return true;
        }
        foreach (var entity in info.Entities)
        {
            if (filter.Selectors is { Count: > 0 } selectors)
            {
                foreach (var selector in selectors)
                {
                    if (EntityMatches(entity, selector.Id is null ? null : [selector.Id], selector.IdPattern, selector.Types, null))
                    {
                        return true;
                    }
                }
            }
            else if (EntityMatches(entity, filter.Ids, filter.IdPattern, filter.Types, filter.EntityTypes))
            {
                return true;
            }
        }
        return false;
    }

    private static bool EntityMatches(RegisteredEntity entity, IReadOnlyList<string>? ids, string? idPattern, TypeExpression? types, IReadOnlyList<string>? entityTypes)
    {
        if (entityTypes is not null && !entityTypes.Contains(entity.Type))
        {
            return false;
        }
        if (types is not null && !types.IsWildcard && !types.Matches([entity.Type]))
        {
            return false;
        }
        if (entity.Id is null && entity.IdPattern is null)
        {
            return true;
        }
        if (ids is { Count: > 0 })
        {
            foreach (var id in ids)
            {
                if (entity.Id is not null ? entity.Id == id : IsMatch(entity.IdPattern!, id))
                {
                    return true;
                }
            }
            return false;
        }
        if (idPattern is not null)
        {
            // Two patterns cannot be compared cheaply: they are taken as matching (the source filters).
            return entity.Id is null || IsMatch(idPattern, entity.Id);
        }
        return true;
    }

    /// <summary>Whether the whole id matches the pattern (bounded in time; a pattern that times out does not match).</summary>
    public static bool IsMatch(string pattern, string id)
    {
        if (!Patterns.TryGetValue(pattern, out var regex))
        {
            try
            {
                regex = new Regex("^(?:" + pattern + ")$", RegexOptions.NonBacktracking, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException)
            {
                return false;
            }
            if (Patterns.Count > 1024)
            {
                Patterns.Clear();
            }
            Patterns[pattern] = regex;
        }
        try
        {
            return regex.IsMatch(id);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
