using System.Text.RegularExpressions;

namespace Aeros.Iam;

/// <summary>Rules for names of users, clients and domains, and for secrets.</summary>
internal static partial class AdminNames
{
    public const string NameRule = "use 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit";

    public const int MinPasswordLength = 10;

    public const int MinSecretLength = 16;

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>A domain scope: a domain name or <c>*</c>.</summary>
    public static bool IsValidDomain(string? domain) => domain == IamClaims.AllDomains || IsValidName(domain);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
