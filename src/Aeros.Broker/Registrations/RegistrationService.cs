using System.Text.Json.Nodes;
using Aeros.Broker.Entities;
using Aeros.Broker.Errors;
using Aeros.Broker.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Registrations;

/// <summary>
/// Creates, updates and deletes registrations: durably in the store (as resources of kind
/// <see cref="ResourceKinds.Registration"/>), then in the in-memory <see cref="RegistrationRegistry"/>, then tells the
/// <see cref="IRegistrationObserver"/>s. Writes are serialized (registrations change rarely), so the registry always
/// reflects the store's order of changes.
/// </summary>
internal sealed partial class RegistrationService(
    IEntityStore store,
    RegistrationRegistry registry,
    IEnumerable<IRegistrationObserver> observers,
    TimeProvider time,
    ILogger<RegistrationService> logger)
{
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly IRegistrationObserver[] _observers = [.. observers];

    public DateTimeOffset Now() => time.GetUtcNow();

    public async Task<ContextSourceRegistration> CreateAsync(string tenant, JsonObject canonical, JsonNode? context, CancellationToken cancellationToken)
    {
        var now = Now();
        canonical["id"] ??= "urn:ngsi-ld:ContextSourceRegistration:" + Guid.NewGuid().ToString("N");
        var registration = RegistrationParser.Build(canonical, context, now, now);
        await _writes.WaitAsync(cancellationToken);
        try
        {
            CheckExclusiveConflicts(tenant, registration);
            var inserted = await store.WriteAsync(tenant, createTenant: true,
                session => session.InsertResource(ResourceKinds.Registration, registration.Id, Serialize(registration)), cancellationToken);
            if (!inserted)
            {
                throw NgsiLdException.AlreadyExists($"Registration {registration.Id} already exists.");
            }
            registry.Set(tenant, registration);
        }
        finally
        {
            _writes.Release();
        }
        Notify(tenant, null, registration);
        return registration;
    }

    /// <summary>Merges a canonical fragment into the registration (JSON null removes a member).</summary>
    public async Task UpdateAsync(string tenant, string id, JsonObject fragment, CancellationToken cancellationToken)
    {
        ContextSourceRegistration before;
        ContextSourceRegistration after;
        await _writes.WaitAsync(cancellationToken);
        try
        {
            before = registry.Get(tenant, id)?.Registration ?? throw NgsiLdException.NotFound($"Registration {id} was not found.");
            if (fragment["id"] is { } newId && newId.GetValue<string>() != id)
            {
                throw NgsiLdException.BadRequestData("The id of a registration cannot be changed.");
            }
            var document = (JsonObject)before.Document.DeepClone();
            foreach (var (member, value) in fragment)
            {
                if (value is null)
                {
                    if (member is "endpoint" or "information")
                    {
                        throw NgsiLdException.BadRequestData($"'{member}' is mandatory and cannot be removed.");
                    }
                    document.Remove(member);
                }
                else
                {
                    document[member] = value.DeepClone();
                }
            }
            after = RegistrationParser.Build(document, before.Context, before.CreatedAt, Now());
            CheckExclusiveConflicts(tenant, after);
            var updated = await store.WriteAsync(tenant, createTenant: false,
                session => session.UpdateResource(ResourceKinds.Registration, id, Serialize(after)), cancellationToken);
            if (!updated)
            {
                throw NgsiLdException.NotFound($"Registration {id} was not found.");
            }
            registry.Set(tenant, after);
        }
        finally
        {
            _writes.Release();
        }
        Notify(tenant, before, after);
    }

    public async Task DeleteAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        ContextSourceRegistration before;
        await _writes.WaitAsync(cancellationToken);
        try
        {
            before = registry.Get(tenant, id)?.Registration ?? throw NgsiLdException.NotFound($"Registration {id} was not found.");
            await store.WriteAsync(tenant, createTenant: false,
                session => session.DeleteResource(ResourceKinds.Registration, id), cancellationToken);
            registry.Remove(tenant, id);
        }
        finally
        {
            _writes.Release();
        }
        Notify(tenant, before, null);
    }

    /// <summary>
    /// Applies a change another broker process made to a stored registration (replicas sharing a database). It
    /// only updates the registry: that process notified the registration subscriptions already.
    /// </summary>
    public Task ApplyStoredChangeAsync(StoredResourceChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Json is null)
        {
            registry.Remove(change.Tenant, change.Id);
            return Task.CompletedTask;
        }
        try
        {
            registry.Set(change.Tenant, Deserialize(change.Json));
        }
        catch (Exception e) when (e is NgsiLdException or System.Text.Json.JsonException or InvalidOperationException or FormatException or NullReferenceException)
        {
            LogUnreadable(logger, e, change.Id, change.Tenant);
        }
        return Task.CompletedTask;
    }

    /// <summary>Reads every stored registration into the registry (at start).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var resource in await store.ListResourcesAsync(ResourceKinds.Registration, cancellationToken))
        {
            try
            {
                registry.Set(resource.Tenant, Deserialize(resource.Json));
            }
            catch (Exception e) when (e is NgsiLdException or System.Text.Json.JsonException or InvalidOperationException or FormatException or NullReferenceException)
            {
                // One unreadable registration must not keep the broker from starting; it is reported and skipped.
                LogUnreadable(logger, e, resource.Id, resource.Tenant);
            }
        }
    }

    /// <summary>
    /// Two exclusive registrations may not claim the same attribute of the same entity: the data would have two
    /// owners (§4.3.6.3).
    /// </summary>
    private void CheckExclusiveConflicts(string tenant, ContextSourceRegistration registration)
    {
        if (registration.Mode != RegistrationMode.Exclusive)
        {
            return;
        }
        var claimed = Claims(registration).ToHashSet();
        foreach (var other in registry.For(tenant))
        {
            if (other.Registration.Id != registration.Id && other.Registration.Mode == RegistrationMode.Exclusive
                && Claims(other.Registration).FirstOrDefault(claimed.Contains) is ({ } entityId, { } attribute))
            {
                throw new NgsiLdException(ErrorTypes.Conflict, "Conflict", 409,
                    $"Attribute {attribute} of entity {entityId} is already registered exclusively by {other.Registration.Id}.");
            }
        }
    }

    private static IEnumerable<(string EntityId, string Attribute)> Claims(ContextSourceRegistration registration) =>
        from info in registration.Information
        from entity in info.Entities ?? []
        where entity.Id is not null
        from name in info.Names
        select (entity.Id!, name);

    private void Notify(string tenant, ContextSourceRegistration? before, ContextSourceRegistration? after)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnRegistrationChanged(tenant, before, after);
            }
            catch (Exception e)
            {
                // Observers must not throw; if one does, the change itself stands.
                LogObserverFailed(logger, e, observer.GetType().Name);
            }
        }
    }

    private static string Serialize(ContextSourceRegistration registration) => new JsonObject
    {
        ["@context"] = registration.Context?.DeepClone(),
        ["createdAt"] = NgsiNames.FormatTimestamp(registration.CreatedAt),
        ["modifiedAt"] = NgsiNames.FormatTimestamp(registration.ModifiedAt),
        ["registration"] = registration.Document.DeepClone(),
    }.ToJsonString();

    private static ContextSourceRegistration Deserialize(string json)
    {
        var stored = JsonNode.Parse(json)!.AsObject();
        NgsiNames.TryParseDateTime(stored["createdAt"]!.GetValue<string>(), out var createdAt);
        NgsiNames.TryParseDateTime(stored["modifiedAt"]!.GetValue<string>(), out var modifiedAt);
        return RegistrationParser.Build((JsonObject)stored["registration"]!.DeepClone(), stored["@context"], createdAt, modifiedAt);
    }
}

/// <summary>Loads the stored registrations when the host starts (after the store is initialized).</summary>
internal sealed class RegistrationLoader(RegistrationService service, ResourceChangeFeed resources) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await service.LoadAsync(cancellationToken);
        resources.Subscribe(ResourceKinds.Registration, service.ApplyStoredChangeAsync);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
