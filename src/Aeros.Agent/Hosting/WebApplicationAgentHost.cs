using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Aeros.Agent.Hosting;

/// <summary>The Kestrel-hosted agent (<see cref="AgentHost.Create"/>) as an <see cref="IAgentHost"/>.</summary>
internal sealed class WebApplicationAgentHost(WebApplication app) : IAgentHost
{
    public IServiceProvider Services => app.Services;

    public IReadOnlyList<string> Urls => [.. app.Urls];

    public Task StartAsync(CancellationToken cancellationToken = default) => app.StartAsync(cancellationToken);

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => app.WaitForShutdownAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => app.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
