using System.Text;
using Aeros.Gateway.Forwarding;

namespace Aeros.Gateway.Tests.Forwarding;

/// <summary>
/// The response head parser's reuse of header value strings between responses on one connection: a repeated value
/// is handed out again, a changed one never stale.
/// </summary>
public sealed class ResponseHeadTests
{
    private static ResponseHead Parse(ResponseHead head, string raw)
    {
        var bytes = Encoding.ASCII.GetBytes(raw);
        Assert.Equal(HeadParseStatus.Complete, head.TryParse(bytes, 64 * 1024, out var consumed));
        Assert.Equal(bytes.Length, consumed);
        return head;
    }

    private static string Value(ResponseHead head, string name) => head.Headers.Single(h => h.Key == name).Value;

    [Fact]
    public void TryParse_SameKnownValueTwice_SameStringReused()
    {
        var head = new ResponseHead();
        var first = Value(Parse(head, "HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\nContent-Length: 0\r\n\r\n"), "Content-Type");
        var second = Value(Parse(head, "HTTP/1.1 200 OK\r\ncontent-type: application/ld+json\r\nContent-Length: 0\r\n\r\n"), "Content-Type");

        Assert.Equal("application/ld+json", second);
        Assert.Same(first, second);
    }

    [Fact]
    public void TryParse_KnownValueChanges_NewValueNeverTheCachedOne()
    {
        var head = new ResponseHead();
        Parse(head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLink: <a>\r\nContent-Length: 0\r\n\r\n");
        Parse(head, "HTTP/1.1 200 OK\r\nContent-Type: application/jsoN\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal("application/jsoN", Value(head, "Content-Type"));
        Assert.DoesNotContain(head.Headers, h => h.Key == "Link");

        // Same length, one byte different; then a prefix of the earlier value.
        Parse(head, "HTTP/1.1 200 OK\r\nContent-Type: application/jsoX\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal("application/jsoX", Value(head, "Content-Type"));
        Parse(head, "HTTP/1.1 200 OK\r\nContent-Type: application\r\nContent-Length: 0\r\n\r\n");
        Assert.Equal("application", Value(head, "Content-Type"));
    }

    [Fact]
    public void TryParse_UnknownAndRepeatedFields_KeptInOrderWithTheirValues()
    {
        var head = Parse(new ResponseHead(),
            "HTTP/1.1 200 OK\r\nX-One: 1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-One: 2\r\nContent-Length: 0\r\n\r\n");

        Assert.Equal(
            ["X-One: 1", "Set-Cookie: a=1", "Set-Cookie: b=2", "X-One: 2", "Content-Length: 0"],
            head.Headers.Select(h => $"{h.Key}: {h.Value}"));
    }
}
