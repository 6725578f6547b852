using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aeros.Iam;
using Aeros.Iam.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Iam.Tests.TestSupport;

/// <summary>Captures what the IAM shows on the console (the initial credential).</summary>
internal sealed class CapturingConsole : IInitialCredentialsConsole
{
    private readonly StringBuilder _text = new();

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public void Write(string text)
    {
        lock (_text)
        {
            _text.Append(text);
        }
    }
}

/// <summary>A real IAM on Kestrel at 127.0.0.1 with a temporary data directory (real SQLite); disposing stops it and deletes the directory.</summary>
internal sealed partial class IamServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsDirectory;

    private IamServer(WebApplication app, string dataDirectory, bool ownsDirectory, CapturingConsole console)
    {
        _app = app;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        Console = console;
        BaseUrl = new Uri(app.Urls.First().TrimEnd('/') + "/");
        Http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        NoRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string DataDirectory { get; }

    public CapturingConsole Console { get; }

    public Uri BaseUrl { get; }

    public HttpClient Http { get; }

    public HttpClient NoRedirects { get; }

    public IServiceProvider Services => _app.Services;

    public string AdminClientId => IamOptions.DefaultInitialAdminClientId;

    public string AdminSecret => SecretPattern().Match(Console.Text) is { Success: true } m ? m.Groups[1].Value
        : throw new InvalidOperationException("No initial secret was shown:\n" + Console.Text);

    public string AdminPassword => PasswordPattern().Match(Console.Text) is { Success: true } m ? m.Groups[1].Value
        : throw new InvalidOperationException("No initial password was shown:\n" + Console.Text);

    public static async Task<IamServer> StartAsync(Action<IamOptions>? configure = null, string? dataDirectory = null)
    {
        var directory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "aeros-iam-test-" + Guid.NewGuid().ToString("N"));
        var console = new CapturingConsole();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Critical);
        builder.Services.AddSingleton<IInitialCredentialsConsole>(console);
        builder.Services.AddAerosIam(options =>
        {
            options.DataDirectory = directory;
            configure?.Invoke(options);
        });
        var app = builder.Build();
        app.MapAerosIam();
        try
        {
            await app.StartAsync().Within("starting the IAM");
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new IamServer(app, directory, dataDirectory is null, console);
    }

    /// <summary>A client-credentials token response (asserted 200).</summary>
    public async Task<JsonObject> ClientTokenAsync(string clientId, string secret)
    {
        using var response = await PostFormAsync("iam/connect/token", new()
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
        });
        var body = await response.Content.ReadAsStringAsync().Within("reading the token response");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token request failed: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public async Task<string> AdminTokenAsync() => (string)(await ClientTokenAsync(AdminClientId, AdminSecret))["access_token"]!;

    public Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> form, HttpClient? client = null) =>
        (client ?? Http).PostAsync(path, new FormUrlEncodedContent(form)).Within($"POST {path}");

    /// <summary>Calls the admin API with <paramref name="token"/> (none when null).</summary>
    public Task<HttpResponseMessage> AdminAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(method, "iam/admin/v1/" + path.TrimStart('/'));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (body is string text)
        {
            request.Content = new StringContent(text, Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return Http.SendAsync(request).Within($"{method} {path}");
    }

    /// <summary>Creates a confidential client-credentials client with one role and returns its secret.</summary>
    public async Task<string> CreateMachineClientAsync(string adminToken, string clientId, string role, string domain)
    {
        using var created = await AdminAsync(HttpMethod.Post, "clients", adminToken, new { clientId });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (string)(await created.Content.ReadFromJsonAsync<JsonObject>().Within("reading the client"))!["clientSecret"]!;
        using var assigned = await AdminAsync(HttpMethod.Post, "assignments", adminToken, new { client = clientId, role, domain });
        Assert.Equal(HttpStatusCode.Created, assigned.StatusCode);
        return secret;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        NoRedirects.Dispose();
        try
        {
            await _app.StopAsync().Within("stopping the IAM");
        }
        finally
        {
            await _app.DisposeAsync();
            if (_ownsDirectory)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                try
                {
                    Directory.Delete(DataDirectory, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover temporary directory is harmless.
                }
            }
        }
    }

    [GeneratedRegex(@"client secret: (\S+)")]
    private static partial Regex SecretPattern();

    [GeneratedRegex(@"password:\s+(\S+)")]
    private static partial Regex PasswordPattern();
}
