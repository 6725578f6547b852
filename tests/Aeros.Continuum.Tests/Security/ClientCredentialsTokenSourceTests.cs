using System.Net;
using System.Text;
using Aeros.Continuum.Security;
using Aeros.Security;
using Aeros.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Continuum.Tests.Security;

public sealed class ClientCredentialsTokenSourceTests
{
    private static readonly Uri TokenUrl = new("http://127.0.0.1:9/iam/connect/token");

    private static ClientCredentialsOptions Options() => new() { TokenUrl = TokenUrl, ClientId = "agent-1", ClientSecret = "s3cret-value", Scope = "roles" };

    [Fact]
    public async Task GetAccessTokenAsync_CachedTokenNotNearExpiry_FetchesOnce()
    {
        var time = new FakeTimeProvider();
        using var endpoint = new FakeTokenEndpoint(expiresIn: 300);
        using var source = new ClientCredentialsTokenSource(Options(), time, handler: endpoint);

        var first = await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("first token");
        time.Advance(TimeSpan.FromSeconds(200));
        var second = await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("second token");

        Assert.Equal("token-1", first);
        Assert.Equal(first, second);
        Assert.Equal(1, endpoint.Requests);
        Assert.Contains("grant_type=client_credentials", endpoint.LastForm);
        Assert.Contains("client_id=agent-1", endpoint.LastForm);
        Assert.Contains("client_secret=s3cret-value", endpoint.LastForm);
        Assert.Contains("scope=roles", endpoint.LastForm);
    }

    [Fact]
    public async Task GetAccessTokenAsync_WithinRefreshMargin_FetchesNewToken()
    {
        var time = new FakeTimeProvider();
        using var endpoint = new FakeTokenEndpoint(expiresIn: 300);
        using var source = new ClientCredentialsTokenSource(Options(), time, handler: endpoint);

        await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("first token");
        time.Advance(TimeSpan.FromSeconds(300) - ClientCredentialsOptions.DefaultRefreshBeforeExpiry);
        var second = await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("second token");

        Assert.Equal("token-2", second);
        Assert.Equal(2, endpoint.Requests);
    }

    [Fact]
    public async Task GetAccessTokenAsync_ShortLifetime_RefreshesHalfWay()
    {
        var time = new FakeTimeProvider();
        using var endpoint = new FakeTokenEndpoint(expiresIn: 40);
        using var source = new ClientCredentialsTokenSource(Options(), time, handler: endpoint);

        await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("first token");
        time.Advance(TimeSpan.FromSeconds(19));
        await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("before half-way");
        Assert.Equal(1, endpoint.Requests);
        time.Advance(TimeSpan.FromSeconds(1));
        await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("at half-way");
        Assert.Equal(2, endpoint.Requests);
    }

    [Fact]
    public async Task GetAccessTokenAsync_ConcurrentCallers_ShareOneFetch()
    {
        using var endpoint = new FakeTokenEndpoint(expiresIn: 300) { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var source = new ClientCredentialsTokenSource(Options(), new FakeTimeProvider(), handler: endpoint);

        var callers = Enumerable.Range(0, 20).Select(_ => source.GetAccessTokenAsync(CancellationToken.None).AsTask()).ToArray();
        await endpoint.FirstRequest.Task.Within("the first token request");
        endpoint.Gate.SetResult();
        var tokens = await Task.WhenAll(callers).Within("all callers");

        Assert.All(tokens, t => Assert.Equal("token-1", t));
        Assert.Equal(1, endpoint.Requests);
    }

    [Fact]
    public async Task Invalidate_CachedToken_NextCallFetchesNewOne()
    {
        using var endpoint = new FakeTokenEndpoint(expiresIn: 300);
        using var source = new ClientCredentialsTokenSource(Options(), new FakeTimeProvider(), handler: endpoint);
        var first = await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("first token");

        source.Invalidate("some-other-token");
        Assert.Equal(first, await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("after unrelated invalidate"));
        source.Invalidate(first);
        var second = await source.GetAccessTokenAsync(CancellationToken.None).AsTask().Within("after invalidate");

        Assert.Equal("token-2", second);
    }

    [Fact]
    public async Task GetAccessTokenAsync_Refused_ThrowsWithOAuthErrorAndNoSecret()
    {
        using var endpoint = new FakeTokenEndpoint(expiresIn: 300)
        {
            Answer = new(HttpStatusCode.BadRequest, """{"error":"invalid_client","error_description":"The client credentials are invalid."}"""),
        };
        using var source = new ClientCredentialsTokenSource(Options(), new FakeTimeProvider(), handler: endpoint);

        var e = await Assert.ThrowsAsync<AccessTokenException>(() => source.GetAccessTokenAsync(CancellationToken.None).AsTask()).Within("refused");

        Assert.Contains("400 invalid_client: The client credentials are invalid.", e.Message);
        Assert.Contains("agent-1", e.Message);
        Assert.Contains(TokenUrl.ToString(), e.Message);
        Assert.DoesNotContain("s3cret-value", e.Message);
    }

    [Theory]
    [InlineData("""{"token_type":"Bearer","expires_in":60}""", "no access_token")]
    [InlineData("""{"access_token":"x","token_type":"mac"}""", "not Bearer")]
    [InlineData("<html>", "not JSON")]
    public async Task GetAccessTokenAsync_BadResponse_ThrowsNamingTheProblem(string body, string expected)
    {
        using var endpoint = new FakeTokenEndpoint(expiresIn: 300) { Answer = new(HttpStatusCode.OK, body) };
        using var source = new ClientCredentialsTokenSource(Options(), new FakeTimeProvider(), handler: endpoint);

        var e = await Assert.ThrowsAsync<AccessTokenException>(() => source.GetAccessTokenAsync(CancellationToken.None).AsTask()).Within("bad response");

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task GetAccessTokenAsync_EndpointUnreachable_ThrowsAccessTokenException()
    {
        // Port 9 on loopback (discard) refuses connections on a normal machine.
        var options = Options();
        options.RequestTimeout = TimeSpan.FromSeconds(20);
        using var source = new ClientCredentialsTokenSource(options);

        var e = await Assert.ThrowsAsync<AccessTokenException>(() => source.GetAccessTokenAsync(CancellationToken.None).AsTask()).Within("unreachable", TimeSpan.FromSeconds(40));

        Assert.StartsWith($"token request to {TokenUrl} for client 'agent-1' failed:", e.Message);
    }

    [Fact]
    public void Validate_PartialCredential_ListsEveryError()
    {
        var services = new ServiceCollection().AddClientCredentials(o =>
        {
            o.ClientId = "x";
            o.RequestTimeout = TimeSpan.Zero;
        }).BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ClientCredentialsOptions>>().Value);

        Assert.Equal(3, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.Contains("TokenUrl", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("ClientSecret", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("RequestTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NothingSet_IsValidAndDisabled()
    {
        var services = new ServiceCollection().AddClientCredentials().BuildServiceProvider();

        Assert.False(services.GetRequiredService<IOptions<ClientCredentialsOptions>>().Value.IsEnabled);
    }

    /// <summary>A token endpoint that numbers its tokens and records the form it received.</summary>
    internal sealed class FakeTokenEndpoint(int expiresIn) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        public string LastForm { get; private set; } = "";

        public (HttpStatusCode Status, string Body)? Answer { get; init; }

        public TaskCompletionSource? Gate { get; init; }

        public TaskCompletionSource FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _requests);
            LastForm = await request.Content!.ReadAsStringAsync(cancellationToken);
            FirstRequest.TrySetResult();
            if (Gate is not null)
            {
                await Gate.Task.WaitAsync(cancellationToken);
            }
            var (status, body) = Answer ?? (HttpStatusCode.OK, $$"""{"access_token":"token-{{n}}","token_type":"Bearer","expires_in":{{expiresIn}}}""");
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }
}
