using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using OpenIddict.Abstractions;

namespace Aeros.Iam.Tokens;

/// <summary>
/// The minimal login form of the authorization endpoint: it posts the user's name and password back to the endpoint
/// together with the original request's parameters (hidden fields), so no session cookie is needed.
/// </summary>
internal static class LoginPage
{
    public const string UserField = "aeros_username";
    public const string PasswordField = "aeros_password";

    /// <summary>The Cancel button's name: the user declines, the client gets <c>error=access_denied</c>.</summary>
    public const string CancelField = "aeros_cancel";

    public static IResult Render(HttpContext http, OpenIddictRequest request, string? error, int statusCode = StatusCodes.Status200OK)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Aeros sign-in</title></head><body>");
        html.Append("<h1>Sign in to Aeros</h1>");
        html.Append("<p>Client: ").Append(Encode(request.ClientId)).Append("</p>");
        if (error is not null)
        {
            html.Append("<p role=\"alert\">").Append(Encode(error)).Append("</p>");
        }
        html.Append("<form method=\"post\" action=\"").Append(Encode(http.Request.PathBase + http.Request.Path)).Append("\">");
        foreach (var (name, value) in request.GetParameters())
        {
            if (name is UserField or PasswordField or CancelField)
            {
                continue;
            }
            html.Append("<input type=\"hidden\" name=\"").Append(Encode(name)).Append("\" value=\"").Append(Encode((string?)value)).Append("\">");
        }
        html.Append("<label>User <input name=\"").Append(UserField).Append("\" autocomplete=\"username\" required></label> ");
        html.Append("<label>Password <input type=\"password\" name=\"").Append(PasswordField).Append("\" autocomplete=\"current-password\" required></label> ");
        html.Append("<button type=\"submit\">Sign in</button> ");
        html.Append("<button type=\"submit\" name=\"").Append(CancelField).Append("\" value=\"1\" formnovalidate>Cancel</button></form></body></html>");
        http.Response.Headers.CacheControl = "no-store";
        // The form must not be framed by another site (click-jacking).
        http.Response.Headers["X-Frame-Options"] = "DENY";
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }

    private static string Encode(string? value) => WebUtility.HtmlEncode(value ?? "");
}
