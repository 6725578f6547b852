using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Aeros.Agent.Workloads;

/// <summary>What runs a workload.</summary>
public enum WorkloadKind
{
    /// <summary>A local process started by the agent.</summary>
    Process,

    /// <summary>A container run through podman.</summary>
    Container,
}

/// <summary>When a workload that ended is started again.</summary>
public enum RestartPolicy
{
    /// <summary>Always restart (with backoff), whatever the exit code.</summary>
    Always,

    /// <summary>Restart only after a non-zero exit code or a crash.</summary>
    OnFailure,

    /// <summary>Never restart.</summary>
    Never,
}

/// <summary>A port published by a container: <c>host:container/protocol</c>.</summary>
/// <param name="HostPort">The port on the node.</param>
/// <param name="ContainerPort">The port inside the container.</param>
/// <param name="Protocol"><c>tcp</c> or <c>udp</c>.</param>
public readonly partial record struct PortMapping(int HostPort, int ContainerPort, string Protocol)
{
    /// <summary>Parses <c>host:container</c> or <c>host:container/protocol</c> (protocol tcp by default).</summary>
    public static bool TryParse(string? text, out PortMapping mapping)
    {
        mapping = default;
        var match = text is null ? null : Pattern().Match(text);
        if (match is null || !match.Success)
        {
            return false;
        }
        if (!int.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var host) || host is < 1 or > 65535
            || !int.TryParse(match.Groups[2].Value, CultureInfo.InvariantCulture, out var container) || container is < 1 or > 65535)
        {
            return false;
        }
        var protocol = match.Groups[3].Success ? match.Groups[3].Value.ToLowerInvariant() : "tcp";
        mapping = new PortMapping(host, container, protocol);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"{HostPort}:{ContainerPort}/{Protocol}";

    [GeneratedRegex("^([0-9]{1,5}):([0-9]{1,5})(?:/(tcp|udp|TCP|UDP))?$")]
    private static partial Regex Pattern();
}

/// <summary>Credentials for a private image registry.</summary>
/// <param name="Username">The registry user.</param>
/// <param name="Password">The password or token; never returned by the API.</param>
public sealed record RegistryCredentials(string Username, string Password);

/// <summary>
/// A desired workload: what to run (a process or a container), how, and what to do when it ends. Built from JSON
/// with <see cref="Parse"/>, which lists every error of a bad spec at once.
/// </summary>
public sealed partial record WorkloadSpec
{
    /// <summary>Longest workload name (it becomes a file name and a container name).</summary>
    public const int MaxNameLength = 63;

    /// <summary>Smallest memory limit podman accepts: 6 MiB.</summary>
    public const long MinMemoryLimit = 6L * 1024 * 1024;

    /// <summary>The workload's name: letters, digits, '.', '_' and '-', starting with a letter or digit.</summary>
    public required string Name { get; init; }

    /// <summary>Process or container.</summary>
    public required WorkloadKind Kind { get; init; }

    /// <summary>The executable of a process (a path or a name on PATH); for a container, the command overriding the image's.</summary>
    public string? Command { get; init; }

    /// <summary>Arguments of the command.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Environment variables added to the process or container.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>The working directory of a process (absolute); null: the agent's state directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The image of a container.</summary>
    public string? Image { get; init; }

    /// <summary>Ports a container publishes.</summary>
    public IReadOnlyList<PortMapping> Ports { get; init; } = [];

    /// <summary>CPU limit of a container in cores (podman <c>--cpus</c>).</summary>
    public double? CpuLimit { get; init; }

    /// <summary>Memory limit of a container in bytes (podman <c>--memory</c>).</summary>
    public long? MemoryLimit { get; init; }

    /// <summary>Credentials for pulling a private image.</summary>
    public RegistryCredentials? Credentials { get; init; }

    /// <summary>Ports the workload listens on (informative; for a container, its published host ports are added).</summary>
    public IReadOnlyList<int> DeclaredPorts { get; init; } = [];

    /// <summary>When the workload is started again after it ended.</summary>
    public RestartPolicy RestartPolicy { get; init; } = RestartPolicy.Always;

    /// <summary>A job runs to completion: once it exits with 0 it is never restarted, whatever the policy.</summary>
    public bool IsJob { get; init; }

    /// <summary>Whether <paramref name="name"/> is a valid workload name.</summary>
    public static bool IsValidName(string? name) => name is { Length: > 0 and <= MaxNameLength } && NamePattern().IsMatch(name);

    /// <summary>
    /// Reads a spec from JSON. <paramref name="pathName"/> is the name from the URL, if any: the body may omit
    /// the name, but must not contradict it. Returns the spec, or null and every error found.
    /// </summary>
    public static WorkloadSpec? Parse(JsonNode? json, string? pathName, out IReadOnlyList<string> errors)
    {
        var list = new List<string>();
        errors = list;
        if (json is not JsonObject body)
        {
            list.Add("The workload spec must be a JSON object.");
            return null;
        }
        foreach (var property in body)
        {
            if (!KnownProperties.Contains(property.Key))
            {
                list.Add($"Unknown property '{property.Key}'.");
            }
        }
        var name = ReadString(body, "name", list);
        if (name is null && pathName is not null)
        {
            name = pathName;
        }
        else if (name is not null && pathName is not null && !string.Equals(name, pathName, StringComparison.Ordinal))
        {
            list.Add($"The name '{name}' in the body differs from the name '{pathName}' in the URL.");
        }
        var kindText = ReadString(body, "kind", list);
        WorkloadKind? kind = null;
        if (kindText is null)
        {
            list.Add("'kind' is required: Process or Container.");
        }
        else if (Enum.TryParse<WorkloadKind>(kindText, ignoreCase: true, out var k) && !int.TryParse(kindText, out _))
        {
            kind = k;
        }
        else
        {
            list.Add($"'kind' '{kindText}' is not one of Process, Container.");
        }
        var policyText = ReadString(body, "restartPolicy", list);
        RestartPolicy? policy = null;
        if (policyText is not null)
        {
            if (Enum.TryParse<RestartPolicy>(policyText, ignoreCase: true, out var p) && !int.TryParse(policyText, out _))
            {
                policy = p;
            }
            else
            {
                list.Add($"'restartPolicy' '{policyText}' is not one of Always, OnFailure, Never.");
            }
        }
        var ports = new List<PortMapping>();
        foreach (var text in ReadStringArray(body, "ports", list))
        {
            if (PortMapping.TryParse(text, out var mapping))
            {
                ports.Add(mapping);
            }
            else
            {
                list.Add($"Port '{text}' must be host:container or host:container/protocol with ports 1-65535 and protocol tcp or udp.");
            }
        }
        var declared = new List<int>();
        if (body["declaredPorts"] is JsonNode declaredNode)
        {
            if (declaredNode is JsonArray array)
            {
                foreach (var item in array)
                {
                    if (item is JsonValue v && v.TryGetValue<int>(out var port) && port is >= 1 and <= 65535)
                    {
                        declared.Add(port);
                    }
                    else
                    {
                        list.Add($"Declared port '{item?.ToJsonString()}' must be an integer 1-65535.");
                    }
                }
            }
            else
            {
                list.Add("'declaredPorts' must be an array of integers.");
            }
        }
        double? cpu = null;
        if (body["cpuLimit"] is JsonNode cpuNode)
        {
            if (cpuNode is JsonValue cv && cv.GetValueKind() == JsonValueKind.Number && cv.TryGetValue<double>(out var c))
            {
                cpu = c;
            }
            else
            {
                list.Add("'cpuLimit' must be a number of cores.");
            }
        }
        long? memory = null;
        if (body["memoryLimit"] is JsonNode memoryNode)
        {
            if (TryParseBytes(memoryNode, out var bytes))
            {
                memory = bytes;
            }
            else
            {
                list.Add($"'memoryLimit' {memoryNode.ToJsonString()} must be a number of bytes or a size such as \"64m\", \"512Mi\" or \"1g\".");
            }
        }
        RegistryCredentials? credentials = null;
        if (body["credentials"] is JsonNode credentialsNode)
        {
            if (credentialsNode is JsonObject c)
            {
                var user = ReadString(c, "username", list, "credentials.");
                var password = ReadString(c, "password", list, "credentials.");
                if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password))
                {
                    list.Add("'credentials' needs both 'username' and 'password'.");
                }
                else
                {
                    credentials = new RegistryCredentials(user, password);
                }
            }
            else
            {
                list.Add("'credentials' must be an object with 'username' and 'password'.");
            }
        }
        bool isJob = false;
        if (body["isJob"] is JsonNode jobNode)
        {
            if (jobNode is JsonValue jv && jv.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                isJob = jv.GetValue<bool>();
            }
            else
            {
                list.Add("'isJob' must be true or false.");
            }
        }
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body["env"] is JsonNode envNode)
        {
            if (envNode is JsonObject envObject)
            {
                foreach (var (key, value) in envObject)
                {
                    if (value is JsonValue ev && ev.GetValueKind() == JsonValueKind.String)
                    {
                        env[key] = ev.GetValue<string>();
                    }
                    else
                    {
                        list.Add($"Environment variable '{key}' must have a string value.");
                    }
                }
            }
            else
            {
                list.Add("'env' must be an object of name/value strings.");
            }
        }
        var command = ReadString(body, "command", list);
        var args = ReadStringArray(body, "args", list);
        var workingDirectory = ReadString(body, "workingDirectory", list);
        var image = ReadString(body, "image", list);
        if (name is null && !body.ContainsKey("name"))
        {
            list.Add("'name' is required.");
        }
        if (name is null || kind is null)
        {
            // Still report the errors of what was given, so one round trip shows them all.
            var partial = new WorkloadSpec
            {
                Name = name ?? "x", Kind = kind ?? WorkloadKind.Process, Command = command, Args = args, Env = env,
                WorkingDirectory = workingDirectory, Image = image, Ports = ports, CpuLimit = cpu, MemoryLimit = memory,
                Credentials = credentials, DeclaredPorts = declared, RestartPolicy = policy ?? (isJob ? RestartPolicy.OnFailure : RestartPolicy.Always), IsJob = isJob,
            };
            list.AddRange(partial.CommonErrors());
            if (kind is not null)
            {
                list.AddRange(partial.KindErrors());
            }
            return null;
        }
        var spec = new WorkloadSpec
        {
            Name = name, Kind = kind.Value, Command = command, Args = args, Env = env, WorkingDirectory = workingDirectory,
            Image = image, Ports = ports, CpuLimit = cpu, MemoryLimit = memory, Credentials = credentials,
            DeclaredPorts = declared, RestartPolicy = policy ?? (isJob ? RestartPolicy.OnFailure : RestartPolicy.Always), IsJob = isJob,
        };
        list.AddRange(spec.Validate());
        return list.Count == 0 ? spec : null;
    }

    /// <summary>Every semantic error of this spec (empty when it is valid).</summary>
    public IReadOnlyList<string> Validate() => [.. CommonErrors(), .. KindErrors()];

    private List<string> CommonErrors()
    {
        var errors = new List<string>();
        if (!IsValidName(Name))
        {
            errors.Add($"Name '{Name}' is invalid: use 1-{MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
        if (Command is not null && string.IsNullOrWhiteSpace(Command))
        {
            errors.Add("'command' must not be empty.");
        }
        foreach (var key in Env.Keys)
        {
            if (!EnvNamePattern().IsMatch(key))
            {
                errors.Add($"Environment variable name '{key}' is invalid: use letters, digits and '_', not starting with a digit.");
            }
        }
        foreach (var (key, value) in Env)
        {
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add($"Environment variable '{key}' must not contain a NUL character.");
            }
        }
        if (Args.Any(a => a.Contains('\0', StringComparison.Ordinal)))
        {
            errors.Add("Arguments must not contain a NUL character.");
        }
        if (IsJob && RestartPolicy == RestartPolicy.Always)
        {
            errors.Add("A job cannot have restart policy Always (it would never complete); use OnFailure or Never.");
        }
        return errors;
    }

    private List<string> KindErrors()
    {
        var errors = new List<string>();
        if (Kind == WorkloadKind.Process)
        {
            if (string.IsNullOrWhiteSpace(Command))
            {
                errors.Add("A process workload needs a 'command'.");
            }
            if (WorkingDirectory is not null && !Path.IsPathFullyQualified(WorkingDirectory))
            {
                errors.Add($"'workingDirectory' '{WorkingDirectory}' must be an absolute path.");
            }
            if (Image is not null)
            {
                errors.Add("A process workload has no 'image' (use kind Container).");
            }
            if (Ports.Count > 0)
            {
                errors.Add("A process workload publishes no 'ports'; list the ports it listens on in 'declaredPorts'.");
            }
            if (CpuLimit is not null || MemoryLimit is not null)
            {
                errors.Add("'cpuLimit' and 'memoryLimit' apply to container workloads only.");
            }
            if (Credentials is not null)
            {
                errors.Add("'credentials' apply to container workloads only.");
            }
        }
        else
        {
            if (string.IsNullOrWhiteSpace(Image))
            {
                errors.Add("A container workload needs an 'image'.");
            }
            else if (Image.Any(char.IsWhiteSpace) || Image.StartsWith('-'))
            {
                errors.Add($"Image '{Image}' is invalid: no spaces, not starting with '-'.");
            }
            if (WorkingDirectory is not null && !WorkingDirectory.StartsWith('/'))
            {
                errors.Add($"'workingDirectory' '{WorkingDirectory}' must be an absolute path.");
            }
            if (CpuLimit is { } cpu && (double.IsNaN(cpu) || cpu <= 0 || cpu > 1024))
            {
                errors.Add($"'cpuLimit' {cpu.ToString(CultureInfo.InvariantCulture)} must be above 0 and at most 1024 cores.");
            }
            if (MemoryLimit is { } memory && memory < MinMemoryLimit)
            {
                errors.Add($"'memoryLimit' {memory} bytes is below the minimum of 6 MiB.");
            }
            var duplicates = Ports.GroupBy(p => (p.HostPort, p.Protocol)).Where(g => g.Count() > 1).Select(g => g.Key);
            foreach (var (host, protocol) in duplicates)
            {
                errors.Add($"Host port {host}/{protocol} is published more than once.");
            }
        }
        return errors;
    }

    /// <summary>The ports the workload listens on: declared ones and a container's published host ports.</summary>
    public IReadOnlyList<int> ListeningPorts() => DeclaredPorts.Concat(Ports.Select(p => p.HostPort)).Distinct().Order().ToArray();

    /// <summary>The spec as JSON; <paramref name="includeSecrets"/> false replaces the registry password by <c>***</c>.</summary>
    public JsonObject ToJson(bool includeSecrets)
    {
        var json = new JsonObject
        {
            ["name"] = Name,
            ["kind"] = Kind.ToString(),
        };
        if (Command is not null)
        {
            json["command"] = Command;
        }
        json["args"] = new JsonArray(Args.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        var env = new JsonObject();
        foreach (var (key, value) in Env.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            env[key] = value;
        }
        json["env"] = env;
        if (WorkingDirectory is not null)
        {
            json["workingDirectory"] = WorkingDirectory;
        }
        if (Image is not null)
        {
            json["image"] = Image;
        }
        json["ports"] = new JsonArray(Ports.Select(p => (JsonNode?)JsonValue.Create(p.ToString())).ToArray());
        if (CpuLimit is not null)
        {
            json["cpuLimit"] = CpuLimit;
        }
        if (MemoryLimit is not null)
        {
            json["memoryLimit"] = MemoryLimit;
        }
        if (Credentials is not null)
        {
            json["credentials"] = new JsonObject
            {
                ["username"] = Credentials.Username,
                ["password"] = includeSecrets ? Credentials.Password : "***",
            };
        }
        json["declaredPorts"] = new JsonArray(DeclaredPorts.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());
        json["restartPolicy"] = RestartPolicy.ToString();
        json["isJob"] = IsJob;
        return json;
    }

    /// <summary>Whether two specs ask for the same thing (lists and maps compared by content).</summary>
    public bool SameAs(WorkloadSpec other) =>
        ToJson(includeSecrets: true).ToJsonString() == other.ToJson(includeSecrets: true).ToJsonString();

    /// <summary>Parses a byte size: a JSON number, or a string of digits with an optional unit b, k, m, g (powers of 1024, podman's meaning) or Ki, Mi, Gi.</summary>
    internal static bool TryParseBytes(JsonNode node, out long bytes)
    {
        bytes = 0;
        if (node is not JsonValue value)
        {
            return false;
        }
        if (value.GetValueKind() == JsonValueKind.Number)
        {
            return value.TryGetValue(out bytes) && bytes > 0;
        }
        if (value.GetValueKind() != JsonValueKind.String)
        {
            return false;
        }
        var match = SizePattern().Match(value.GetValue<string>());
        if (!match.Success || !long.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        var unit = match.Groups[2].Value.ToLowerInvariant().TrimEnd('i', 'b');
        var factor = unit switch { "" => 1L, "k" => 1024L, "m" => 1024L * 1024, "g" => 1024L * 1024 * 1024, _ => 0L };
        if (factor == 0 || number <= 0 || number > long.MaxValue / factor)
        {
            return false;
        }
        bytes = number * factor;
        return true;
    }

    private static readonly HashSet<string> KnownProperties =
    [
        "name", "kind", "command", "args", "env", "workingDirectory", "image", "ports", "cpuLimit", "memoryLimit",
        "credentials", "declaredPorts", "restartPolicy", "isJob",
    ];

    private static string? ReadString(JsonObject body, string property, List<string> errors, string prefix = "")
    {
        if (!body.TryGetPropertyValue(property, out var node) || node is null)
        {
            return null;
        }
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            return value.GetValue<string>();
        }
        errors.Add($"'{prefix}{property}' must be a string.");
        return null;
    }

    private static List<string> ReadStringArray(JsonObject body, string property, List<string> errors)
    {
        var result = new List<string>();
        if (!body.TryGetPropertyValue(property, out var node) || node is null)
        {
            return result;
        }
        if (node is not JsonArray array)
        {
            errors.Add($"'{property}' must be an array of strings.");
            return result;
        }
        foreach (var item in array)
        {
            if (item is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                result.Add(value.GetValue<string>());
            }
            else
            {
                errors.Add($"'{property}' item {item?.ToJsonString() ?? "null"} must be a string.");
            }
        }
        return result;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvNamePattern();

    [GeneratedRegex("^([0-9]{1,18})\\s*([bBkKmMgG]?[iI]?[bB]?)$")]
    private static partial Regex SizePattern();
}
