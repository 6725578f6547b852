using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Aeros.Iam.Tokens;

/// <summary>
/// Turns off the database token entry for client-credential access tokens (unless
/// <see cref="IamOptions.StoreClientCredentialTokens"/>): one write less per token on the busiest path. Such a token
/// cannot be revoked one by one; it is short-lived and self-contained instead (ADR 0010).
/// </summary>
internal sealed class SkipClientCredentialTokenEntry : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<SkipClientCredentialTokenEntry>()
            .SetOrder(OpenIddictServerHandlers.Protection.CreateTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TokenType is OpenIddictConstants.TokenTypeIdentifiers.AccessToken or OpenIddictConstants.TokenTypeHints.AccessToken
            && context.Transaction.Request?.IsClientCredentialsGrantType() == true)
        {
            context.CreateTokenEntry = false;
        }
        return ValueTask.CompletedTask;
    }
}
