namespace Aeros.Agent.SelfApi.Transport;

/// <summary>Handles one self-API request.</summary>
internal delegate ValueTask<SelfApiResponse> SelfApiHandler(SelfApiRequest request);

/// <summary>
/// One self-API route: a method and a template in ASP.NET Core's syntax restricted to what the self-API uses —
/// literal segments, <c>{name}</c> parameters, and a final <c>{**rest}</c> catch-all for a fallback (method
/// <see cref="AnyMethod"/>, matched only when no other route matches the path).
/// </summary>
internal sealed record SelfApiRoute(string Method, string Template, SelfApiHandler Handler)
{
    /// <summary>The method of a fallback route.</summary>
    public const string AnyMethod = "*";

    /// <summary>True for a catch-all fallback.</summary>
    public bool IsFallback => Method == AnyMethod;
}
