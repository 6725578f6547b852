using System.Net;
using System.Text;
using Aeros.Security;
using Aeros.Testing;

namespace Aeros.Continuum.Tests.Security;

public sealed class BearerTokenHandlerTests
{
    [Fact]
    public async Task SendAsync_Always_AddsBearerToken()
    {
        var tokens = new CountingTokens();
        var api = new RecordingApi(_ => HttpStatusCode.OK);
        using var http = new HttpClient(new BearerTokenHandler(tokens, api));

        using var response = await http.GetAsync(new Uri("http://127.0.0.1:1/x")).Within("GET");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Bearer t1"], api.Authorizations);
    }

    [Fact]
    public async Task SendAsync_Unauthorized_RetriesOnceWithFreshToken()
    {
        var tokens = new CountingTokens();
        var api = new RecordingApi(auth => auth == "Bearer t1" ? HttpStatusCode.Unauthorized : HttpStatusCode.Created);
        using var http = new HttpClient(new BearerTokenHandler(tokens, api));

        using var response = await http.PostAsync(new Uri("http://127.0.0.1:1/x"), new StringContent("{}", Encoding.UTF8, "application/json")).Within("POST");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["Bearer t1", "Bearer t2"], api.Authorizations);
        Assert.Equal(["{}", "{}"], api.Bodies);
        Assert.Equal(["t1"], tokens.Invalidated);
    }

    [Fact]
    public async Task SendAsync_UnauthorizedTwice_ReturnsSecond401WithoutLooping()
    {
        var tokens = new CountingTokens();
        var api = new RecordingApi(_ => HttpStatusCode.Unauthorized);
        using var http = new HttpClient(new BearerTokenHandler(tokens, api));

        using var response = await http.GetAsync(new Uri("http://127.0.0.1:1/x")).Within("GET");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(2, api.Authorizations.Count);
    }

    [Fact]
    public async Task SendAsync_StreamedBody_DoesNotRetry()
    {
        var tokens = new CountingTokens();
        var api = new RecordingApi(_ => HttpStatusCode.Unauthorized);
        using var http = new HttpClient(new BearerTokenHandler(tokens, api));

        using var response = await http.PostAsync(new Uri("http://127.0.0.1:1/x"), new StreamContent(new MemoryStream([1, 2, 3]))).Within("POST");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(api.Authorizations);
    }

    [Fact]
    public async Task SendAsync_Recipients_TokenOnlyToTheirOriginsAndNo401RetryElsewhere()
    {
        var tokens = new CountingTokens();
        var api = new RecordingApi(_ => HttpStatusCode.Unauthorized);
        var recipients = new TokenRecipients([new Uri("http://127.0.0.1:9090/iam/"), new Uri("HTTP://Domain2.example:80/")]);
        using var http = new HttpClient(new BearerTokenHandler(tokens, api, recipients));

        (await http.GetAsync(new Uri("http://127.0.0.1:9091/ngsi-ld/v1/entities")).Within("GET other port")).Dispose();
        (await http.GetAsync(new Uri("https://127.0.0.1:9090/x")).Within("GET other scheme")).Dispose();
        (await http.GetAsync(new Uri("http://domain2.example/ngsi-ld/v1/types")).Within("GET recipient")).Dispose();

        Assert.Equal([null, null, "Bearer t1", "Bearer t2"], api.Authorizations);
        Assert.Equal(["http://127.0.0.1:9090", "http://domain2.example:80"], recipients.Origins.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Includes_RelativeOrNonHttpUrl_IsFalse()
    {
        var recipients = new TokenRecipients([new Uri("http://127.0.0.1:9090/"), new Uri("mqtt://127.0.0.1:1883/")]);

        Assert.False(recipients.Includes(new Uri("/x", UriKind.Relative)));
        Assert.False(recipients.Includes(new Uri("mqtt://127.0.0.1:1883/")));
        Assert.False(recipients.Includes(null));
        Assert.True(recipients.Includes(new Uri("http://127.0.0.1:9090/federation/v1/domains?x=1")));
        Assert.Single(recipients.Origins);
    }

    private sealed class CountingTokens : IAccessTokenSource
    {
        private int _n = 1;

        public List<string> Invalidated { get; } = [];

        public ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult("t" + _n);

        public void Invalidate(string token)
        {
            Invalidated.Add(token);
            _n++;
        }
    }

    private sealed class RecordingApi(Func<string?, HttpStatusCode> answer) : HttpMessageHandler
    {
        public List<string?> Authorizations { get; } = [];

        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var auth = request.Headers.Authorization?.ToString();
            Authorizations.Add(auth);
            if (request.Content is not null)
            {
                Bodies.Add(await request.Content.ReadAsStringAsync(cancellationToken));
            }
            return new HttpResponseMessage(answer(auth));
        }
    }
}
