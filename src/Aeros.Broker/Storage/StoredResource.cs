namespace Aeros.Broker.Storage;

/// <summary>
/// A broker resource other than an entity — a subscription, a context source registration, a registration
/// subscription — stored as its JSON document (expanded names) next to the entities, so it survives restarts
/// and commits atomically with them.
/// </summary>
internal sealed record StoredResource(string Kind, string Tenant, string Id, string Json);

/// <summary>The kinds of <see cref="StoredResource"/>.</summary>
internal static class ResourceKinds
{
    public const string Subscription = "subscription";
    public const string Registration = "csourceRegistration";
    public const string RegistrationSubscription = "csourceSubscription";
}
