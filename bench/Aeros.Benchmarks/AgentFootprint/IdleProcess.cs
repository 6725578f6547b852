using System.Reflection;
using Aeros.Benchmarks.BrokerLoad;

namespace Aeros.Benchmarks.AgentFootprint;

/// <summary>
/// The baseline of <c>agent-footprint</c>: a .NET process that does nothing (<c>dotnet Aeros.Benchmarks.dll idle</c>),
/// started and sampled like the agent.
/// </summary>
internal static class IdleProcess
{
    /// <summary>The hidden subcommand.</summary>
    public const string Command = "idle";

    /// <summary>The line the process prints once its Main runs: the driver times its start by it.</summary>
    public const string ReadyLine = "idle: ready";

    /// <summary>Starts the baseline as a child process of the driver, the same way as the agent (<c>dotnet DLL</c>).</summary>
    public static ChildProcess Start()
    {
        var self = Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(self) || !File.Exists(self))
        {
            throw new DriverException("Cannot find the driver's own assembly to start the idle baseline.");
        }
        return ChildProcess.Start("the idle baseline", self, [Command]);
    }

    /// <summary>
    /// <c>idle [--urls URL]</c> (the URL is ignored: <see cref="ChildProcess"/> always passes one): prints
    /// <see cref="ReadyLine"/>, then blocks on stdin until it closes — when the driver kills it or exits.
    /// </summary>
    public static int Run()
    {
        Console.WriteLine(ReadyLine);
        using var stdin = Console.OpenStandardInput();
        var buffer = new byte[256];
        while (stdin.Read(buffer, 0, buffer.Length) > 0)
        {
            // Input is ignored; only its end matters.
        }
        return 0;
    }
}
