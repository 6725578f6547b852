using Aeros.Abstractions.Continuum;

namespace Aeros.Continuum;

/// <summary>
/// The names aerOS writes for the continuum enumerations (<c>RISC-V</c>, <c>containerd</c>, <c>iSulad</c>, <c>macOS</c>;
/// otherwise the member name) and their URNs <c>urn:ngsi-ld:&lt;EnumType&gt;:&lt;Name&gt;</c>.
/// </summary>
public static class ContinuumEnumNames
{
    /// <summary>The name written for <paramref name="value"/>.</summary>
    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum => value switch
    {
        CpuArchitecture.RiscV => "RISC-V",
        ContainerTechnology.Containerd => "containerd",
        ContainerTechnology.ISulad => "iSulad",
        OperatingSystemFamily.MacOS => "macOS",
        _ => value.ToString(),
    };

    /// <summary>The URN of <paramref name="value"/>, e.g. <c>urn:ngsi-ld:CpuArchitecture:AMD64</c>.</summary>
    public static string Urn<TEnum>(TEnum value) where TEnum : struct, Enum => UrnPrefix<TEnum>() + Name(value);

    /// <summary>The URN prefix of <typeparamref name="TEnum"/>, e.g. <c>urn:ngsi-ld:CpuArchitecture:</c>.</summary>
    public static string UrnPrefix<TEnum>() where TEnum : struct, Enum => "urn:ngsi-ld:" + typeof(TEnum).Name + ":";

    /// <summary>
    /// Reads a name, a URN (any <c>urn:...:</c> prefix) or a common alias (e.g. <c>x86_64</c>, <c>aarch64</c> for
    /// <see cref="CpuArchitecture"/>), ignoring case; false for anything else.
    /// </summary>
    public static bool TryParse<TEnum>(string? text, out TEnum value) where TEnum : struct, Enum
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var name = text.Trim();
        if (name.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            name = name[(name.LastIndexOf(':') + 1)..];
        }
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(candidate.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }
        if (typeof(TEnum) == typeof(CpuArchitecture) && ArchitectureAlias(name) is { } arch)
        {
            value = (TEnum)(object)arch;
            return true;
        }
        return false;
    }

    // The original writes what the OS reports (x64, x86_64, aarch64); these are read as the model's names.
    private static CpuArchitecture? ArchitectureAlias(string name) => name.ToLowerInvariant() switch
    {
        "x86_64" or "x64" or "x86-64" => CpuArchitecture.AMD64,
        "aarch64" or "arm64v8" => CpuArchitecture.ARM64,
        "arm" or "armv7l" or "armv7" or "armhf" or "armv6l" => CpuArchitecture.ARM32,
        "riscv64" or "riscv" => CpuArchitecture.RiscV,
        "mips64el" => CpuArchitecture.MIPS64LE,
        "ppc64el" => CpuArchitecture.PPC64LE,
        _ => null,
    };
}
