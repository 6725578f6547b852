using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Aeros.Gateway.Forwarding;
using Aeros.Gateway.Tests.TestSupport;
using Aeros.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Aeros.Gateway.Tests.Forwarding;

/// <summary>
/// The raw forwarder (<c>Gateway:Forwarder = raw</c>, the default) against a raw TCP backend that sends exactly the
/// bytes each case needs: strict response framing (every smuggling vector refused with 502), bodies streamed both
/// ways, keep-alive reuse, backends closing connections, timeouts, hop-by-hop headers.
/// </summary>
public sealed class RawForwarderTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

    public static TheoryData<string, string> MalformedResponses => new()
    {
        { "content-length-and-chunked", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "duplicate-content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello" },
        { "content-length-list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello" },
        { "content-length-negative", "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello" },
        { "content-length-plus", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello" },
        { "content-length-hex", "HTTP/1.1 200 OK\r\nContent-Length: 0x5\r\n\r\nhello" },
        { "transfer-coding-gzip-chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "transfer-encoding-twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "chunked-in-http10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" },
        { "bare-lf-in-headers", "HTTP/1.1 200 OK\r\nX-A: b\nContent-Length: 5\r\n\r\nhello" },
        { "bare-lf-status-line", "HTTP/1.1 200 OK\nContent-Length: 5\r\n\r\nhello" },
        { "bare-lf-end-of-head", "HTTP/1.1 200 OK\r\nContent-Length: 5\n\nhello" },
        { "bare-cr", "HTTP/1.1 200 OK\r\nX-A: a\rContent-Length: 99\r\nContent-Length: 5\r\n\r\nhello" },
        { "obs-fold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello" },
        { "space-before-colon", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello" },
        { "no-colon", "HTTP/1.1 200 OK\r\nContent-Length 5\r\n\r\nhello" },
        { "nul-in-value", "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 5\r\n\r\nhello" },
        { "non-ascii-value", "HTTP/1.1 200 OK\r\nX-A: caf\u00e9\r\nContent-Length: 5\r\n\r\nhello" },
        { "two-digit-status", "HTTP/1.1 20 OK\r\nContent-Length: 5\r\n\r\nhello" },
        { "status-700", "HTTP/1.1 700 Odd\r\nContent-Length: 5\r\n\r\nhello" },
        { "http2-status-line", "HTTP/2 200\r\nContent-Length: 5\r\n\r\nhello" },
        { "lowercase-protocol", "http/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" },
        { "switching-protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" },
        { "oversized-head", "HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 70_000) + "\r\nContent-Length: 5\r\n\r\nhello" },
        { "closed-inside-head", "HTTP/1.1 200 OK\r\nContent-Le" },
    };

    [Theory]
    [MemberData(nameof(MalformedResponses))]
    public async Task Response_MalformedOrAmbiguousFraming_502AndNothingRelayed(string name, string raw)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Start(async socket =>
        {
            if (await socket.ReadRequestAsync() is not null)
            {
                await socket.SendAsync(raw);
            }
        });
        await using var gateway = await StartAsync(issuer, upstream.Url);

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", Token(issuer));
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(HttpStatusCode.BadGateway == response.StatusCode, $"{name}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("hello", body, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("X-A"), name);
        Assert.Single(upstream.Requests); // refused, not retried
        if (name != "closed-inside-head")
        {
            await TestDeadline.Until(() => gateway.Logs.Lines.Any(l => l.EventId == 6550), $"{name}: the refusal was logged with its reason");
        }
    }

    public static TheoryData<string, bool> MalformedChunks => new()
    {
        // (chunked body after a valid head, whether the first chunk was relayed already)
        { "zz\r\nhello\r\n0\r\n\r\n", false },
        { "-5\r\nhello\r\n0\r\n\r\n", false },
        { "0x5\r\nhello\r\n0\r\n\r\n", false },
        { "5\nhello\r\n0\r\n\r\n", false },
        { "5 x\r\nhello\r\n0\r\n\r\n", false },
        { "1000000000000000\r\n", false },
        { "5\r\nhello\r\n6\r\n worldXX\r\n0\r\n\r\n", true },
        { "5\r\nhello\r\nzz\r\n", true },
        { "5\r\nhello\r\n0\r\nX-T: a\nb\r\n\r\n", true },
    };

    [Theory]
    [MemberData(nameof(MalformedChunks))]
    public async Task Response_MalformedChunk_502OrBrokenResponseNeverACleanOne(string chunks, bool started)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Start(async socket =>
        {
            if (await socket.ReadRequestAsync() is not null)
            {
                await socket.SendAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks);
                await socket.WaitForCloseAsync();
            }
        });
        await using var gateway = await StartAsync(issuer, upstream.Url);

        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", Token(issuer));
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        });

        if (started)
        {
            // Part of the body was out: the client's connection is aborted, so it cannot take the short body for a whole one.
            Assert.IsAssignableFrom<HttpRequestException>(failure);
        }
        else
        {
            Assert.Null(failure);
        }
    }

    [Fact]
    public async Task Response_ChunkedWithExtensionsAndTrailers_RelayedWholeAndConnectionReused()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Answering(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5;ext=1\r\nhello\r\n6 ; a=\"b\"\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n");
        await using var gateway = await StartAsync(issuer, upstream.Url);
        var token = Token(issuer);

        for (var i = 0; i < 3; i++)
        {
            using var response = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("hello world0123456789", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(1, upstream.Accepted);
    }

    [Fact]
    public async Task Request_Sequential_OneKeepAliveConnection()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Answering(Ok);
        await using var gateway = await StartAsync(issuer, upstream.Url);
        var token = Token(issuer);

        for (var i = 0; i < 10; i++)
        {
            using var response = await gateway.GetAsync($"ngsi-ld/v1/entities/urn:{i}", token);
            Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, upstream.Accepted);
        Assert.Equal(10, upstream.Requests.Count);
    }

    [Fact]
    public async Task Response_LargeContentLengthBody_StreamedWhole()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var body = new byte[1_500_000];
        new Random(7).NextBytes(body);
        await using var upstream = RawUpstream.Start(async socket =>
        {
            while (await socket.ReadRequestAsync() is not null)
            {
                await socket.SendAsync($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {body.Length}\r\n\r\n");
                await socket.SendAsync(body);
            }
        });
        await using var gateway = await StartAsync(issuer, upstream.Url);

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities/urn:big", Token(issuer));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Request_BodyWithContentLength_ReachesBackendWhole()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Answering("HTTP/1.1 201 Created\r\nLocation: /ngsi-ld/v1/entities/urn:a\r\nContent-Length: 0\r\n\r\n");
        await using var gateway = await StartAsync(issuer, upstream.Url);
        var body = new byte[300_000];
        new Random(3).NextBytes(body);

        using var response = await gateway.SendAsync(HttpMethod.Post, "ngsi-ld/v1/entities", Token(issuer), new ByteArrayContent(body));
        using var chunked = await gateway.SendAsync(HttpMethod.Post, "ngsi-ld/v1/entities", Token(issuer), new StreamContent(new UnknownLengthStream(body)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/ngsi-ld/v1/entities/urn:a", response.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Created, chunked.StatusCode);
        var received = upstream.Requests.ToArray();
        Assert.Equal(2, received.Length);
        Assert.All(received, r =>
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal(body, r.Body);
            // The gateway reads a chunked body up to its size limit first, so the backend gets a Content-Length.
            Assert.Equal("300000", r.Header("Content-Length"));
        });
    }

    [Fact]
    public async Task ForwardAsync_RequestBodyOfUnknownLength_SentChunkedAndDecodedWhole()
    {
        var body = new byte[200_000];
        new Random(5).NextBytes(body);
        await using var upstream = RawUpstream.Start(async socket =>
        {
            while (await socket.ReadRequestAsync() is not null)
            {
                await socket.SendAsync("HTTP/1.1 204 No Content\r\n\r\n");
            }
        });
        await using var host = await ForwarderHost.StartAsync(upstream.Url);

        using var request = new HttpRequestMessage(HttpMethod.Put, "x/y") { Content = new StreamContent(new UnknownLengthStream(body)) };
        using var response = await host.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var received = Assert.Single(upstream.Requests);
        Assert.Equal("chunked", received.Header("Transfer-Encoding"));
        Assert.False(received.Has("Content-Length"));
        Assert.Equal(body, received.Body);
    }

    [Fact]
    public async Task Request_HopByHopHeaders_DroppedBothWaysAndForwardedHeadersSet()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Answering(
            "HTTP/1.1 200 OK\r\nConnection: X-Internal\r\nX-Internal: 1\r\nKeep-Alive: timeout=5\r\nX-Visible: yes\r\nContent-Length: 2\r\n\r\nok");
        await using var gateway = await StartAsync(issuer, upstream.Url);
        using var request = new HttpRequestMessage(HttpMethod.Get, "ngsi-ld/v1/entities/urn:a?q=a%20b&x=%2F");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(issuer));
        request.Headers.Connection.Add("X-Secret");
        request.Headers.TryAddWithoutValidation("X-Secret", "1");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "6.6.6.6");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic Zm9vOmJhcg==");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.TryAddWithoutValidation("X-Custom", "kept");

        using var response = await gateway.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("yes", response.Headers.GetValues("X-Visible").Single());
        Assert.False(response.Headers.Contains("X-Internal"));
        Assert.False(response.Headers.Contains("Keep-Alive"));
        var sent = Assert.Single(upstream.Requests);
        Assert.Equal("/ngsi-ld/v1/entities/urn:a?q=a%20b&x=%2F", sent.Target);
        Assert.Equal(upstream.Url.Authority, sent.Header("Host"));
        Assert.Equal("127.0.0.1", sent.Header("X-Forwarded-For"));
        Assert.Equal("http", sent.Header("X-Forwarded-Proto"));
        Assert.Equal(gateway.Url.Authority, sent.Header("X-Forwarded-Host"));
        Assert.Equal("kept", sent.Header("X-Custom"));
        Assert.StartsWith("Bearer ", sent.Header("Authorization"), StringComparison.Ordinal);
        foreach (var dropped in new[] { "Connection", "X-Secret", "Keep-Alive", "TE", "Proxy-Authorization" })
        {
            Assert.False(sent.Has(dropped), dropped);
        }
    }

    [Theory]
    [InlineData("ngsi-ld/v1/entities/a%2Fb", "/ngsi-ld/v1/entities/a%2Fb")]
    [InlineData("ngsi-ld/v1/entities/caf%C3%A9", "/ngsi-ld/v1/entities/caf%C3%A9")]
    [InlineData("ngsi-ld/v1/entities/a%25b", "/ngsi-ld/v1/entities/a%25b")]
    [InlineData("ngsi-ld/v1/entities/a%20b", "/ngsi-ld/v1/entities/a%20b")]
    [InlineData("ngsi-ld/v1/entities/urn:ngsi-ld:X:1?attrs=a,b", "/ngsi-ld/v1/entities/urn:ngsi-ld:X:1?attrs=a,b")]
    public async Task Request_EscapedPath_ForwardedWithTheSameMeaning(string path, string expected)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Answering(Ok);
        await using var gateway = await StartAsync(issuer, upstream.Url);

        using var response = await gateway.GetAsync(path, Token(issuer));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, Assert.Single(upstream.Requests).Target);
    }

    [Theory]
    [InlineData("GET", true)]
    [InlineData("DELETE", true)]
    [InlineData("POST", false)]
    public async Task Request_PooledConnectionClosedWithoutAnswer_RetriedOnceOnlyWhenIdempotent(string method, bool retried)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Start(async socket =>
        {
            if (socket.Index == 1)
            {
                // The first connection answers once, then reads the next request and closes without a byte back.
                await socket.ReadRequestAsync();
                await socket.SendAsync(Ok);
                await socket.ReadRequestAsync();
                return;
            }
            while (await socket.ReadRequestAsync() is not null)
            {
                await socket.SendAsync(Ok);
            }
        });
        await using var gateway = await StartAsync(issuer, upstream.Url);
        var token = Token(issuer);

        using var first = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", token);
        using var second = await gateway.SendAsync(new HttpMethod(method), "ngsi-ld/v1/entities/urn:a", token,
            method == "POST" ? new StringContent("{}") : null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        if (retried)
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(3, upstream.Requests.Count);
            Assert.Equal(2, upstream.Accepted);
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
            Assert.Equal(2, upstream.Requests.Count);
        }
    }

    [Fact]
    public async Task Request_BackendClosedIdleConnection_NextRequestTakesAFreshOne()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = RawUpstream.Start(async socket =>
        {
            while (await socket.ReadRequestAsync() is not null)
            {
                await socket.SendAsync(Ok);
                if (socket.Index == 1)
                {
                    socket.Close(); // as a backend does when its keep-alive timeout ends
                    closed.TrySetResult();
                    return;
                }
            }
        });
        await using var gateway = await StartAsync(issuer, upstream.Url);
        var token = Token(issuer);

        using var first = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", token);
        await closed.Task.Within("the backend closing its first connection");
        // Not idempotent, so it could not be retried: it must not be sent on the closed connection at all.
        using var post = await gateway.SendAsync(HttpMethod.Post, "ngsi-ld/v1/entities", token, new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(2, upstream.Accepted);
    }

    [Fact]
    public async Task Request_BackendSilent_504AfterTimeoutAndConnectionClosed()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var closedByGateway = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = RawUpstream.Start(async socket =>
        {
            await socket.ReadRequestAsync();
            closedByGateway.TrySetResult(await socket.WaitForCloseAsync());
        });
        await using var gateway = await StartAsync(issuer, upstream.Url, o => o.Broker.Timeout = TimeSpan.FromSeconds(1));

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", Token(issuer));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(await closedByGateway.Task.Within("the gateway closing the timed-out connection"));
    }

    [Fact]
    public async Task Response_BytesAfterTheBody_ConnectionNotReused()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Answering("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforge");
        await using var gateway = await StartAsync(issuer, upstream.Url);
        var token = Token(issuer);

        using var first = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", token);
        using var second = await gateway.GetAsync("ngsi-ld/v1/entities/urn:b", token);

        Assert.Equal("ok", await first.Content.ReadAsStringAsync());
        Assert.Equal("ok", await second.Content.ReadAsStringAsync()); // never the stray "forge" response
        Assert.Equal(2, upstream.Accepted);
    }

    [Fact]
    public async Task Response_WithoutFraming_ReadUntilCloseAndConnectionNotReused()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Start(async socket =>
        {
            if (await socket.ReadRequestAsync() is not null)
            {
                await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
            }
        });
        await using var gateway = await StartAsync(issuer, upstream.Url);
        var token = Token(issuer);

        using var first = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", token);
        using var second = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", token);

        Assert.Equal("until the end", await first.Content.ReadAsStringAsync());
        Assert.Equal("until the end", await second.Content.ReadAsStringAsync());
        Assert.Equal(2, upstream.Accepted);
    }

    [Fact]
    public async Task Response_HeadNoContentNotModifiedAndInterim_NoBodyReadAndConnectionReused()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Start(async socket =>
        {
            while (await socket.ReadRequestAsync() is { } request)
            {
                await socket.SendAsync(request.Target switch
                {
                    "/ngsi-ld/v1/head" => "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                    "/ngsi-ld/v1/none" => "HTTP/1.1 204 No Content\r\n\r\n",
                    "/ngsi-ld/v1/same" => "HTTP/1.1 304 Not Modified\r\nETag: \"1\"\r\n\r\n",
                    _ => "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + Ok,
                });
            }
        });
        await using var gateway = await StartAsync(issuer, upstream.Url);
        var token = Token(issuer);

        using var head = await gateway.SendAsync(HttpMethod.Head, "ngsi-ld/v1/head", token);
        using var none = await gateway.GetAsync("ngsi-ld/v1/none", token);
        using var same = await gateway.GetAsync("ngsi-ld/v1/same", token);
        using var interim = await gateway.GetAsync("ngsi-ld/v1/interim", token);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(5, head.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Equal("hello", await interim.Content.ReadAsStringAsync());
        Assert.Equal(1, upstream.Accepted);
    }

    [Fact]
    public async Task Forwarder_Yarp_ForwardsThroughYarp()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var upstream = RawUpstream.Answering(Ok);
        await using var gateway = await StartAsync(issuer, upstream.Url, o => o.Forwarder = GatewayForwarders.Yarp);

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities/urn:a", Token(issuer));

        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        Assert.Contains(gateway.Logs.Lines, l => l.EventId == 6553 && l.Message.Contains("yarp", StringComparison.Ordinal));
        Assert.Single(upstream.Requests);
    }

    [Fact]
    public void Validate_BadForwarderOptions_ListsEveryError()
    {
        var options = new GatewayOptions { DomainName = "d", Forwarder = "nginx" };
        options.Issuers.Add(new TrustedIssuerOptions { Issuer = "http://127.0.0.1/iam/" });
        options.Upstream.ConnectTimeout = TimeSpan.Zero;
        options.Upstream.MaxResponseHeadersBytes = 10;

        var result = new GatewayOptionsValidator().Validate(null, options);

        var text = string.Join("\n", result.Failures ?? []);
        foreach (var expected in new[] { "Forwarder 'nginx'", "ConnectTimeout", "MaxResponseHeadersBytes" })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("5", 5L)]
    [InlineData("fF", 255L)]
    [InlineData("a;name=value", 10L)]
    [InlineData("a \t;x", 10L)]
    [InlineData("0", 0L)]
    [InlineData("", -1L)]
    [InlineData(" 5", -1L)]
    [InlineData("5 ", -1L)]
    [InlineData("0x5", -1L)]
    [InlineData("5;\u0001", -1L)]
    [InlineData("fffffffffffffff", 0xfffffffffffffffL)]
    [InlineData("1000000000000000", -1L)]
    public void TryParseChunkSize_Line_StrictHex(string line, long expected)
    {
        var ok = RawForwarder.TryParseChunkSize(Encoding.ASCII.GetBytes(line), out var size);

        Assert.Equal(expected >= 0, ok);
        if (ok)
        {
            Assert.Equal(expected, size);
        }
    }

    private static string Token(TestIssuer issuer) => issuer.Token(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]);

    private static Task<GatewayUnderTest> StartAsync(TestIssuer issuer, Uri backend, Action<GatewayOptions>? more = null) =>
        GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(backend);
            more?.Invoke(o);
        });

    /// <summary>A stream that hides its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    /// <summary>A bare Kestrel host whose only endpoint forwards with a <see cref="RawForwarder"/> (no gateway checks in front).</summary>
    private sealed class ForwarderHost : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly RawForwarder _forwarder;

        private ForwarderHost(WebApplication app, RawForwarder forwarder, HttpClient client)
        {
            _app = app;
            _forwarder = forwarder;
            Client = client;
        }

        public HttpClient Client { get; }

        public static async Task<ForwarderHost> StartAsync(Uri backend)
        {
            var forwarder = new RawForwarder(Options.Create(new GatewayOptions()), TimeProvider.System, NullLogger<RawForwarder>.Instance);
            var pool = forwarder.PoolFor(backend.ToString())!;
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.Run(async http =>
            {
                var result = await forwarder.ForwardAsync(http, pool, TimeSpan.FromSeconds(30), "test");
                if (result != RawForwardResult.Success && !http.Response.HasStarted)
                {
                    http.Response.StatusCode = 502;
                }
            });
            await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ForwarderHost(app, forwarder, new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) });
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await _app.DisposeAsync();
            _forwarder.Dispose();
        }
    }
}
