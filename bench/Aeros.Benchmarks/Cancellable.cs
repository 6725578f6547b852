using System.Runtime.InteropServices;

namespace Aeros.Benchmarks;

/// <summary>Runs a benchmark command so that Ctrl-C and SIGTERM cancel it cleanly (its finally blocks stop children).</summary>
internal static class Cancellable
{
    /// <summary>Exit code of a cancelled command (128 + SIGINT, as shells report it).</summary>
    public const int CancelledExitCode = 130;

    /// <summary>Runs <paramref name="run"/>; Ctrl-C or SIGTERM cancels its token and the command exits with 130.</summary>
    public static async Task<int> RunAsync(string name, Func<CancellationToken, Task<int>> run)
    {
        using var cancel = new CancellationTokenSource();
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true; // let the finally blocks kill the child processes and delete their data
            cancel.Cancel();
        }
        Console.CancelKeyPress += OnCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true; // same as Ctrl-C
            cancel.Cancel();
        });
        try
        {
            return await run(cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine($"{name}: cancelled.");
            return CancelledExitCode;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }
}
