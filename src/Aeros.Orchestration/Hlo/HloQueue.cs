using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Aeros.Orchestration.Hlo;

/// <summary>
/// The HLO's work queue: service ids, de-duplicated while waiting (a service queued twice is processed once; one added
/// while it is processed is queued again, since the work re-reads the broker every time).
/// </summary>
internal sealed class HloQueue
{
    private readonly Channel<string> _channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false });
    private readonly ConcurrentDictionary<string, byte> _waiting = new(StringComparer.Ordinal);

    /// <summary>Services waiting.</summary>
    public int Depth => _waiting.Count;

    /// <summary>Queues <paramref name="serviceId"/> unless it is already waiting.</summary>
    public void Add(string serviceId)
    {
        if (_waiting.TryAdd(serviceId, 0))
        {
            _channel.Writer.TryWrite(serviceId);
        }
    }

    /// <summary>The next service to work on.</summary>
    public async ValueTask<string> TakeAsync(CancellationToken cancellationToken)
    {
        var id = await _channel.Reader.ReadAsync(cancellationToken);
        _waiting.TryRemove(id, out _);
        return id;
    }
}
