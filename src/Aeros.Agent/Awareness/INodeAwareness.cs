namespace Aeros.Agent.Awareness;

/// <summary>The agent's self-awareness: the latest node snapshot and a bounded history of earlier ones.</summary>
public interface INodeAwareness
{
    /// <summary>The latest snapshot; null before the first sample.</summary>
    NodeSnapshot? Latest { get; }

    /// <summary>Snapshots taken in the last <paramref name="window"/>, oldest first (at most the history capacity).</summary>
    IReadOnlyList<NodeSnapshot> History(TimeSpan window);

    /// <summary>Completes with the first snapshot taken after the call (for reporters that follow every sample).</summary>
    Task<NodeSnapshot> NextSampleAsync(CancellationToken cancellationToken);
}
