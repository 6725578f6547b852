using System.Net;
using System.Net.Http.Headers;

namespace Aeros.Security;

/// <summary>
/// Adds <c>Authorization: Bearer</c> with a token from an <see cref="IAccessTokenSource"/> to every request. When the API
/// answers 401 the token is invalidated and the request is sent once more with a fresh token (a revoked token or a
/// rotated key must not stop a component until its token expires); the second answer is returned as it is. With
/// <see cref="TokenRecipients"/>, only requests to those origins carry the token; the others go out unchanged.
/// </summary>
public sealed class BearerTokenHandler : DelegatingHandler
{
    private readonly IAccessTokenSource _tokens;
    private readonly TokenRecipients? _recipients;

    /// <summary>A handler whose inner handler is set by the pipeline (e.g. <c>IHttpClientBuilder.AddHttpMessageHandler</c>).</summary>
    public BearerTokenHandler(IAccessTokenSource tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = tokens;
    }

    /// <summary>A handler (inner handler set by the pipeline) that sends the token only to <paramref name="recipients"/>.</summary>
    public BearerTokenHandler(IAccessTokenSource tokens, TokenRecipients recipients)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(recipients);
        _tokens = tokens;
        _recipients = recipients;
    }

    /// <summary>A handler in front of <paramref name="inner"/>; with <paramref name="recipients"/>, the token goes only to them.</summary>
    public BearerTokenHandler(IAccessTokenSource tokens, HttpMessageHandler inner, TokenRecipients? recipients = null) : base(inner)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = tokens;
        _recipients = recipients;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_recipients is not null && !_recipients.Includes(request.RequestUri))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        var token = await _tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !IsReplayable(request.Content))
        {
            return response;
        }
        _tokens.Invalidate(token);
        var fresh = await _tokens.GetAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    // A streamed body was consumed by the first attempt; buffered bodies serialise again.
    private static bool IsReplayable(HttpContent? content) =>
        content is null or ByteArrayContent or ReadOnlyMemoryContent || content.GetType().FullName == "System.Net.Http.Json.JsonContent";
}
