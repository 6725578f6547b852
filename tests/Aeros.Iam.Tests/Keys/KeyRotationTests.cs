using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aeros.Iam.Tests.TestSupport;

namespace Aeros.Iam.Tests.Keys;

public sealed class KeyRotationTests
{
    [Fact]
    public async Task RotateKey_RunningIam_NewKidSignsOldTokensStillValidate()
    {
        await using var iam = await IamServer.StartAsync();
        var issuer = new Uri(iam.BaseUrl, "iam/").AbsoluteUri;
        var before = await iam.AdminTokenAsync();
        var oldKid = (string)Jwt.Header(before)["kid"]!;
        // A validator that cached the JWKS before the rotation (like the gateway).
        var cached = await Jwt.FetchJwksAsync(iam.Http);

        using var rotated = await iam.AdminAsync(HttpMethod.Post, "keys/rotate", before);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newKid = (string)(await rotated.Content.ReadFromJsonAsync<JsonObject>())!["kid"]!;
        Assert.NotEqual(oldKid, newKid);

        var after = await iam.AdminTokenAsync();
        Assert.Equal(newKid, (string)Jwt.Header(after)["kid"]!);
        var jwks = await Jwt.FetchJwksAsync(iam.Http);
        Assert.Equal(new[] { newKid, oldKid }.Order(), jwks.Keys.Select(k => k.Kid).Order());

        // The cached JWKS does not know the new kid; refetching it (no restart of anything) does.
        Assert.False((await Jwt.ValidateAsync(after, cached, issuer)).IsValid);
        Assert.True((await Jwt.ValidateAsync(after, jwks, issuer)).IsValid);
        Assert.True((await Jwt.ValidateAsync(before, jwks, issuer)).IsValid);

        // The IAM itself accepts tokens of both keys.
        using (var oldCall = await iam.AdminAsync(HttpMethod.Get, "keys", before))
        {
            Assert.Equal(HttpStatusCode.OK, oldCall.StatusCode);
            var keys = (await oldCall.Content.ReadFromJsonAsync<JsonObject>())!["keys"]!.AsArray();
            Assert.Equal(2, keys.Count);
            Assert.Equal(newKid, (string)keys.Single(k => (bool)k!["active"]!)!["kid"]!);
            Assert.NotNull(keys.Single(k => !(bool)k!["active"]!)!["publishedUntil"]);
        }
        using var newCall = await iam.AdminAsync(HttpMethod.Get, "keys", after);
        Assert.Equal(HttpStatusCode.OK, newCall.StatusCode);
    }

    [Fact]
    public async Task Keys_Restart_SameKeyAndNoSecondInitialAdministrator()
    {
        var directory = Path.Combine(Path.GetTempPath(), "aeros-iam-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string kid;
            string secret;
            await using (var first = await IamServer.StartAsync(dataDirectory: directory))
            {
                secret = first.AdminSecret;
                kid = (string)Jwt.Header(await first.AdminTokenAsync())["kid"]!;
            }
            await using var second = await IamServer.StartAsync(dataDirectory: directory);
            Assert.Equal("", second.Console.Text);
            var token = (string)(await second.ClientTokenAsync(second.AdminClientId, secret))["access_token"]!;
            Assert.Equal(kid, (string)Jwt.Header(token)["kid"]!);
            if (!OperatingSystem.IsWindows())
            {
                foreach (var file in Directory.EnumerateFiles(Path.Combine(directory, "keys")))
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
                }
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
