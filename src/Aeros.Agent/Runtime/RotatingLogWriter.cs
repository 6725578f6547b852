using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Runtime;

/// <summary>
/// Appends a workload's output to <c>&lt;name&gt;.log</c>, rotating it to <c>.1</c>, <c>.2</c>, ... when it would
/// exceed the size limit, so the files never take more than size × count. A failed write (full disk, ...) never
/// throws: the writer turns degraded, drops output, says so once, and tries again on later writes after a pause.
/// </summary>
internal sealed partial class RotatingLogWriter : IDisposable
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);
    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _count;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private FileStream? _stream;
    private DateTimeOffset _retryAt;
    private bool _disposed;

    public RotatingLogWriter(string path, long maxBytes, int count, TimeProvider time, ILogger logger)
    {
        _path = path;
        _maxBytes = maxBytes;
        _count = count;
        _time = time;
        _logger = logger;
    }

    /// <summary>True while output cannot be written.</summary>
    public bool Degraded { get; private set; }

    /// <summary>Bytes dropped while degraded.</summary>
    public long DroppedBytes { get; private set; }

    /// <summary>The files of a workload, newest first (the current one first).</summary>
    public static IEnumerable<string> Files(string path, int count) =>
        Enumerable.Range(0, count).Select(i => i == 0 ? path : $"{path}.{i}");

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            if (Degraded && _time.GetUtcNow() < _retryAt)
            {
                DroppedBytes += data.Length;
                return;
            }
            try
            {
                while (data.Length > 0)
                {
                    var stream = _stream ??= Open();
                    var room = _maxBytes - stream.Length;
                    if (room <= 0)
                    {
                        Rotate();
                        continue;
                    }
                    // Cut at the limit so that no file exceeds it, even for one huge chunk.
                    var part = data[..(int)Math.Min(room, data.Length)];
                    stream.Write(part);
                    data = data[part.Length..];
                }
                _stream?.Flush();
                if (Degraded)
                {
                    Degraded = false;
                    LogRecovered(_logger, _path, DroppedBytes);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                DroppedBytes += data.Length;
                CloseQuietly();
                _retryAt = _time.GetUtcNow() + RetryAfter;
                if (!Degraded)
                {
                    Degraded = true;
                    LogDegraded(_logger, _path, e.Message);
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            CloseQuietly();
        }
    }

    private FileStream Open()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        return new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
    }

    private void Rotate()
    {
        CloseQuietly();
        if (_count == 1)
        {
            File.Delete(_path);
            return;
        }
        var files = Files(_path, _count).ToArray();
        File.Delete(files[^1]);
        for (var i = files.Length - 2; i >= 0; i--)
        {
            if (File.Exists(files[i]))
            {
                File.Move(files[i], files[i + 1], overwrite: true);
            }
        }
    }

    private void CloseQuietly()
    {
        try
        {
            _stream?.Dispose();
        }
        catch (IOException)
        {
            // A flush failing on a full disk: the data is lost either way.
        }
        _stream = null;
    }

    [LoggerMessage(EventId = 4130, Level = LogLevel.Warning, Message = "Workload log {Path} cannot be written ({Reason}); output is dropped until writing works again")]
    private static partial void LogDegraded(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 4131, Level = LogLevel.Information, Message = "Workload log {Path} is written again; {DroppedBytes} bytes were dropped meanwhile")]
    private static partial void LogRecovered(ILogger logger, string path, long droppedBytes);
}
