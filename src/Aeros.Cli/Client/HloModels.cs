using System.Text.Json.Serialization;

namespace Aeros.Cli.Client;

/// <summary>A service as <c>GET /hlo/v1/services</c> lists it.</summary>
/// <param name="Id">Service id (<c>urn:ngsi-ld:Service:...</c>).</param>
/// <param name="DomainHandler">The domain whose HLO handles it.</param>
/// <param name="Components">How many components it has.</param>
/// <param name="Status">Its components' status: one word when they agree (<c>Running</c>), else counts (<c>1 Running, 1 Starting</c>).</param>
public sealed record HloServiceSummary(string Id, string? DomainHandler, int Components, string? Status);

/// <summary>A service as <c>GET /hlo/v1/services/{id}</c> shows it.</summary>
/// <param name="Id">Service id.</param>
/// <param name="DomainHandler">The domain whose HLO handles it.</param>
/// <param name="ActionType">aerOS <c>actionType</c> (Deploying, Deployed, Destroying...).</param>
/// <param name="Components">Its components with their status, element and decision.</param>
public sealed record HloService(string Id, string? DomainHandler, string? ActionType, IReadOnlyList<HloComponent>? Components);

/// <summary>One component of an <see cref="HloService"/>.</summary>
/// <param name="Id">Component id.</param>
/// <param name="Name">Node name in the blueprint.</param>
/// <param name="Status"><c>serviceComponentStatus</c> (Locating, Starting, Running, Failed, Migrating...).</param>
/// <param name="InfrastructureElement">The element it is placed on, if any.</param>
/// <param name="Domain">That element's domain.</param>
/// <param name="Generation">Placement generation.</param>
/// <param name="StatusReason">Why it is in this status (for Failed: why).</param>
/// <param name="Decision">The placement decision.</param>
public sealed record HloComponent(string Id, string? Name, string? Status, string? InfrastructureElement, string? Domain, long? Generation,
    string? StatusReason, HloDecision? Decision)
{
    /// <summary>Whether the component runs.</summary>
    [JsonIgnore]
    public bool IsRunning => string.Equals(Status, "Running", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the component failed.</summary>
    [JsonIgnore]
    public bool IsFailed => string.Equals(Status, "Failed", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Why a component was placed where it is.</summary>
/// <param name="Solver">heuristic, cp-sat, ...</param>
/// <param name="Objective">The objective value of the choice.</param>
/// <param name="Reason">Why the element won (or why nothing was feasible).</param>
/// <param name="DecidedAt">When.</param>
public sealed record HloDecision(string? Solver, double? Objective, string? Reason, DateTimeOffset? DecidedAt);

/// <summary>One validation error of a refused blueprint (the HLO's 400 or the local parser's).</summary>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="Path">Where in the document.</param>
/// <param name="Message">What is wrong.</param>
public sealed record HloValidationError(int Line, int Column, string? Path, string Message);

/// <summary>The outcome of submitting a blueprint.</summary>
/// <param name="Status">HTTP status: 202 accepted, 400 invalid, 409 exists.</param>
/// <param name="ServiceStatus">The <c>status</c> of the 202 answer (the URL to follow the service at).</param>
/// <param name="Errors">The validation errors of a 400.</param>
/// <param name="Detail">The problem detail of any other answer.</param>
public sealed record HloSubmitResult(int Status, string? ServiceStatus, IReadOnlyList<HloValidationError> Errors, string? Detail)
{
    /// <summary>Whether the HLO accepted the service.</summary>
    public bool Accepted => Status is 200 or 201 or 202;
}

/// <summary>The last lines of a component's workload log, as the LLO's logs endpoint returns them.</summary>
/// <param name="ComponentId">The component.</param>
/// <param name="InfrastructureElement">The element whose agent runs it.</param>
/// <param name="Workload">The agent's workload name.</param>
/// <param name="Tail">How many lines were asked for.</param>
/// <param name="Lines">The lines, oldest first.</param>
public sealed record ComponentLogs(string ComponentId, string? InfrastructureElement, string? Workload, int Tail, IReadOnlyList<string> Lines);
