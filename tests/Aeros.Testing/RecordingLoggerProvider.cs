using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Aeros.Testing;

/// <summary>Collects the Aeros log lines of a host under test (for timeout messages and log assertions).</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>The last 200 lines.</summary>
    public string Text => string.Join('\n', _lines.TakeLast(200));

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (category.StartsWith("Aeros", StringComparison.Ordinal))
            {
                provider._lines.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
            }
        }
    }
}
