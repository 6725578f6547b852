using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Subscriptions;

/// <summary>
/// What one committed change did to the attributes a subscription watches (§5.8.6): which triggers it fires, and
/// which instances were updated or deleted (for showChanges and deletion notifications). An instance counts as
/// updated only when its value or another member really changed (not just modifiedAt).
/// </summary>
internal sealed class ChangeAnalysis
{
    public NotificationTriggers Fired { get; private set; }

    /// <summary>Updated instances of the new entity with their previous instance.</summary>
    public List<(NgsiAttribute After, NgsiAttribute Before)>? Updated { get; private set; }

    /// <summary>Deleted instances (of the entity before) with their attribute name.</summary>
    public List<(string Name, NgsiAttribute Before)>? Deleted { get; private set; }

    /// <summary>Analyses a change; <paramref name="watched"/> null means all attributes.</summary>
    public static ChangeAnalysis Analyze(Entity? before, Entity? after, IReadOnlyList<string>? watched, IReadOnlyList<string>? datasetIds)
    {
        var result = new ChangeAnalysis();
        if (before is null && after is not null)
        {
            if (watched is null || HasAny(after, watched, datasetIds))
            {
                result.Fired |= NotificationTriggers.EntityCreated;
            }
            if (HasAny(after, watched, datasetIds))
            {
                result.Fired |= NotificationTriggers.AttributeCreated;
            }
            return result;
        }
        if (after is null && before is not null)
        {
            if (watched is null || HasAny(before, watched, datasetIds))
            {
                result.Fired |= NotificationTriggers.EntityDeleted;
            }
            foreach (var (name, instances) in before.Attributes)
            {
                if (watched is not null && !Contains(watched, name))
                {
                    continue;
                }
                foreach (var instance in instances)
                {
                    if (Selected(instance, datasetIds))
                    {
                        (result.Deleted ??= []).Add((name, instance));
                    }
                }
            }
            if (result.Deleted is not null)
            {
                result.Fired |= NotificationTriggers.AttributeDeleted;
            }
            return result;
        }
        if (before is null || after is null)
        {
            return result;
        }
        if (watched is null)
        {
            foreach (var (name, instances) in after.Attributes)
            {
                result.Compare(name, before.Attributes.TryGetValue(name, out var old) ? old : null, instances, datasetIds);
            }
            foreach (var (name, instances) in before.Attributes)
            {
                if (!after.Attributes.ContainsKey(name))
                {
                    result.Compare(name, instances, null, datasetIds);
                }
            }
            if (!SameStrings(before.Scopes, after.Scopes) || !SameStrings(before.Types, after.Types))
            {
                result.Fired |= NotificationTriggers.EntityUpdated;
            }
        }
        else
        {
            foreach (var name in watched)
            {
                before.Attributes.TryGetValue(name, out var old);
                after.Attributes.TryGetValue(name, out var current);
                if (old is not null || current is not null)
                {
                    result.Compare(name, old, current, datasetIds);
                }
            }
        }
        if ((result.Fired & (NotificationTriggers.AttributeCreated | NotificationTriggers.AttributeUpdated | NotificationTriggers.AttributeDeleted)) != 0)
        {
            result.Fired |= NotificationTriggers.EntityUpdated;
        }
        return result;
    }

    /// <summary>
    /// The triggers a change fires for a subscription watching named attributes, read from the stored bytes (the
    /// same answer as <see cref="Analyze"/> on decoded entities), or null when the bytes do not tell — sub-attributes,
    /// or object and array values written differently — and the decoded entities must be compared.
    /// </summary>
    /// <param name="before">The stored entity before the change and where each watched attribute is in it (null for a creation).</param>
    /// <param name="after">The same after the change (null for a deletion).</param>
    /// <param name="datasetIds">The subscription's datasetId filter, or null.</param>
    public static NotificationTriggers? AnalyzeStored(StoredWatch? before, StoredWatch? after, IReadOnlyList<string>? datasetIds)
    {
        if (before is null && after is not null)
        {
            return after.HasAny(datasetIds) ? NotificationTriggers.EntityCreated | NotificationTriggers.AttributeCreated : NotificationTriggers.None;
        }
        if (after is null && before is not null)
        {
            return before.HasAny(datasetIds) ? NotificationTriggers.EntityDeleted | NotificationTriggers.AttributeDeleted : NotificationTriggers.None;
        }
        if (before is null || after is null)
        {
            return NotificationTriggers.None;
        }
        var fired = NotificationTriggers.None;
        for (var i = 0; i < after.Count; i++)
        {
            var old = before.Instances(i);
            var current = after.Instances(i);
            foreach (var instance in current)
            {
                if (!Selected(instance.DatasetId, datasetIds))
                {
                    continue;
                }
                if (Find(old, instance.DatasetId) is not { } previous)
                {
                    fired |= NotificationTriggers.AttributeCreated;
                    continue;
                }
                switch (StoredEntityCodec.CompareInstances(before.Bytes.AsSpan(previous.Bytes), after.Bytes.AsSpan(instance.Bytes)))
                {
                    case StoredComparison.Different:
                        fired |= NotificationTriggers.AttributeUpdated;
                        break;
                    case StoredComparison.Unknown:
                        return null;
                }
            }
            foreach (var instance in old)
            {
                if (Selected(instance.DatasetId, datasetIds) && Find(current, instance.DatasetId) is null)
                {
                    fired |= NotificationTriggers.AttributeDeleted;
                }
            }
        }
        return fired == NotificationTriggers.None ? fired : fired | NotificationTriggers.EntityUpdated;
    }

    private static StoredInstance? Find(List<StoredInstance> instances, string? datasetId)
    {
        foreach (var i in instances)
        {
            if (i.DatasetId == datasetId)
            {
                return i;
            }
        }
        return null;
    }

    /// <summary>Whether an instance with this datasetId is one the subscription's datasetId filter keeps.</summary>
    internal static bool Selected(string? datasetId, IReadOnlyList<string>? datasetIds) =>
        datasetIds is null || Contains(datasetIds, datasetId ?? "@none");

    private void Compare(string name, List<NgsiAttribute>? before, List<NgsiAttribute>? after, IReadOnlyList<string>? datasetIds)
    {
        if (after is not null)
        {
            foreach (var instance in after)
            {
                if (!Selected(instance, datasetIds))
                {
                    continue;
                }
                var old = Find(before, instance.DatasetId);
                if (old is null)
                {
                    Fired |= NotificationTriggers.AttributeCreated;
                }
                else if (!SameInstance(old, instance))
                {
                    Fired |= NotificationTriggers.AttributeUpdated;
                    (Updated ??= []).Add((instance, old));
                }
            }
        }
        if (before is not null)
        {
            foreach (var instance in before)
            {
                if (Selected(instance, datasetIds) && Find(after, instance.DatasetId) is null)
                {
                    Fired |= NotificationTriggers.AttributeDeleted;
                    (Deleted ??= []).Add((name, instance));
                }
            }
        }
    }

    private static NgsiAttribute? Find(List<NgsiAttribute>? instances, string? datasetId)
    {
        if (instances is null)
        {
            return null;
        }
        foreach (var i in instances)
        {
            if (i.DatasetId == datasetId)
            {
                return i;
            }
        }
        return null;
    }

    private static bool Selected(NgsiAttribute instance, IReadOnlyList<string>? datasetIds) => Selected(instance.DatasetId, datasetIds);

    private static bool HasAny(Entity entity, IReadOnlyList<string>? watched, IReadOnlyList<string>? datasetIds)
    {
        foreach (var (name, instances) in entity.Attributes)
        {
            if (watched is not null && !Contains(watched, name))
            {
                continue;
            }
            foreach (var instance in instances)
            {
                if (Selected(instance, datasetIds))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Same kind, value and members, ignoring the system timestamps.</summary>
    internal static bool SameInstance(NgsiAttribute a, NgsiAttribute b)
    {
        if (a.Kind != b.Kind || a.ObservedAt != b.ObservedAt || a.UnitCode != b.UnitCode
            || !JsonNode.DeepEquals(a.Value, b.Value) || !JsonNode.DeepEquals(a.ObjectType, b.ObjectType))
        {
            return false;
        }
        var sa = a.SubAttributes;
        var sb = b.SubAttributes;
        if (sa is null || sa.Count == 0)
        {
            return sb is null || sb.Count == 0;
        }
        if (sb is null || sa.Count != sb.Count)
        {
            return false;
        }
        foreach (var (name, instances) in sa)
        {
            if (!sb.TryGetValue(name, out var other) || other.Count != instances.Count)
            {
                return false;
            }
            for (var i = 0; i < instances.Count; i++)
            {
                if (!SameInstance(instances[i], other[i]))
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static bool SameStrings(List<string>? a, List<string>? b) =>
        (a is null || a.Count == 0) ? (b is null || b.Count == 0) : b is not null && a.SequenceEqual(b, StringComparer.Ordinal);
}

/// <summary>
/// One stored entity of a change (before or after) and the stored instances of a subscription's watched attributes in
/// it (<see cref="StoredEntityCodec.ReadWatched"/>), for <see cref="ChangeAnalysis.AnalyzeStored"/>.
/// </summary>
internal sealed class StoredWatch
{
    private readonly List<StoredInstance>[] _instances;

    /// <summary>Reads the watched attributes' instances; with <paramref name="header"/> the entity's header too.</summary>
    public StoredWatch(byte[] bytes, IReadOnlyList<byte[]> utf8Names, bool header)
    {
        Bytes = bytes;
        _instances = new List<StoredInstance>[utf8Names.Count];
        for (var i = 0; i < _instances.Length; i++)
        {
            _instances[i] = [];
        }
        Header = StoredEntityCodec.ReadWatched(bytes, utf8Names, _instances, header);
    }

    public byte[] Bytes { get; }

    /// <summary>The entity without attributes, when asked for.</summary>
    public Entity? Header { get; }

    /// <summary>The number of watched names.</summary>
    public int Count => _instances.Length;

    /// <summary>The stored instances of the i-th watched attribute (none when the entity lacks it).</summary>
    public List<StoredInstance> Instances(int i) => _instances[i];

    /// <summary>Whether the entity has an instance of a watched attribute (one of <paramref name="datasetIds"/> when given).</summary>
    public bool HasAny(IReadOnlyList<string>? datasetIds)
    {
        foreach (var instances in _instances)
        {
            foreach (var instance in instances)
            {
                if (ChangeAnalysis.Selected(instance.DatasetId, datasetIds))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
