using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Microsoft.Extensions.Logging;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// Re-places a component whose element was lost. The LLO's element monitor calls it once per (component, generation)
/// for every component in status Starting or Running on an element it just marked unreachable. The HLO implements it
/// (choose another element, write it with generation + 1 and status Starting); until an HLO is registered the default
/// sets the component to Migrating with the reason. Register an implementation before <c>AddAerosLlo</c> (it uses TryAdd).
/// </summary>
public interface IComponentReplacer
{
    /// <summary>
    /// Re-places <paramref name="componentId"/>, which ran (or was starting) on <paramref name="lostElementId"/>.
    /// Must be idempotent: after an LLO restart it may be called again for the same loss. An exception is logged and
    /// the call is repeated at a later check while the component is still on the lost element.
    /// </summary>
    Task ReplaceAsync(string componentId, string lostElementId, CancellationToken cancellationToken);
}

/// <summary>
/// The replacer used while no HLO is present: the component becomes Migrating with <c>statusReason</c>
/// "element X lost", if it is still on that element and Starting or Running (read-check-write).
/// </summary>
internal sealed partial class MigratingComponentReplacer(LloBroker broker, ILogger<MigratingComponentReplacer> logger) : IComponentReplacer
{
    public async Task ReplaceAsync(string componentId, string lostElementId, CancellationToken cancellationToken)
    {
        var client = await broker.ClientAsync(cancellationToken);
        var component = await client.GetAsync<ServiceComponent>(componentId, local: true, cancellationToken);
        if (component is null || component.InfrastructureElement != lostElementId
            || component.ServiceComponentStatus is not (ServiceComponentStatus.Starting or ServiceComponentStatus.Running))
        {
            return;
        }
        LogNoHlo(logger, componentId, lostElementId);
        await client.MergeAsync(componentId, new Dictionary<string, object?>
        {
            ["serviceComponentStatus"] = ServiceComponentStatus.Migrating,
            ["statusReason"] = $"element {lostElementId} lost",
        }, cancellationToken);
    }

    [LoggerMessage(EventId = 5250, Level = LogLevel.Warning, Message = "Element {ElementId} is lost and no HLO is present: component {ComponentId} is set to Migrating and waits for a new placement")]
    private static partial void LogNoHlo(ILogger logger, string componentId, string elementId);
}
