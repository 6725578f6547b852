using Microsoft.Extensions.Logging;

namespace Aeros.Agent.Hosting;

/// <summary>
/// A synchronous console logger for the minimal agent host, in the simple console format
/// (<c>info: Category[EventId]</c>, the message indented on the next line). Microsoft's console logger queues to a
/// thread of its own and cost the NativeAOT agent 1.3–4 MiB of RSS in the probes (docs/benchmarks.md); the agent
/// logs a few lines a minute, so writing under a lock is enough.
/// </summary>
internal sealed class PlainConsoleLoggerProvider(TextWriter? output = null) : ILoggerProvider
{
    private readonly TextWriter _output = output ?? Console.Out;
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        var text = $"{Level(level)}: {category}[{eventId.Id}]{Environment.NewLine}      {message.Replace(Environment.NewLine, Environment.NewLine + "      ", StringComparison.Ordinal)}{Environment.NewLine}";
        if (exception is not null)
        {
            text += exception + Environment.NewLine;
        }
        lock (_gate)
        {
            _output.Write(text);
            _output.Flush();
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    private sealed class Logger(PlainConsoleLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        // Levels are filtered by the logging framework's rules (LoggerFilterOptions) before this logger is asked.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, category, eventId, formatter(state, exception), exception);
            }
        }
    }
}
