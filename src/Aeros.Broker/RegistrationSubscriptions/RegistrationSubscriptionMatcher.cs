using System.Text.Json.Nodes;
using Aeros.Broker.Query;
using Aeros.Broker.Registrations;
using Aeros.Broker.Subscriptions;

namespace Aeros.Broker.RegistrationSubscriptions;

/// <summary>
/// Matches a subscription of /csourceSubscriptions against context source registrations (ETSI GS CIM 009 §5.11,
/// with the §5.12 rules): <c>entities</c> against the registered EntityInfo (type, id, idPattern),
/// <c>watchedAttributes</c> against propertyNames/relationshipNames, <c>geoQ</c> against <c>location</c>,
/// <c>scopeQ</c> against <c>scope</c>, <c>datasetId</c>, and <c>q</c> and <c>csf</c> against the context source properties.
/// Expired registrations never match.
/// </summary>
internal static class RegistrationSubscriptionMatcher
{
    /// <summary>
    /// The RegistrationInfo entries of <paramref name="registration"/> the subscription matches (expanded, in
    /// document order), or null when the registration does not match.
    /// </summary>
    public static JsonArray? MatchingInformation(Subscription subscription, ContextSourceRegistration registration, DateTimeOffset now)
    {
        if (registration.IsExpired(now))
        {
            return null;
        }
        var filter = Filter(subscription);
        if (!RegistrationMatcher.Matches(registration, filter, out _))
        {
            return null;
        }
        if (subscription.Q is not null || subscription.Csf is not null)
        {
            var properties = DiscoveryCriteria.PropertiesEntity(registration);
            if ((subscription.Q is { } q && !q.Matches(properties)) || (subscription.Csf is { } csf && !csf.Matches(properties)))
            {
                return null;
            }
        }
        var matching = new JsonArray();
        var documented = registration.Document["information"] as JsonArray;
        for (var i = 0; i < registration.Information.Count; i++)
        {
            if (RegistrationMatcher.InfoMatches(registration.Information[i], filter) && documented?[i] is { } info)
            {
                matching.Add(info.DeepClone());
            }
        }
        return matching;
    }

    private static RegistrationFilter Filter(Subscription s) => new()
    {
        Selectors = s.Entities?.Select(e => new EntitySelector(e.Id, e.IdPattern, e.Types)).ToList(),
        Attrs = s.WatchedAttributes,
        DatasetIds = s.DatasetIds,
        Geo = s.GeoQ,
        ScopeQ = s.ScopeQ,
    };
}
