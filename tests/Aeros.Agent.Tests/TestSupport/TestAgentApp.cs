using Aeros.Agent.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Aeros.Agent.Tests.TestSupport;

/// <summary>Start and stop of the in-process agent hosts the tests build (bounded waits, state directory removed).</summary>
internal static class TestAgentApp
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Starts <paramref name="app"/>; disposes it when the start fails.</summary>
    public static Task StartAsync(WebApplication app) => StartAsync(new WebApplicationAgentHost(app));

    /// <summary>Starts <paramref name="app"/>; disposes it when the start fails.</summary>
    public static async Task StartAsync(IAgentHost app)
    {
        try
        {
            await app.StartAsync().WaitAsync(Deadline);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops and disposes <paramref name="app"/>, then deletes <paramref name="stateDirectory"/>.</summary>
    public static Task StopAsync(WebApplication app, string stateDirectory) => StopAsync(new WebApplicationAgentHost(app), stateDirectory);

    /// <summary>Stops and disposes <paramref name="app"/>, then deletes <paramref name="stateDirectory"/>.</summary>
    public static async Task StopAsync(IAgentHost app, string stateDirectory)
    {
        try
        {
            await app.StopAsync().WaitAsync(Deadline);
        }
        finally
        {
            await app.DisposeAsync();
            try
            {
                Directory.Delete(stateDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
