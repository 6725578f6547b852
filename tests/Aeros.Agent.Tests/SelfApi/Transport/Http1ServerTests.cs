using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Agent.Hosting;
using Aeros.Agent.SelfApi.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Tests.SelfApi.Transport;

/// <summary>The agent's own HTTP/1.1 server over raw sockets: framing, limits, errors as problem details, graceful stop.</summary>
public sealed class Http1ServerTests : IAsyncLifetime
{
    private readonly TaskCompletionSource _slowEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _slowRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MinimalAgentHost _host = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.Configure<SelfApiServerOptions>(o =>
        {
            o.MaxRequestHeadersBytes = 2048;
            o.MaxRequestBodyBytes = 4096;
            o.RequestTimeout = TimeSpan.FromSeconds(2);
            o.ShutdownTimeout = TimeSpan.FromSeconds(20);
        });
        SelfApiRoute[] routes =
        [
            new("PUT", "/echo/{name}", async request =>
            {
                using var reader = new StreamReader(request.Body);
                var body = await reader.ReadToEndAsync(request.Aborted);
                return SelfApiResponse.Json(200, new JsonObject
                {
                    ["name"] = request.Route("name"), ["body"] = body, ["contentType"] = request.ContentType,
                    ["q"] = request.TryGetQuery("q", out var q) ? string.Join("|", q) : null,
                });
            }),
            new("GET", "/hello", _ => ValueTask.FromResult(SelfApiResponse.Text(200, "text/plain; charset=utf-8", "hello"))),
            new("GET", "/slow", async _ =>
            {
                _slowEntered.TrySetResult();
                await _slowRelease.Task;
                return SelfApiResponse.Text(200, "text/plain; charset=utf-8", "slow done");
            }),
            new("GET", "/fail", _ => throw new InvalidOperationException("handler bug")),
        ];
        _host = MinimalAgentHost.Create(services, "http://127.0.0.1:0", routes);
        await _host.StartAsync().Within("starting the server");
        _port = new Uri(_host.Urls[0]).Port;
    }

    public async Task DisposeAsync()
    {
        _slowRelease.TrySetResult();
        await _host.DisposeAsync().AsTask().Within("stopping the server");
    }

    [Fact]
    public async Task KeepAlive_TwoRequestsOnOneConnection_BothAnsweredOnIt()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
        var first = await client.ReadResponseAsync();
        await client.SendAsync("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
        var second = await client.ReadResponseAsync();

        Assert.Equal(200, first.Status);
        Assert.Equal("hello", first.Body);
        Assert.Equal(200, second.Status);
        Assert.False(first.Headers.ContainsKey("connection"));
    }

    [Fact]
    public async Task Pipelined_TwoRequestsInOneWrite_AnsweredInOrder()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("PUT /echo/one HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabcGET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
        var first = await client.ReadResponseAsync();
        var second = await client.ReadResponseAsync();

        Assert.Equal("abc", JsonNode.Parse(first.Body)!["body"]!.GetValue<string>());
        Assert.Equal("hello", second.Body);
    }

    [Fact]
    public async Task ChunkedBody_WithExtensionAndTrailer_HandlerSeesWholeBody()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("PUT /echo/c%20d?q=1&q=two+words HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nX-Trailer: t\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        var json = JsonNode.Parse(response.Body)!;
        Assert.Equal("{\"a\":1}", json["body"]!.GetValue<string>());
        Assert.Equal("c d", json["name"]!.GetValue<string>());
        Assert.Equal("1|two words", json["q"]!.GetValue<string>());
        Assert.Equal("application/json", json["contentType"]!.GetValue<string>());
    }

    [Fact]
    public async Task ExpectContinue_BodyFollows_100ThenAnswer()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("PUT /echo/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
        var interim = await client.ReadResponseAsync();
        await client.SendAsync("ok");
        var final = await client.ReadResponseAsync();

        Assert.Equal(100, interim.Status);
        Assert.Equal(200, final.Status);
        Assert.Equal("ok", JsonNode.Parse(final.Body)!["body"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("GET /hello HTTP/1.1\nHost: a\n\n", 400)]
    [InlineData("GET /hello HTTP/1.1\r\n\r\n", 400)] // no Host
    [InlineData("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)]
    [InlineData("PUT /echo/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400)]
    [InlineData("PUT /echo/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", 400)]
    [InlineData("PUT /echo/x HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx", 400)]
    [InlineData("GET /hello HTTP/1.1\r\nHost : a\r\n\r\n", 400)]
    [InlineData("GET /hello HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400)]
    [InlineData("GET http://a/hello HTTP/1.1\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET /hello HTTP/2.0\r\nHost: a\r\n\r\n", 505)]
    [InlineData("PUT /echo/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501)]
    [InlineData("PUT /echo/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400)]
    public async Task Request_Malformed_ProblemAndConnectionClosed(string raw, int status)
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync(raw);
        var response = await client.ReadResponseAsync();

        Assert.Equal(status, response.Status);
        Assert.Equal("application/problem+json", response.Headers["content-type"]);
        Assert.Equal(status, JsonNode.Parse(response.Body)!["status"]!.GetValue<int>());
        Assert.Equal("close", response.Headers["connection"]);
        Assert.True(await client.ClosedAsync(), "the server closes the connection after a refused request");
    }

    [Fact]
    public async Task Body_DeclaredOverLimit_413()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("PUT /echo/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(413, response.Status);
        Assert.Equal("application/problem+json", response.Headers["content-type"]);
    }

    [Fact]
    public async Task Body_ChunkedOverLimit_413()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("PUT /echo/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + new string('a', 2048) + "\r\n1000\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(413, response.Status);
    }

    [Fact]
    public async Task Headers_OverLimit_431()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("GET /hello HTTP/1.1\r\nHost: a\r\nX-Big: " + new string('b', 3000) + "\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(431, response.Status);
        Assert.Equal("application/problem+json", response.Headers["content-type"]);
    }

    [Fact]
    public async Task Routing_WrongMethodAndUnknownPath_405WithAllowAnd404Problems()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("DELETE /hello HTTP/1.1\r\nHost: a\r\n\r\n");
        var wrongMethod = await client.ReadResponseAsync();
        await client.SendAsync("GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n");
        var unknown = await client.ReadResponseAsync();

        Assert.Equal(405, wrongMethod.Status);
        Assert.Equal("GET", wrongMethod.Headers["allow"]);
        Assert.Equal(404, unknown.Status);
        Assert.Equal("application/problem+json", unknown.Headers["content-type"]);
    }

    [Fact]
    public async Task Handler_Throws_500ProblemAndConnectionStaysUsable()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("GET /fail HTTP/1.1\r\nHost: a\r\n\r\n");
        var failed = await client.ReadResponseAsync();
        await client.SendAsync("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
        var next = await client.ReadResponseAsync();

        Assert.Equal(500, failed.Status);
        Assert.Equal("application/problem+json", failed.Headers["content-type"]);
        Assert.Equal(200, next.Status);
    }

    [Fact]
    public async Task Head_Incomplete_408AfterRequestTimeout()
    {
        await using var client = await RawClient.ConnectAsync(_port);

        await client.SendAsync("GET /hello HTTP/1.1\r\nHost: a\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(408, response.Status);
    }

    [Fact]
    public async Task Stop_RequestInProgress_FinishesThenServerRefusesConnections()
    {
        await using var busy = await RawClient.ConnectAsync(_port);
        await using var idle = await RawClient.ConnectAsync(_port);
        await busy.SendAsync("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
        await _slowEntered.Task.Within("the slow request reaches its handler");

        var stopping = _host.StopAsync();
        Assert.True(await idle.ClosedAsync(), "an idle keep-alive connection is closed at stop");
        Assert.False(stopping.IsCompleted, "stop waits for the request in progress");
        _slowRelease.SetResult();
        var response = await busy.ReadResponseAsync();
        await stopping.Within("stopping");

        Assert.Equal(200, response.Status);
        Assert.Equal("slow done", response.Body);
        Assert.Equal("close", response.Headers["connection"]);
        await Assert.ThrowsAnyAsync<SocketException>(() => RawClient.ConnectAsync(_port).AsTask().Within("connecting after stop"));
    }

    [Fact]
    public async Task HttpClient_ChunkedPutAndKeepAlive_Works()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_host.Urls[0]), Timeout = TimeSpan.FromSeconds(30) };
        // A stream of unknown length goes out chunked.
        using var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes("{\"k\":\"v\"}")));
        content.Headers.ContentType = new("application/json");

        using var put = await http.PutAsync("/echo/http", content).Within("PUT chunked");
        using var get = await http.GetAsync("/hello").Within("GET");

        Assert.Equal("{\"k\":\"v\"}", JsonNode.Parse(await put.Content.ReadAsStringAsync().Within("reading"))!["body"]!.GetValue<string>());
        Assert.Equal("hello", await get.Content.ReadAsStringAsync().Within("reading"));
    }

    [Theory]
    [InlineData("https://127.0.0.1:9100", "plain http only")]
    [InlineData("http://agent.example:9100", "the host must be an IP address")]
    [InlineData("http://127.0.0.1", "has no port")]
    public void ParseUrls_Unservable_EveryErrorListed(string url, string expected)
    {
        Http1Server.ParseUrls([url, "http://[::1]:0", "https://x:1"], out var errors);

        Assert.Equal(2, errors.Count);
        Assert.Contains(expected, errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Invalid_EveryErrorListed()
    {
        var result = new SelfApiServerOptionsValidator().Validate(null, new SelfApiServerOptions
        {
            MaxRequestHeadersBytes = 10, MaxRequestBodyBytes = 0, MaxConnections = 0, KeepAliveTimeout = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromHours(2), ShutdownTimeout = TimeSpan.FromSeconds(-1),
        });

        Assert.True(result.Failed);
        Assert.Equal(6, result.Failures!.Count());
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

/// <summary>A raw HTTP/1.1 client for framing tests: writes bytes as given, reads responses one by one (Content-Length bodies).</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly List<byte> _buffer = [];

    private RawClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async ValueTask<RawClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, port).WaitAsync(Deadline);
            return new RawClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Task SendAsync(string text) => _stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask().WaitAsync(Deadline);

    public async Task<RawResponse> ReadResponseAsync()
    {
        int headEnd;
        while ((headEnd = IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync())
            {
                throw new IOException("closed before a whole response head: " + Encoding.ASCII.GetString([.. _buffer]));
            }
        }
        var lines = Encoding.ASCII.GetString([.. _buffer.Take(headEnd)]).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        _buffer.RemoveRange(0, headEnd + 4);
        var length = headers.TryGetValue("content-length", out var cl) ? int.Parse(cl, System.Globalization.CultureInfo.InvariantCulture) : 0;
        while (_buffer.Count < length)
        {
            if (!await FillAsync())
            {
                throw new IOException("closed inside the body");
            }
        }
        var body = Encoding.UTF8.GetString([.. _buffer.Take(length)]);
        _buffer.RemoveRange(0, length);
        return new RawResponse(status, headers, body);
    }

    /// <summary>True when the server closed the connection (no more bytes) within the deadline.</summary>
    public async Task<bool> ClosedAsync()
    {
        try
        {
            while (await FillAsync())
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<bool> FillAsync()
    {
        var chunk = new byte[4096];
        var read = await _stream.ReadAsync(chunk).AsTask().WaitAsync(Deadline);
        _buffer.AddRange(chunk.AsSpan(0, read).ToArray());
        return read > 0;
    }

    private int IndexOf(ReadOnlySpan<byte> needle) => _buffer.ToArray().AsSpan().IndexOf(needle);

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}

internal sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body);
