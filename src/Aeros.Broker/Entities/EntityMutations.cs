using System.Text.Json.Nodes;
using Aeros.Broker.Errors;
using Aeros.Broker.Model;

namespace Aeros.Broker.Entities;

/// <summary>What an attribute operation did (UpdateResult, §5.2.18); names are expanded.</summary>
internal sealed class UpdateOutcome
{
    public List<string> Updated { get; } = [];

    public List<(string Name, string Reason)> NotUpdated { get; } = [];

    public bool Changed { get; set; }
}

/// <summary>
/// The NGSI-LD write semantics on the entity model (§5.5.8 partial update, §5.5.12 merge, §5.6 operations).
/// Pure functions: they change the entity they are given and never touch storage.
/// </summary>
internal static class EntityMutations
{
    public const string ScopeMember = "scope";

    public static Entity NewEntity(EntityPayload payload, DateTimeOffset now)
    {
        var entity = new Entity
        {
            Id = payload.Id!,
            Types = [.. payload.Types],
            Scopes = payload.Scopes is { Count: > 0 } ? [.. payload.Scopes] : null,
            CreatedAt = now,
            ModifiedAt = now,
        };
        foreach (var (name, instances) in payload.Attributes)
        {
            entity.Attributes[name] = instances;
        }
        return entity;
    }

    /// <summary>Replace Entity: everything but the id and createdAt comes from the payload.</summary>
    public static Entity Replace(Entity existing, EntityPayload payload, DateTimeOffset now)
    {
        payload.Id = existing.Id;
        var replacement = NewEntity(payload, now);
        replacement.CreatedAt = existing.CreatedAt;
        return replacement;
    }

    /// <summary>Append Attributes (§5.6.3): adds attributes; overwrites existing instances unless noOverwrite.</summary>
    public static UpdateOutcome Append(Entity entity, EntityPayload payload, bool noOverwrite, DateTimeOffset now)
    {
        var outcome = new UpdateOutcome();
        AddTypes(entity, payload, outcome);
        if (payload.Scopes is not null)
        {
            var merged = noOverwrite ? (entity.Scopes ?? []).Union(payload.Scopes).ToList() : payload.Scopes;
            entity.Scopes = merged.Count > 0 ? merged : null;
            outcome.Updated.Add(ScopeMember);
            outcome.Changed = true;
        }
        foreach (var (name, instances) in payload.Attributes)
        {
            var any = false;
            foreach (var instance in instances)
            {
                var current = entity.Attributes.FindInstance(name, instance.DatasetId);
                if (current is not null && noOverwrite)
                {
                    continue;
                }
                Put(entity, name, instance, current, now);
                any = true;
            }
            if (any)
            {
                outcome.Updated.Add(name);
                outcome.Changed = true;
            }
            else
            {
                outcome.NotUpdated.Add((name, "The attribute exists and noOverwrite was requested."));
            }
        }
        Touch(entity, outcome, now);
        return outcome;
    }

    /// <summary>
    /// Update Attributes (§5.6.2, 1.8): replaces targeted instances, appends missing attributes, deletes instances
    /// set to NGSI-LD Null; replaces scope only if the entity already has one.
    /// </summary>
    public static UpdateOutcome Update(Entity entity, EntityPayload payload, DateTimeOffset now)
    {
        var outcome = new UpdateOutcome();
        AddTypes(entity, payload, outcome);
        if (payload.Scopes is not null)
        {
            if (entity.Scopes is null)
            {
                outcome.NotUpdated.Add((ScopeMember, "The entity has no scope to update."));
            }
            else
            {
                entity.Scopes = payload.ScopeIsNull || payload.Scopes.Count == 0 ? null : [.. payload.Scopes];
                outcome.Updated.Add(ScopeMember);
                outcome.Changed = true;
            }
        }
        foreach (var (name, instances) in payload.Attributes)
        {
            var updated = false;
            string? reason = null;
            foreach (var instance in instances)
            {
                var current = entity.Attributes.FindInstance(name, instance.DatasetId);
                if (EntityParser.IsDeletion(instance))
                {
                    if (current is null)
                    {
                        reason = "The attribute instance to delete does not exist.";
                        continue;
                    }
                    RemoveInstance(entity.Attributes, name, current);
                    updated = true;
                    continue;
                }
                Put(entity, name, instance, current, now);
                updated = true;
            }
            if (updated)
            {
                outcome.Updated.Add(name);
                outcome.Changed = true;
            }
            else
            {
                outcome.NotUpdated.Add((name, reason ?? "Nothing to update."));
            }
        }
        Touch(entity, outcome, now);
        return outcome;
    }

    /// <summary>Merge Entity (§5.5.12): deep merge down to JSON values; NGSI-LD Null deletes.</summary>
    public static UpdateOutcome Merge(Entity entity, EntityPayload payload, DateTimeOffset now)
    {
        var outcome = new UpdateOutcome();
        AddTypes(entity, payload, outcome);
        if (payload.Scopes is not null)
        {
            entity.Scopes = payload.ScopeIsNull || payload.Scopes.Count == 0 ? null : [.. payload.Scopes];
            outcome.Updated.Add(ScopeMember);
            outcome.Changed = true;
        }
        foreach (var (name, instances) in payload.Attributes)
        {
            foreach (var instance in instances)
            {
                var current = entity.Attributes.FindInstance(name, instance.DatasetId);
                if (EntityParser.IsDeletion(instance))
                {
                    if (current is not null)
                    {
                        RemoveInstance(entity.Attributes, name, current);
                    }
                }
                else if (current is null)
                {
                    Put(entity, name, instance, null, now);
                }
                else
                {
                    MergeInstance(current, instance, now);
                }
            }
            outcome.Updated.Add(name);
            outcome.Changed = true;
        }
        Touch(entity, outcome, now);
        return outcome;
    }

    /// <summary>
    /// Partial Attribute Update (§5.6.4): overwrites only the members the fragment gives; the instance must exist
    /// and keep its type.
    /// </summary>
    public static void PartialUpdate(Entity entity, string name, NgsiAttribute fragment, IReadOnlySet<string> givenMembers, DateTimeOffset now)
    {
        var current = entity.Attributes.FindInstance(name, fragment.DatasetId)
            ?? throw NgsiLdException.NotFound(fragment.DatasetId is null
                ? $"Entity {entity.Id} has no default instance of attribute '{name}'."
                : $"Entity {entity.Id} has no instance of attribute '{name}' with datasetId {fragment.DatasetId}.");
        if (givenMembers.Contains("type") && fragment.Kind != current.Kind)
        {
            throw NgsiLdException.BadRequestData($"Attribute '{name}' is a {AttributeKinds.TypeName(current.Kind)}; a partial update cannot change its type.");
        }
        if (givenMembers.Contains(AttributeKinds.ValueMember(current.Kind)))
        {
            if (EntityParser.IsDeletion(fragment))
            {
                RemoveInstance(entity.Attributes, name, current);
                entity.ModifiedAt = now;
                return;
            }
            current.Value = fragment.Value;
        }
        if (givenMembers.Contains("observedAt"))
        {
            current.ObservedAt = fragment.ObservedAt;
        }
        if (givenMembers.Contains("unitCode"))
        {
            current.UnitCode = fragment.UnitCode;
        }
        if (givenMembers.Contains("objectType"))
        {
            current.ObjectType = fragment.ObjectType;
        }
        if (fragment.SubAttributes is not null)
        {
            current.SubAttributes ??= new AttributeMap();
            foreach (var (subName, subInstances) in fragment.SubAttributes)
            {
                if (EntityParser.IsDeletion(subInstances[0]))
                {
                    current.SubAttributes.Remove(subName);
                }
                else
                {
                    current.SubAttributes[subName] = subInstances;
                }
            }
            if (current.SubAttributes.Count == 0)
            {
                current.SubAttributes = null;
            }
        }
        current.ModifiedAt = now;
        entity.ModifiedAt = now;
    }

    /// <summary>Replace Attribute (§5.6.19): all instances, or the one with the datasetId; keeps createdAt.</summary>
    public static void ReplaceAttribute(Entity entity, string name, List<NgsiAttribute> instances, string? datasetId, DateTimeOffset now)
    {
        if (!entity.Attributes.TryGetValue(name, out var existing))
        {
            throw NgsiLdException.NotFound($"Entity {entity.Id} has no attribute '{name}'.");
        }
        if (datasetId is not null)
        {
            var current = existing.Find(i => i.DatasetId == datasetId)
                ?? throw NgsiLdException.NotFound($"Entity {entity.Id} has no instance of '{name}' with datasetId {datasetId}.");
            var replacement = instances[0];
            replacement.DatasetId = datasetId;
            replacement.CreatedAt = current.CreatedAt;
            replacement.ModifiedAt = now;
            existing[existing.IndexOf(current)] = replacement;
        }
        else
        {
            var created = existing.Count > 0 ? existing.Min(i => i.CreatedAt) : now;
            foreach (var instance in instances)
            {
                instance.CreatedAt = existing.Find(i => i.DatasetId == instance.DatasetId)?.CreatedAt ?? created;
                instance.ModifiedAt = now;
            }
            entity.Attributes[name] = instances;
        }
        entity.ModifiedAt = now;
    }

    /// <summary>Delete Attribute (§5.6.5): the default instance, one datasetId, or all instances.</summary>
    public static void DeleteAttribute(Entity entity, string name, string? datasetId, bool deleteAll, DateTimeOffset now)
    {
        if (!entity.Attributes.TryGetValue(name, out var instances))
        {
            throw NgsiLdException.NotFound($"Entity {entity.Id} has no attribute '{name}'.");
        }
        if (deleteAll)
        {
            entity.Attributes.Remove(name);
        }
        else
        {
            var target = instances.Find(i => i.DatasetId == datasetId)
                ?? throw NgsiLdException.NotFound(datasetId is null
                    ? $"Entity {entity.Id} has no default instance of attribute '{name}'."
                    : $"Entity {entity.Id} has no instance of attribute '{name}' with datasetId {datasetId}.");
            RemoveInstance(entity.Attributes, name, target);
        }
        entity.ModifiedAt = now;
    }

    private static void AddTypes(Entity entity, EntityPayload payload, UpdateOutcome outcome)
    {
        foreach (var type in payload.Types)
        {
            if (!entity.Types.Contains(type))
            {
                entity.Types.Add(type);
                outcome.Changed = true;
            }
        }
    }

    private static void Touch(Entity entity, UpdateOutcome outcome, DateTimeOffset now)
    {
        if (outcome.Changed)
        {
            entity.ModifiedAt = now;
        }
    }

    private static void Put(Entity entity, string name, NgsiAttribute instance, NgsiAttribute? current, DateTimeOffset now)
    {
        instance.ModifiedAt = now;
        if (current is null)
        {
            instance.CreatedAt = now;
            if (!entity.Attributes.TryGetValue(name, out var list))
            {
                entity.Attributes[name] = list = [];
            }
            list.Add(instance);
            return;
        }
        instance.CreatedAt = current.CreatedAt;
        var instances = entity.Attributes[name];
        instances[instances.IndexOf(current)] = instance;
    }

    private static void RemoveInstance(AttributeMap attributes, string name, NgsiAttribute instance)
    {
        var instances = attributes[name];
        instances.Remove(instance);
        if (instances.Count == 0)
        {
            attributes.Remove(name);
        }
    }

    private static void MergeInstance(NgsiAttribute current, NgsiAttribute patch, DateTimeOffset now)
    {
        if (patch.Kind != current.Kind)
        {
            current.Kind = patch.Kind;
            current.Value = patch.Value;
        }
        else if (current.Value is JsonObject target && patch.Value is JsonObject source && current.Kind is AttributeKind.Property or AttributeKind.LanguageProperty or AttributeKind.JsonProperty)
        {
            MergeJson(target, source);
        }
        else
        {
            current.Value = patch.Value;
        }
        current.ObservedAt = patch.ObservedAt ?? current.ObservedAt;
        current.UnitCode = patch.UnitCode ?? current.UnitCode;
        current.ObjectType = patch.ObjectType ?? current.ObjectType;
        if (patch.SubAttributes is not null)
        {
            current.SubAttributes ??= new AttributeMap();
            foreach (var (subName, subInstances) in patch.SubAttributes)
            {
                var sub = subInstances[0];
                var existing = current.SubAttributes.FindInstance(subName, sub.DatasetId);
                if (EntityParser.IsDeletion(sub))
                {
                    current.SubAttributes.Remove(subName);
                }
                else if (existing is null)
                {
                    current.SubAttributes[subName] = subInstances;
                }
                else
                {
                    MergeInstance(existing, sub, now);
                }
            }
            if (current.SubAttributes.Count == 0)
            {
                current.SubAttributes = null;
            }
        }
        current.ModifiedAt = now;
    }

    /// <summary>RFC 7396 merge of JSON objects, with NGSI-LD Null (and JSON null) removing members.</summary>
    private static void MergeJson(JsonObject target, JsonObject source)
    {
        foreach (var (key, value) in source.ToList())
        {
            if (value is null || EntityParser.IsNgsiNull(value))
            {
                target.Remove(key);
            }
            else if (value is JsonObject sourceChild && target[key] is JsonObject targetChild)
            {
                MergeJson(targetChild, sourceChild);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }
}
