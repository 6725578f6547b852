using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aeros.Iam.Storage;
using Aeros.Iam.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Iam.Tests.Admin;

public sealed class AdminApiTests
{
    [Fact]
    public async Task Admin_NoOrBadToken_Returns401Problem()
    {
        await using var iam = await IamServer.StartAsync();
        using var none = await iam.AdminAsync(HttpMethod.Get, "users", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("Bearer", none.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        var token = await iam.AdminTokenAsync();
        var tampered = token[..^4] + (token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        using var bad = await iam.AdminAsync(HttpMethod.Get, "users", tampered);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
    }

    [Fact]
    public async Task Admin_RolesWithoutAdminRights_Return403()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        var secret = await iam.CreateMachineClientAsync(admin, "deployer", "ServiceDeployer", "domain1");
        var deployer = (string)(await iam.ClientTokenAsync("deployer", secret))["access_token"]!;
        using var list = await iam.AdminAsync(HttpMethod.Get, "users", deployer);
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal("application/problem+json", list.Content.Headers.ContentType!.MediaType);
        using var rotate = await iam.AdminAsync(HttpMethod.Post, "keys/rotate", deployer);
        Assert.Equal(HttpStatusCode.Forbidden, rotate.StatusCode);
    }

    [Fact]
    public async Task Admin_DomainAdministrator_ManagesOwnDomainOnly()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        var secret = await iam.CreateMachineClientAsync(admin, "da1", "DomainAdministrator", "domain1");
        var da = (string)(await iam.ClientTokenAsync("da1", secret))["access_token"]!;
        using (var user = await iam.AdminAsync(HttpMethod.Post, "users", da, new { name = "carol", password = "long enough password" }))
        {
            Assert.Equal(HttpStatusCode.Created, user.StatusCode);
        }
        using (var own = await iam.AdminAsync(HttpMethod.Post, "assignments", da, new { user = "carol", role = "ServiceDeployer", domain = "domain1" }))
        {
            Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        }
        using (var other = await iam.AdminAsync(HttpMethod.Post, "assignments", da, new { user = "carol", role = "ServiceDeployer", domain = "domain2" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        }
        using (var all = await iam.AdminAsync(HttpMethod.Post, "assignments", da, new { user = "carol", role = "ServiceDeployer", domain = "*" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, all.StatusCode);
        }
        using (var escalate = await iam.AdminAsync(HttpMethod.Post, "assignments", da, new { user = "carol", role = "ContinuumAdministrator", domain = "*" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, escalate.StatusCode);
        }
        using (var keys = await iam.AdminAsync(HttpMethod.Post, "keys/rotate", da))
        {
            Assert.Equal(HttpStatusCode.Forbidden, keys.StatusCode);
        }
        // The initial administrator holds ContinuumAdministrator: a domain administrator cannot delete it.
        using (var delete = await iam.AdminAsync(HttpMethod.Delete, "users/admin", da))
        {
            Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        }
        using (var deleteOwn = await iam.AdminAsync(HttpMethod.Delete, "users/carol", da))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleteOwn.StatusCode);
        }
    }

    [Fact]
    public async Task Admin_BadUserAndAssignment_Return400ListingEveryError()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        using var user = await iam.AdminAsync(HttpMethod.Post, "users", admin, new { name = "-bad name", password = "short", extra = 1 });
        var problem = await ProblemAsync(user, HttpStatusCode.BadRequest);
        Assert.Equal(3, problem["errors"]!.AsArray().Count);

        using var assignment = await iam.AdminAsync(HttpMethod.Post, "assignments", admin, new { user = "x", client = "y", role = "Root", domain = "bad domain" });
        var errors = (await ProblemAsync(assignment, HttpStatusCode.BadRequest))["errors"]!.AsArray().Select(e => (string)e!).ToList();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.Contains("role 'Root'", StringComparison.Ordinal));

        using var malformed = await iam.AdminAsync(HttpMethod.Post, "clients", admin, "{ not json");
        await ProblemAsync(malformed, HttpStatusCode.BadRequest);
        using var wrongTypes = await iam.AdminAsync(HttpMethod.Post, "clients", admin, new { clientId = 5, grants = "client_credentials", @public = "no" });
        Assert.Equal(3, (await ProblemAsync(wrongTypes, HttpStatusCode.BadRequest))["errors"]!.AsArray().Count);
        using var badClient = await iam.AdminAsync(HttpMethod.Post, "clients", admin, new { clientId = "web", @public = true, grants = new[] { "client_credentials", "implicit", "authorization_code" } });
        Assert.Equal(3, (await ProblemAsync(badClient, HttpStatusCode.BadRequest))["errors"]!.AsArray().Count);
    }

    [Fact]
    public async Task Admin_CreatedSecretsAndPasswords_StoredAsPbkdf2Hashes()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        using (var created = await iam.AdminAsync(HttpMethod.Post, "users", admin, new { name = "dave", password = "dave's long password" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var secret = await iam.CreateMachineClientAsync(admin, "agent-1", "Agent", "domain1");
        await using var db = await iam.Services.GetRequiredService<IDbContextFactory<IamDbContext>>().CreateDbContextAsync();
        var user = await db.Users.SingleAsync(u => u.Name == "dave");
        // ASP.NET Core Identity v3 format: 0x01, PRF HMAC-SHA512 (2), 100,000 iterations.
        var raw = Convert.FromBase64String(user.PasswordHash);
        Assert.Equal(0x01, raw[0]);
        Assert.Equal(2, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(1)));
        Assert.Equal(100_000, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(5)));
        var stored = await db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>()
            .Where(a => a.ClientId == "agent-1").Select(a => a.ClientSecret).SingleAsync();
        Assert.StartsWith("aeros-pbkdf2-sha512$100000$", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_RemovedRole_DisappearsFromNextToken()
    {
        await using var iam = await IamServer.StartAsync();
        var admin = await iam.AdminTokenAsync();
        var secret = await iam.CreateMachineClientAsync(admin, "broker-d1", "ContextBroker", "domain1");
        using (var removed = await iam.AdminAsync(HttpMethod.Delete, "assignments?client=broker-d1&role=ContextBroker&domain=domain1", admin))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }
        var payload = Jwt.Payload((string)(await iam.ClientTokenAsync("broker-d1", secret))["access_token"]!);
        Assert.Empty(payload["roles"]!.AsArray());
        using var listed = await iam.AdminAsync(HttpMethod.Get, "clients/broker-d1", admin);
        Assert.Empty((await listed.Content.ReadFromJsonAsync<JsonObject>())!["assignments"]!.AsArray());
    }

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync().Within("reading a problem");
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }
}
