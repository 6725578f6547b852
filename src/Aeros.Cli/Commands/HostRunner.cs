using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Cli.Commands;

/// <summary>
/// The shared run of a server command (`aeros broker`, `aeros iam serve`, `aeros gateway`): create and start the
/// host, print where it listens, run until Ctrl-C. A bad configuration or a taken port ends in one line on stderr
/// and an exit code, never a stack trace.
/// </summary>
internal static class HostRunner
{
    /// <param name="what">The command as the user typed it, e.g. <c>iam serve</c>, for the error lines.</param>
    /// <param name="create">Builds the host (may throw a configuration error).</param>
    /// <param name="listening">The line printed for each address (given without a trailing slash).</param>
    /// <param name="cancellationToken">Ctrl-C or SIGTERM.</param>
    /// <param name="badConfiguration">The message of a command-specific configuration error, or null for any other exception.</param>
    public static async Task<int> RunAsync(string what, Func<WebApplication> create, Func<WebApplication, string, string> listening,
        CancellationToken cancellationToken, Func<Exception, string?>? badConfiguration = null)
    {
        WebApplication app;
        try
        {
            app = create();
            await app.StartAsync(cancellationToken);
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"aeros {what}: invalid configuration:\n  " + string.Join("\n  ", e.Failures));
            return ExitCodes.BadConfiguration;
        }
        catch (Exception e) when (badConfiguration?.Invoke(e) is { } message)
        {
            await Console.Error.WriteLineAsync($"aeros {what}: {message}");
            return ExitCodes.BadConfiguration;
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"aeros {what}: cannot start: {e.Message}");
            return ExitCodes.Failure;
        }
        foreach (var url in app.Urls)
        {
            Console.WriteLine(listening(app, url.TrimEnd('/')));
        }
        Console.WriteLine("Press Ctrl-C to stop.");
        try
        {
            await app.WaitForShutdownAsync(cancellationToken);
        }
        finally
        {
            await app.DisposeAsync();
        }
        return ExitCodes.Ok;
    }
}
