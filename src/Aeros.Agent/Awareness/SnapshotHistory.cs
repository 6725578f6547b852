namespace Aeros.Agent.Awareness;

/// <summary>A fixed-size ring of snapshots: adding never allocates beyond the ring, the oldest falls out.</summary>
internal sealed class SnapshotHistory(int capacity)
{
    private readonly NodeSnapshot?[] _ring = new NodeSnapshot?[capacity];
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public void Add(NodeSnapshot snapshot)
    {
        lock (_lock)
        {
            _ring[_next] = snapshot;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
        }
    }

    /// <summary>Snapshots taken at or after <paramref name="since"/>, oldest first.</summary>
    public List<NodeSnapshot> Since(DateTimeOffset since)
    {
        lock (_lock)
        {
            var result = new List<NodeSnapshot>();
            for (var i = 0; i < _count; i++)
            {
                var s = _ring[(_next - _count + i + _ring.Length) % _ring.Length]!;
                if (s.Timestamp >= since)
                {
                    result.Add(s);
                }
            }
            return result;
        }
    }
}
