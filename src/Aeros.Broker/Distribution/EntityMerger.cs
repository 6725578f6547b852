using Aeros.Broker.Entities;
using Aeros.Broker.Model;

namespace Aeros.Broker.Distribution;

/// <summary>How the attributes of one source combine with what is already merged.</summary>
internal enum MergePolicy
{
    /// <summary>Per datasetId, the instance with the latest observedAt wins (inclusive sources; ties keep the first).</summary>
    Latest,
    /// <summary>The source's attributes replace what is there (exclusive and redirect sources own them).</summary>
    Override,
    /// <summary>The source only adds attributes that are missing (auxiliary sources never override, §4.3.6.3).</summary>
    FillGaps,
}

/// <summary>Merges the same entity from several sources (§4.5.5.3, §4.3.6): types and scopes united, attributes per datasetId.</summary>
internal static class EntityMerger
{
    public static void Merge(Entity target, Entity source, MergePolicy policy)
    {
        foreach (var type in source.Types)
        {
            if (!target.Types.Contains(type))
            {
                target.Types.Add(type);
            }
        }
        if (source.Scopes is not null)
        {
            target.Scopes ??= [];
            foreach (var scope in source.Scopes.Where(s => !target.Scopes.Contains(s)))
            {
                target.Scopes.Add(scope);
            }
        }
        if (source.CreatedAt < target.CreatedAt)
        {
            target.CreatedAt = source.CreatedAt;
        }
        if (source.ModifiedAt > target.ModifiedAt)
        {
            target.ModifiedAt = source.ModifiedAt;
        }
        foreach (var (name, instances) in source.Attributes)
        {
            if (!target.Attributes.TryGetValue(name, out var existing))
            {
                target.Attributes[name] = instances.ConvertAll(i => i.Clone());
                continue;
            }
            switch (policy)
            {
                case MergePolicy.FillGaps:
                    break;
                case MergePolicy.Override:
                    target.Attributes[name] = instances.ConvertAll(i => i.Clone());
                    break;
                default:
                    foreach (var instance in instances)
                    {
                        var index = existing.FindIndex(e => e.DatasetId == instance.DatasetId);
                        if (index < 0)
                        {
                            existing.Add(instance.Clone());
                        }
                        else if (IsNewer(instance, existing[index]))
                        {
                            existing[index] = instance.Clone();
                        }
                    }
                    break;
            }
        }
    }

    private static bool IsNewer(NgsiAttribute candidate, NgsiAttribute current)
    {
        var candidateAt = NgsiNames.TryParseDateTime(candidate.ObservedAt, out var c) ? c : (DateTimeOffset?)null;
        var currentAt = NgsiNames.TryParseDateTime(current.ObservedAt, out var o) ? o : (DateTimeOffset?)null;
        return candidateAt is not null && (currentAt is null || candidateAt > currentAt);
    }
}
