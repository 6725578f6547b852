using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Aeros.Cli.Login;

/// <summary>What arrived at the loopback redirect URI: the authorization code, or why there is none.</summary>
/// <param name="Code">The authorization code (only when the state matched).</param>
/// <param name="Error">The OAuth error the IAM sent (e.g. <c>access_denied</c>), with its description.</param>
/// <param name="StateMismatch">The redirect's <c>state</c> was missing or not the one this login sent.</param>
internal sealed record RedirectOutcome(string? Code, string? Error, bool StateMismatch);

/// <summary>
/// The CLI's side of the RFC 8252 native-app flow: a tiny HTTP server on <c>127.0.0.1</c> and a port the system picks,
/// serving only <c>GET /callback</c>. The first request there ends the wait: it is checked against the expected
/// <c>state</c> (CSRF, RFC 6749 §10.12), answered with a short page for the browser, and reported as a
/// <see cref="RedirectOutcome"/>. Other paths get 404; later callbacks are told the login is over.
/// </summary>
internal sealed class LoopbackRedirectListener : IAsyncDisposable
{
    /// <summary>The path of the redirect URI (registered at the IAM as <c>http://127.0.0.1/callback</c>).</summary>
    public const string CallbackPath = "/callback";

    private readonly WebApplication _app;
    private readonly TaskCompletionSource<RedirectOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _state;

    private LoopbackRedirectListener(WebApplication app, string state)
    {
        _app = app;
        _state = state;
    }

    /// <summary>The redirect URI to send with the authorization request, e.g. <c>http://127.0.0.1:43121/callback</c>.</summary>
    public Uri RedirectUri { get; private set; } = null!;

    /// <summary>Completes with the first callback.</summary>
    public Task<RedirectOutcome> Outcome => _outcome.Task;

    /// <summary>Starts listening on <c>127.0.0.1:0</c>; <paramref name="state"/> is what the callback must carry.</summary>
    public static async Task<LoopbackRedirectListener> StartAsync(string state, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var listener = new LoopbackRedirectListener(app, state);
        app.MapGet(CallbackPath, listener.Callback);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        listener.RedirectUri = new Uri(app.Urls.First().TrimEnd('/') + CallbackPath);
        return listener;
    }

    private IResult Callback(HttpContext http)
    {
        if (_outcome.Task.IsCompleted)
        {
            return Page(StatusCodes.Status409Conflict, "This sign-in is already over. Return to the terminal.");
        }
        var query = http.Request.Query;
        var state = query["state"].ToString();
        RedirectOutcome outcome;
        IResult page;
        // The state is checked first: a redirect this login did not start must not end it with an attacker's code.
        if (!string.Equals(state, _state, StringComparison.Ordinal))
        {
            outcome = new RedirectOutcome(null, null, StateMismatch: true);
            page = Page(StatusCodes.Status400BadRequest, "This sign-in answer does not belong to the running 'aeros login' (state mismatch). Nothing was stored.");
        }
        else if (query["error"].ToString() is { Length: > 0 } error)
        {
            var description = query["error_description"].ToString();
            outcome = new RedirectOutcome(null, description.Length > 0 ? $"{error}: {description}" : error, false);
            page = Page(StatusCodes.Status200OK, $"Sign-in did not succeed ({error}). Return to the terminal.");
        }
        else if (query["code"].ToString() is { Length: > 0 } code)
        {
            outcome = new RedirectOutcome(code, null, false);
            page = Page(StatusCodes.Status200OK, "Signed in. You can close this window and return to the terminal.");
        }
        else
        {
            outcome = new RedirectOutcome(null, null, false);
            page = Page(StatusCodes.Status400BadRequest, "The sign-in answer carries neither a code nor an error. Return to the terminal.");
        }
        _outcome.TrySetResult(outcome);
        return page;
    }

    private static IResult Page(int status, string message)
    {
        var html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>aeros login</title></head><body><p id=\"aeros-login-result\">"
            + WebUtility.HtmlEncode(message) + "</p></body></html>";
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(stop.Token);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
