namespace Aeros.Orchestration.Blueprints;

/// <summary>The outcome of <see cref="BlueprintParser.Parse"/>: the blueprint, or every error found in it.</summary>
public sealed record BlueprintParseResult
{
    /// <summary>The blueprint; null when there is any error.</summary>
    public ServiceBlueprint? Blueprint { get; init; }

    /// <summary>Every error, ordered by line and column; empty when the blueprint is valid.</summary>
    public IReadOnlyList<BlueprintError> Errors { get; init; } = [];

    /// <summary>Whether the blueprint is valid (<see cref="Blueprint"/> is set and there are no errors).</summary>
    public bool IsValid => Blueprint is not null && Errors.Count == 0;
}

/// <summary>One error of a blueprint.</summary>
/// <param name="Line">1-based line of the offending text.</param>
/// <param name="Column">1-based column of the offending text.</param>
/// <param name="Path">Where in the blueprint, e.g. <c>node_templates.web.requirements[0].host.node_filter</c> (empty for the whole text).</param>
/// <param name="Message">What is wrong, in words a user can act on.</param>
public sealed record BlueprintError(int Line, int Column, string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Path.Length == 0 ? $"({Line}:{Column}) {Message}" : $"({Line}:{Column}) {Path}: {Message}";
}
