using System.Collections.Frozen;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Aeros.Security.Policy;

/// <summary>The policy file was unreadable or invalid; the message lists every problem.</summary>
public sealed class AccessPolicyException(string message, Exception? inner = null) : AerosException(message, inner);

/// <summary>The outcome of a policy check: allowed, or why not.</summary>
internal readonly record struct PolicyDecision(bool Allowed, string? Reason)
{
    public static readonly PolicyDecision Allow = new(true, null);
}

/// <summary>
/// The role × API × action × domain-scope policy (docs/security.md), loaded from one YAML file and compiled into
/// lookups so a check costs a few hash look-ups. Immutable: a new file means a new instance.
/// </summary>
internal sealed class AccessPolicy
{
    /// <summary>The roles the gateway knows (the IAM's role names).</summary>
    public static readonly IReadOnlyList<string> KnownRoles =
        ["ContinuumAdministrator", "DomainAdministrator", "ServiceDeployer", "ServiceDeveloper", "ContextBroker", "Hlo", "Agent"];

    private static readonly FrozenDictionary<string, string[]> ActionMethods = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["read"] = ["GET", "HEAD", "OPTIONS"],
        ["write"] = ["POST", "PUT", "PATCH"],
        ["delete"] = ["DELETE"],
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string> HttpMethods =
        new[] { "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE" }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, Rule[]> _rules;

    private AccessPolicy(FrozenDictionary<string, Rule[]> rules, FrozenDictionary<string, TimeSpan> cache)
    {
        _rules = rules;
        CacheDurations = cache;
    }

    /// <summary>API → how long a successful GET may be served from the cache (only APIs with a positive duration).</summary>
    public FrozenDictionary<string, TimeSpan> CacheDurations { get; }

    /// <summary>One rule: which APIs, which methods, and whether a token of another domain may use it.</summary>
    private sealed record Rule(FrozenSet<string>? Apis, FrozenSet<string> Methods, bool AnyDomain);

    /// <summary>
    /// Whether a token with <paramref name="roles"/> and <paramref name="tokenDomains"/> may call
    /// <paramref name="method"/> on <paramref name="api"/> of the gateway of <paramref name="gatewayDomain"/>.
    /// </summary>
    public PolicyDecision Check(IReadOnlyList<string> roles, IReadOnlyList<string> tokenDomains, string api, string method, string gatewayDomain)
    {
        var inDomain = false;
        foreach (var d in tokenDomains)
        {
            if (d == "*" || string.Equals(d, gatewayDomain, StringComparison.Ordinal))
            {
                inDomain = true;
                break;
            }
        }
        var roleAllowsElsewhere = false;
        foreach (var role in roles)
        {
            if (!_rules.TryGetValue(role, out var rules))
            {
                continue;
            }
            foreach (var rule in rules)
            {
                if ((rule.Apis is null || rule.Apis.Contains(api)) && rule.Methods.Contains(method))
                {
                    if (rule.AnyDomain || inDomain)
                    {
                        return PolicyDecision.Allow;
                    }
                    roleAllowsElsewhere = true;
                }
            }
        }
        return roleAllowsElsewhere
            ? new PolicyDecision(false, $"The token's domains do not include '{gatewayDomain}' and none of its roles spans other domains for this call.")
            : new PolicyDecision(false, $"None of the token's roles ({(roles.Count == 0 ? "none" : string.Join(", ", roles))}) may {method} on the '{api}' API.");
    }

    /// <summary>The embedded default policy.</summary>
    public static AccessPolicy LoadDefault()
    {
        using var stream = typeof(AccessPolicy).Assembly.GetManifestResourceStream("Aeros.Security.default-policy.yaml")
            ?? throw new InvalidOperationException("The embedded default policy is missing.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "the default policy");
    }

    /// <summary>Reads <paramref name="path"/>; throws <see cref="AccessPolicyException"/> listing every problem.</summary>
    public static AccessPolicy Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AccessPolicyException($"Cannot read the policy file {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses policy YAML; <paramref name="source"/> names it in errors.</summary>
    public static AccessPolicy Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new AccessPolicyException($"{source} is not valid YAML: {e.Message}", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new AccessPolicyException($"{source} must be a YAML mapping with 'roles' (and optionally 'cache').");
        }
        var errors = new List<string>();
        var rules = new Dictionary<string, Rule[]>(StringComparer.Ordinal);
        var cache = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var sawRoles = false;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case "roles":
                    sawRoles = true;
                    ParseRoles(value, rules, errors);
                    break;
                case "cache":
                    ParseCache(value, cache, errors);
                    break;
                default:
                    errors.Add($"line {keyNode.Start.Line}: unknown key '{key}' (expected 'roles' or 'cache').");
                    break;
            }
        }
        if (!sawRoles)
        {
            errors.Add("'roles' is missing.");
        }
        if (errors.Count > 0)
        {
            throw new AccessPolicyException($"{source} is invalid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors));
        }
        return new AccessPolicy(rules.ToFrozenDictionary(StringComparer.Ordinal), cache.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static void ParseRoles(YamlNode node, Dictionary<string, Rule[]> rules, List<string> errors)
    {
        if (node is not YamlMappingNode roles)
        {
            errors.Add($"line {node.Start.Line}: 'roles' must map role names to lists of rules.");
            return;
        }
        foreach (var (roleNode, ruleList) in roles.Children)
        {
            var role = (roleNode as YamlScalarNode)?.Value ?? "";
            if (!KnownRoles.Contains(role, StringComparer.Ordinal))
            {
                errors.Add($"line {roleNode.Start.Line}: unknown role '{role}' (known: {string.Join(", ", KnownRoles)}).");
                continue;
            }
            if (ruleList is not YamlSequenceNode sequence)
            {
                errors.Add($"line {ruleList.Start.Line}: role '{role}' must have a list of rules.");
                continue;
            }
            var compiled = new List<Rule>();
            foreach (var ruleNode in sequence.Children)
            {
                if (ParseRule(role, ruleNode, errors) is { } rule)
                {
                    compiled.Add(rule);
                }
            }
            rules[role] = [.. compiled];
        }
    }

    private static Rule? ParseRule(string role, YamlNode node, List<string> errors)
    {
        if (node is not YamlMappingNode map)
        {
            errors.Add($"line {node.Start.Line}: a rule of '{role}' must be a mapping with 'apis', 'actions' and optionally 'domains'.");
            return null;
        }
        List<string>? apis = null;
        List<string>? actions = null;
        var anyDomain = false;
        var before = errors.Count;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case "apis" or "api":
                    apis = Strings(value);
                    break;
                case "actions" or "action":
                    actions = Strings(value);
                    break;
                case "domains":
                    var scope = (value as YamlScalarNode)?.Value;
                    if (scope is "any")
                    {
                        anyDomain = true;
                    }
                    else if (scope is not "own")
                    {
                        errors.Add($"line {value.Start.Line}: 'domains' of a rule of '{role}' must be 'own' or 'any' (was '{scope}').");
                    }
                    break;
                default:
                    errors.Add($"line {keyNode.Start.Line}: unknown key '{key}' in a rule of '{role}' (expected apis, actions, domains).");
                    break;
            }
        }
        if (apis is null || apis.Count == 0)
        {
            errors.Add($"line {node.Start.Line}: a rule of '{role}' lists no 'apis'.");
        }
        if (actions is null || actions.Count == 0)
        {
            errors.Add($"line {node.Start.Line}: a rule of '{role}' lists no 'actions'.");
        }
        foreach (var api in apis ?? [])
        {
            if (api != "*" && !GatewayApis.All.Contains(api, StringComparer.Ordinal))
            {
                errors.Add($"line {node.Start.Line}: unknown API '{api}' in a rule of '{role}' (known: {string.Join(", ", GatewayApis.All)}, *).");
            }
        }
        var methods = new HashSet<string>(StringComparer.Ordinal);
        foreach (var action in actions ?? [])
        {
            if (ActionMethods.TryGetValue(action, out var mapped))
            {
                methods.UnionWith(mapped);
            }
            else if (HttpMethods.Contains(action))
            {
                methods.Add(action.ToUpperInvariant());
            }
            else
            {
                errors.Add($"line {node.Start.Line}: unknown action '{action}' in a rule of '{role}' (read, write, delete or an HTTP method).");
            }
        }
        if (errors.Count > before)
        {
            return null;
        }
        var apiSet = apis!.Contains("*") ? null : apis!.ToFrozenSet(StringComparer.Ordinal);
        return new Rule(apiSet, methods.ToFrozenSet(StringComparer.Ordinal), anyDomain);
    }

    private static void ParseCache(YamlNode node, Dictionary<string, TimeSpan> cache, List<string> errors)
    {
        if (node is not YamlMappingNode map)
        {
            errors.Add($"line {node.Start.Line}: 'cache' must map API names to durations (e.g. 'broker: 2s').");
            return;
        }
        foreach (var (keyNode, value) in map.Children)
        {
            var api = (keyNode as YamlScalarNode)?.Value ?? "";
            if (!GatewayApis.All.Contains(api, StringComparer.Ordinal))
            {
                errors.Add($"line {keyNode.Start.Line}: unknown API '{api}' under 'cache'.");
                continue;
            }
            if (!TryParseDuration((value as YamlScalarNode)?.Value, out var duration) || duration < TimeSpan.Zero || duration > TimeSpan.FromHours(1))
            {
                errors.Add($"line {value.Start.Line}: cache duration of '{api}' must be like 500ms, 2s, 1m (at most 1 h).");
                continue;
            }
            if (duration > TimeSpan.Zero)
            {
                cache[api] = duration;
            }
        }
    }

    private static List<string> Strings(YamlNode node) => node switch
    {
        YamlScalarNode { Value: { } v } => [v],
        YamlSequenceNode s => [.. s.Children.OfType<YamlScalarNode>().Select(c => c.Value ?? "")],
        _ => [],
    };

    /// <summary>Parses <c>500ms</c>, <c>2s</c>, <c>1m</c>, <c>1h</c> or a TimeSpan (<c>00:00:02</c>).</summary>
    internal static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        text = text.Trim();
        (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && !(suffix == "s" && text.EndsWith("ms", StringComparison.Ordinal)))
            {
                duration = TimeSpan.FromSeconds(n * scale);
                return true;
            }
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration);
    }
}
