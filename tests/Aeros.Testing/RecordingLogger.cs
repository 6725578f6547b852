using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Aeros.Testing;

/// <summary>A logger that keeps every entry and lets a test wait for one with a given event id.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(EventId EventId, LogLevel Level, string Message)> _entries = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _waiters = new();

    /// <summary>Every entry logged so far.</summary>
    public IReadOnlyList<(EventId EventId, LogLevel Level, string Message)> Entries => [.. _entries];

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _entries.Enqueue((eventId, logLevel, formatter(state, exception)));
        Waiter(eventId.Id).TrySetResult();
    }

    /// <summary>Completes when an entry with <paramref name="eventId"/> has been logged; throws after <paramref name="timeout"/>.</summary>
    public Task WaitForEventAsync(int eventId, TimeSpan timeout) => Waiter(eventId).Task.WaitAsync(timeout);

    private TaskCompletionSource Waiter(int eventId) =>
        _waiters.GetOrAdd(eventId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
