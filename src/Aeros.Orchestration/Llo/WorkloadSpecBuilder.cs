using System.Globalization;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// The agent workload spec (docs/agent.md "Workload spec") of a component: a process when it has
/// <c>processCommand</c>, else a container of <c>containerImage</c>; its ports from its NetworkPort entities.
/// </summary>
internal static class WorkloadSpecBuilder
{
    /// <summary>The spec, or null with <paramref name="error"/> when the component cannot be run.</summary>
    public static JsonObject? Build(ServiceComponent component, long generation, string elementId, IReadOnlyList<NetworkPort> ports, out string? error)
    {
        error = null;
        var env = new JsonObject();
        foreach (var entry in component.EnvVars ?? [])
        {
            env[entry.Key] = entry.Value;
        }
        env[WorkloadNaming.ComponentIdVariable] = component.Id;
        env[WorkloadNaming.GenerationVariable] = generation.ToString(CultureInfo.InvariantCulture);
        env[WorkloadNaming.ElementIdVariable] = elementId;
        var isJob = component.IsJob == true;
        var spec = new JsonObject();
        if (!string.IsNullOrWhiteSpace(component.ProcessCommand))
        {
            spec["kind"] = "Process";
            spec["command"] = component.ProcessCommand;
            spec["args"] = Strings(component.ProcessArgs ?? []);
            var declared = ports.Where(p => p.PortNumber is > 0 and <= 65535).Select(p => p.PortNumber!.Value).Distinct().Order().ToList();
            if (declared.Count > 0)
            {
                spec["declaredPorts"] = new JsonArray(declared.Select(p => (JsonNode)JsonValue.Create(p)).ToArray());
            }
        }
        else if (!string.IsNullOrWhiteSpace(component.ContainerImage))
        {
            spec["kind"] = "Container";
            spec["image"] = component.ContainerImage;
            // aerOS cliArgs are {key, value} pairs: "--flag value"; a pair without a value is a lone argument.
            var args = new List<string>();
            foreach (var arg in component.CliArgs ?? [])
            {
                args.Add(arg.Key);
                if (!string.IsNullOrEmpty(arg.Value))
                {
                    args.Add(arg.Value);
                }
            }
            if (args.Count > 0)
            {
                spec["args"] = Strings(args);
            }
            var published = ports.Where(p => p.PortNumber is > 0 and <= 65535)
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.PortNumber}:{p.PortNumber}/{(p.PortProtocol == PortProtocol.UDP ? "udp" : "tcp")}"))
                .Distinct().Order(StringComparer.Ordinal).ToList();
            if (published.Count > 0)
            {
                spec["ports"] = Strings(published);
            }
            if (component.IsPrivate == true && !string.IsNullOrEmpty(component.RepoUsername))
            {
                spec["credentials"] = new JsonObject { ["username"] = component.RepoUsername, ["password"] = component.RepoPassword ?? "" };
            }
        }
        else
        {
            error = "the component has neither processCommand nor containerImage";
            return null;
        }
        spec["env"] = env;
        spec["isJob"] = isJob;
        spec["restartPolicy"] = isJob ? "OnFailure" : "Always";
        return spec;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}
