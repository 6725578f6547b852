using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aeros.Cli.Client;
using Aeros.Cli.Login;
using Aeros.Iam.Tests.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;

namespace Aeros.Iam.Tests.Cli;

/// <summary>
/// <c>aeros login --user</c>: the native-app flow (loopback redirect, PKCE, state) against a real IAM, with real Chromium
/// filling the real login form, and at HTTP level for the failures (wrong state, missing code, declined, timeout).
/// </summary>
public sealed partial class LoginUserTests
{
    private const string Password = "alice's long password";
    private static readonly TimeSpan BrowserDeadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task LoginUser_ChromiumFillsLoginForm_StoresRefreshTokenOnlyAndCommandsRefreshIt()
    {
        await using var iam = await IamServer.StartAsync();
        await CreateUserAsync(iam);
        var data = TemporaryDirectory();
        try
        {
            await using var login = AerosProcess.Start("login", "--url", iam.BaseUrl.AbsoluteUri, "--user", "--no-browser", "--timeout", "120", "--data", data);
            await TestDeadline.Until(() => AuthorizeUrl().IsMatch(login.Output) || login.HasExited, "aeros login prints the sign-in URL", () => login.Output, TimeSpan.FromSeconds(60));
            Assert.False(login.HasExited, login.Output);
            var url = AuthorizeUrl().Match(login.Output).Value;
            Assert.Contains("code_challenge_method=S256", url, StringComparison.Ordinal);
            Assert.Contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A", url, StringComparison.Ordinal);

            using (var playwright = await Playwright.CreateAsync().Within("starting Playwright", BrowserDeadline))
            {
                await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = "/usr/bin/chromium",
                    Headless = true,
                    Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
                    Timeout = (float)BrowserDeadline.TotalMilliseconds,
                }).Within("launching Chromium", BrowserDeadline);
                var page = await browser.NewPageAsync().Within("opening a page", BrowserDeadline);
                page.SetDefaultTimeout((float)BrowserDeadline.TotalMilliseconds);
                await page.GotoAsync(url).Within("opening the IAM's login form", BrowserDeadline);
                await page.FillAsync("input[name=aeros_username]", "alice").Within("typing the user", BrowserDeadline);
                await page.FillAsync("input[name=aeros_password]", Password).Within("typing the password", BrowserDeadline);
                await page.ClickAsync("button:has-text('Sign in')").Within("signing in", BrowserDeadline);
                var result = await page.WaitForSelectorAsync("#aeros-login-result").Within("the CLI's redirect page", BrowserDeadline);
                Assert.Contains("Signed in", await result!.TextContentAsync().Within("reading the page", BrowserDeadline), StringComparison.Ordinal);
            }
            await login.WaitForExitAsync("aeros login finishes");
            Assert.True(login.ExitCode == 0, login.Output);
            Assert.Contains("Logged in as user 'alice'", login.Output, StringComparison.Ordinal);
            Assert.Contains("DomainAdministrator", login.Output, StringComparison.Ordinal);

            var file = CliCredentials.LoginFile(data);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
            var text = await File.ReadAllTextAsync(file).Within("reading login.json");
            Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
            var stored = CliCredentials.ReadLogin(data)!;
            Assert.True(stored.IsUser);
            Assert.Equal("alice", stored.User);
            Assert.Null(stored.ClientSecret);

            // A later command refreshes from the stored token; the IAM rotates it and the file follows.
            using var source = new RefreshTokenSource(stored, file, TimeProvider.System);
            var access = await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("refreshing");
            Assert.Equal("alice", UserLoginFlow.Claim(access, "sub"));
            Assert.NotEqual(stored.RefreshToken, CliCredentials.ReadLogin(data)!.RefreshToken);
        }
        finally
        {
            DeleteDirectory(data);
        }
    }

    [Fact]
    public async Task RunAsync_SignInThroughForm_RefreshTokenRotatesInFileAndNextSourceUsesIt()
    {
        await using var iam = await IamServer.StartAsync();
        await CreateUserAsync(iam);
        var (login, access) = await UserLoginFlow.RunAsync(Settings(iam), url => SubmitFormAsync(iam, url, cancel: false), null, TimeProvider.System, CancellationToken.None)
            .Within("the sign-in");
        Assert.Equal("alice", login.User);
        Assert.Equal("alice", UserLoginFlow.Claim(access, "sub"));
        Assert.Equal("aeros-login", UserLoginFlow.Claim(access, "client_id"));
        var data = TemporaryDirectory();
        try
        {
            var file = CliCredentials.WriteLogin(data, login);
            using (var first = new RefreshTokenSource(login, file, TimeProvider.System))
            {
                await first.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("the first refresh");
            }
            var rotated = CliCredentials.ReadLogin(data)!;
            Assert.NotEqual(login.RefreshToken, rotated.RefreshToken);
            // A second command starts from the file, i.e. the rotated token, and so works (and rotates again).
            using var second = new RefreshTokenSource(rotated, file, TimeProvider.System);
            Assert.Equal("alice", UserLoginFlow.Claim(await second.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("the second refresh"), "sub"));
            Assert.NotEqual(rotated.RefreshToken, CliCredentials.ReadLogin(data)!.RefreshToken);
        }
        finally
        {
            DeleteDirectory(data);
        }
    }

    [Fact]
    public async Task RunAsync_RedirectWithWrongState_FailsWithoutExchangingTheCode()
    {
        await using var iam = await IamServer.StartAsync();
        var error = await Assert.ThrowsAsync<UserLoginException>(() => UserLoginFlow.RunAsync(Settings(iam), async url =>
        {
            var redirect = Query(url)["redirect_uri"];
            using var http = new HttpClient();
            using var answer = await http.GetAsync(QueryHelpers.AddQueryString(redirect, new Dictionary<string, string?> { ["code"] = "forged", ["state"] = "not-the-state" })).Within("the forged redirect");
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        }, null, TimeProvider.System, CancellationToken.None)).Within("the login");
        Assert.Contains("state", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.ExitCode);
    }

    [Fact]
    public async Task RunAsync_RedirectWithoutCode_Fails()
    {
        await using var iam = await IamServer.StartAsync();
        var error = await Assert.ThrowsAsync<UserLoginException>(() => UserLoginFlow.RunAsync(Settings(iam), async url =>
        {
            var query = Query(url);
            using var http = new HttpClient();
            using var answer = await http.GetAsync(QueryHelpers.AddQueryString(query["redirect_uri"], "state", query["state"])).Within("the redirect without code");
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        }, null, TimeProvider.System, CancellationToken.None)).Within("the login");
        Assert.Contains("no authorization code", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_UserCancelsOnLoginForm_AccessDeniedExitCode9()
    {
        await using var iam = await IamServer.StartAsync();
        await CreateUserAsync(iam);
        var error = await Assert.ThrowsAsync<UserLoginException>(() => UserLoginFlow.RunAsync(Settings(iam), url => SubmitFormAsync(iam, url, cancel: true),
            null, TimeProvider.System, CancellationToken.None)).Within("the login");
        Assert.Contains("access_denied", error.Message, StringComparison.Ordinal);
        Assert.Equal(9, error.ExitCode);
    }

    [Fact]
    public async Task RunAsync_WrongPasswordThenNothing_TimesOutWithMessage()
    {
        await using var iam = await IamServer.StartAsync();
        await CreateUserAsync(iam);
        var settings = Settings(iam) with { Timeout = TimeSpan.FromSeconds(2) };
        var error = await Assert.ThrowsAsync<UserLoginException>(() => UserLoginFlow.RunAsync(settings, async url =>
        {
            // A wrong password keeps the user on the form (401): no redirect reaches the CLI.
            var form = new Dictionary<string, string>(Query(url)) { ["aeros_username"] = "alice", ["aeros_password"] = "not the password" };
            using var response = await iam.PostFormAsync("iam/connect/authorize", form, iam.NoRedirects);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }, null, TimeProvider.System, CancellationToken.None)).Within("the login");
        Assert.Contains("nobody signed in within 2 s", error.Message, StringComparison.Ordinal);
        Assert.Equal(7, error.ExitCode);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1234/callback", true)]
    [InlineData("http://127.0.0.1:61000/callback", true)]
    [InlineData("http://[::1]:1234/callback", true)]
    [InlineData("http://localhost:1234/callback", false)]
    [InlineData("http://127.0.0.1:1234/other", false)]
    [InlineData("http://127.0.0.2:1234/callback", false)]
    [InlineData("https://127.0.0.1:1234/callback", false)]
    [InlineData("http://evil.example:1234/callback", false)]
    [InlineData("http://127.0.0.1:1234/callback?x=1", false)]
    public async Task Authorize_CliClientRedirectUri_OnlyLoopbackIpCallbackOnAnyPort(string redirectUri, bool accepted)
    {
        await using var iam = await IamServer.StartAsync();
        var (_, challenge) = CodeFlow.NewPkce();
        var parameters = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = "aeros-login",
            ["redirect_uri"] = redirectUri,
            ["scope"] = "openid offline_access",
            ["state"] = "s",
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        using var response = await iam.NoRedirects.GetAsync(QueryHelpers.AddQueryString("iam/connect/authorize", parameters)).Within("authorize");
        var body = await response.Content.ReadAsStringAsync();
        if (accepted)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            Assert.Contains("name=\"aeros_password\"", body, StringComparison.Ordinal);
        }
        else
        {
            // Refused before the form and never redirected to the unregistered URI.
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("redirect_uri", body, StringComparison.Ordinal);
            Assert.Null(response.Headers.Location);
        }
    }

    [Fact]
    public async Task ClientCommands_LoginForUrl_TokenOnlyToThatOriginNotToDomainsReadFromItsAnswers()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        var secret = await iam.CreateMachineClientAsync(admin, "cli-reader", "ServiceDeveloper", "domain1");
        await using var other = await RecordingServer.StartAsync(http => { http.Response.StatusCode = 401; return Task.CompletedTask; });
        await using var domain = await RecordingServer.StartAsync(async http =>
        {
            if (http.Request.Path == "/federation/v1/domains")
            {
                // The federation view (data) names another domain: it must not receive the login's token.
                await http.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["domain"] = "domain1",
                    ["domains"] = new JsonArray(new JsonObject { ["name"] = "elsewhere", ["publicUrl"] = other.BaseUrl.AbsoluteUri }),
                });
                return;
            }
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("[]");
        });
        var login = new CliLogin(new Uri(iam.BaseUrl, "iam/").AbsoluteUri, new Uri(iam.BaseUrl, "iam/connect/token").AbsoluteUri, "cli-reader", secret);

        await Aeros.Cli.LocalContinuum.ContinuumStatusReader.FromUrlAsync(domain.BaseUrl, TimeProvider.System, CancellationToken.None, login).Within("aeros status --url");

        Assert.NotEmpty(domain.Requests);
        Assert.All(domain.Requests, r => Assert.StartsWith("Bearer ", r.Authorization, StringComparison.Ordinal));
        Assert.NotEmpty(other.Requests);
        Assert.All(other.Requests, r => Assert.Null(r.Authorization));
    }

    private static UserLoginSettings Settings(IamServer iam)
    {
        var issuer = new Uri(iam.BaseUrl, "iam/");
        return new UserLoginSettings(issuer, new Uri(issuer, "connect/authorize"), new Uri(issuer, "connect/token"), "aeros-login", TimeSpan.FromSeconds(60));
    }

    private static async Task CreateUserAsync(IamServer iam)
    {
        var admin = await iam.AdminTokenAsync();
        using (var created = await iam.AdminAsync(HttpMethod.Post, "users", admin, new { name = "alice", password = Password }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var assigned = await iam.AdminAsync(HttpMethod.Post, "assignments", admin, new { user = "alice", role = "DomainAdministrator", domain = "domain1" });
        Assert.Equal(HttpStatusCode.Created, assigned.StatusCode);
    }

    /// <summary>What a browser does: posts the login form (or its Cancel button) and follows the IAM's redirect to the CLI.</summary>
    private static async Task SubmitFormAsync(IamServer iam, Uri authorizeUrl, bool cancel)
    {
        var form = new Dictionary<string, string>(Query(authorizeUrl));
        if (cancel)
        {
            form["aeros_cancel"] = "1";
            form["aeros_username"] = "";
            form["aeros_password"] = "";
        }
        else
        {
            form["aeros_username"] = "alice";
            form["aeros_password"] = Password;
        }
        using var response = await iam.PostFormAsync("iam/connect/authorize", form, iam.NoRedirects);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        using var http = new HttpClient();
        using var callback = await http.GetAsync(response.Headers.Location).Within("following the redirect to the CLI");
    }

    private static Dictionary<string, string> Query(Uri url) =>
        QueryHelpers.ParseQuery(url.Query).ToDictionary(p => p.Key, p => p.Value.ToString());

    private static string TemporaryDirectory() => Path.Combine(Path.GetTempPath(), "aeros-login-test-" + Guid.NewGuid().ToString("N"));

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was written.
        }
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/iam/connect/authorize\?\S+")]
    private static partial Regex AuthorizeUrl();
}
