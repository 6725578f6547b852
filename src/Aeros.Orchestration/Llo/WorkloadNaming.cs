using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// How the LLO names the workloads it creates on agents: <c>aeros-&lt;16 hex of SHA-256(component id)&gt;-g&lt;generation&gt;</c>
/// (at most 45 characters, within the agent's 63-character rule). The name is deterministic, so a repeated start of
/// the same (component, generation) after a crash finds the copy instead of making a second one. The spec also carries
/// <see cref="ComponentIdVariable"/> and <see cref="GenerationVariable"/>, which tell the component behind a name.
/// </summary>
internal static class WorkloadNaming
{
    /// <summary>The prefix of every LLO workload name.</summary>
    public const string Prefix = "aeros-";

    /// <summary>The environment variable holding the component id.</summary>
    public const string ComponentIdVariable = "AEROS_COMPONENT_ID";

    /// <summary>The environment variable holding the generation.</summary>
    public const string GenerationVariable = "AEROS_GENERATION";

    /// <summary>The environment variable holding the element the copy was started for.</summary>
    public const string ElementIdVariable = "AEROS_ELEMENT_ID";

    private const int HashChars = 16;

    /// <summary>The workload name of (<paramref name="componentId"/>, <paramref name="generation"/>).</summary>
    public static string Name(string componentId, long generation) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Hash(componentId)}-g{generation}");

    /// <summary>The hash part of the names of <paramref name="componentId"/>.</summary>
    public static string Hash(string componentId)
    {
        ArgumentException.ThrowIfNullOrEmpty(componentId);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(componentId), digest);
        return Convert.ToHexStringLower(digest[..(HashChars / 2)]);
    }

    /// <summary>Reads an LLO workload name; false for any other name.</summary>
    public static bool TryParse(string? name, out string hash, out long generation)
    {
        hash = "";
        generation = 0;
        if (name is null || !name.StartsWith(Prefix, StringComparison.Ordinal) || name.Length < Prefix.Length + HashChars + 3)
        {
            return false;
        }
        var rest = name.AsSpan(Prefix.Length);
        if (rest[HashChars] != '-' || rest[HashChars + 1] != 'g' || !rest[..HashChars].ContainsOnlyHex())
        {
            return false;
        }
        if (!long.TryParse(rest[(HashChars + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out generation))
        {
            return false;
        }
        hash = rest[..HashChars].ToString();
        return true;
    }

    private static bool ContainsOnlyHex(this ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return true;
    }
}
