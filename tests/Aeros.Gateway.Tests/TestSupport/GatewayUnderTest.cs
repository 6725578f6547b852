using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Gateway.Tests.TestSupport;

/// <summary>A real gateway (Kestrel on 127.0.0.1) built with <c>AddAerosGateway</c>/<c>MapAerosGateway</c>, with a client and the log lines it wrote.</summary>
internal sealed class GatewayUnderTest : IAsyncDisposable
{
    private GatewayUnderTest(WebApplication app, HttpClient client, CapturingLoggerProvider logs)
    {
        App = app;
        Client = client;
        Logs = logs;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public CapturingLoggerProvider Logs { get; }

    public Uri Url => Client.BaseAddress!;

    public static async Task<GatewayUnderTest> StartAsync(Action<GatewayOptions> configure, TimeProvider? time = null, Action<WebApplication>? extra = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var logs = new CapturingLoggerProvider();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }
        builder.Services.AddAerosGateway(o =>
        {
            o.DomainName = "domain1";
            configure(o);
        });
        var app = builder.Build();
        extra?.Invoke(app);
        app.MapAerosGateway();
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        return new GatewayUnderTest(app, client, logs);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? token) => SendAsync(HttpMethod.Get, path, token);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await App.DisposeAsync();
    }
}

/// <summary>Keeps every formatted log line (to prove access logs carry no secrets).</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, int EventId, string Message)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue((category, eventId.Id, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
