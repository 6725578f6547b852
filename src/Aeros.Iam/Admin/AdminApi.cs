using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Iam.Clients;
using Aeros.Iam.Keys;
using Aeros.Iam.Storage;
using Aeros.Iam.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.Iam.Admin;

/// <summary>
/// The admin API under <c>/iam/admin/v1</c> (docs/security.md): users, clients, role assignments with domain scope, and
/// signing keys. Every call needs a bearer access token of this IAM: a ContinuumAdministrator may do everything, a
/// DomainAdministrator may manage users, clients and assignments within its domains; anyone else gets 403, no or a bad
/// token 401. Errors are RFC 9457 problem details; bad input is a 400 listing every error.
/// </summary>
internal static class AdminApi
{
    public const string Root = "/iam/admin/v1";

    private const string CallerKey = "aeros.iam.caller";
    private const int MaxBodyBytes = 64 * 1024;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(Root);
        api.AddEndpointFilter(AuthenticateAsync);
        api.MapGet("/roles", () => Results.Json(new JsonObject { ["roles"] = new JsonArray(IamRoles.All.Select(r => (JsonNode?)r).ToArray()) }));
        api.MapGet("/users", (Delegate)ListUsersAsync);
        api.MapPost("/users", (Delegate)CreateUserAsync);
        api.MapGet("/users/{name}", (Delegate)GetUserAsync);
        api.MapDelete("/users/{name}", (Delegate)DeleteUserAsync);
        api.MapPut("/users/{name}/password", (Delegate)SetPasswordAsync);
        api.MapGet("/clients", (Delegate)ListClientsAsync);
        api.MapPost("/clients", (Delegate)CreateClientAsync);
        api.MapGet("/clients/{clientId}", (Delegate)GetClientAsync);
        api.MapDelete("/clients/{clientId}", (Delegate)DeleteClientAsync);
        api.MapPost("/clients/{clientId}/secret", (Delegate)ResetSecretAsync);
        api.MapGet("/assignments", (Delegate)ListAssignmentsAsync);
        api.MapPost("/assignments", (Delegate)AssignAsync);
        api.MapDelete("/assignments", (Delegate)UnassignAsync);
        api.MapGet("/keys", ListKeys);
        api.MapPost("/keys/rotate", RotateKey);
    }

    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return Unauthorized(http, "A bearer access token of this IAM is required.");
        }
        var caller = await http.RequestServices.GetRequiredService<AdminTokenValidator>().ValidateAsync(header[7..].Trim());
        if (caller is null)
        {
            return Unauthorized(http, "The bearer token is invalid, expired, or not an access token of this IAM.");
        }
        if (!caller.IsContinuumAdministrator && !caller.IsDomainAdministrator)
        {
            return Forbidden("The admin API needs the role ContinuumAdministrator or DomainAdministrator.");
        }
        http.Items[CallerKey] = caller;
        return await next(context);
    }

    private static AdminCaller Caller(HttpContext http) => (AdminCaller)http.Items[CallerKey]!;

    // ---- users ----

    private static async Task<IResult> ListUsersAsync(HttpContext http)
    {
        await using var db = await Db(http);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Name).Select(u => new { u.Name, u.CreatedAt }).ToListAsync(http.RequestAborted);
        var assignments = await db.RoleAssignments.AsNoTracking().Where(a => a.SubjectKind == RoleAssignment.UserKind).ToListAsync(http.RequestAborted);
        return Results.Json(new JsonObject
        {
            ["users"] = new JsonArray(users.Select(u => (JsonNode?)new JsonObject
            {
                ["name"] = u.Name,
                ["createdAt"] = u.CreatedAt.ToString("O"),
                ["assignments"] = Assignments(assignments.Where(a => a.Subject == u.Name)),
            }).ToArray()),
        });
    }

    private static async Task<IResult> GetUserAsync(HttpContext http, string name)
    {
        await using var db = await Db(http);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, http.RequestAborted);
        if (user is null)
        {
            return NotFound($"No user '{name}'.");
        }
        var assignments = await db.RoleAssignments.AsNoTracking().Where(a => a.SubjectKind == RoleAssignment.UserKind && a.Subject == name).ToListAsync(http.RequestAborted);
        return Results.Json(new JsonObject { ["name"] = user.Name, ["createdAt"] = user.CreatedAt.ToString("O"), ["assignments"] = Assignments(assignments) });
    }

    private static async Task<IResult> CreateUserAsync(HttpContext http)
    {
        var (body, error) = await ReadAsync(http);
        if (error is not null)
        {
            return error;
        }
        var errors = new List<string>();
        var name = String(body!, "name", errors, required: true);
        var password = String(body!, "password", errors, required: true);
        Unknown(body!, errors, "name", "password");
        if (name is not null && !AdminNames.IsValidName(name))
        {
            errors.Add($"name '{name}' is invalid: {AdminNames.NameRule}.");
        }
        if (password is not null && password.Length < AdminNames.MinPasswordLength)
        {
            errors.Add($"password must have at least {AdminNames.MinPasswordLength} characters.");
        }
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }
        await using var db = await Db(http);
        if (await db.Users.AnyAsync(u => u.Name == name, http.RequestAborted))
        {
            return Conflict($"The user '{name}' exists.");
        }
        var user = new IamUser { Name = name!, PasswordHash = "", CreatedAt = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow() };
        user.PasswordHash = UserPasswords.Hash(user, password!);
        db.Users.Add(user);
        await db.SaveChangesAsync(http.RequestAborted);
        return Results.Json(new JsonObject { ["name"] = name }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> DeleteUserAsync(HttpContext http, string name)
    {
        await using var db = await Db(http);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, http.RequestAborted);
        if (user is null)
        {
            return NotFound($"No user '{name}'.");
        }
        var assignments = await db.RoleAssignments.Where(a => a.SubjectKind == RoleAssignment.UserKind && a.Subject == name).ToListAsync(http.RequestAborted);
        if (!MayManage(Caller(http), assignments))
        {
            return Forbidden($"The user '{name}' has roles outside your domains.");
        }
        db.RoleAssignments.RemoveRange(assignments);
        db.Users.Remove(user);
        await db.SaveChangesAsync(http.RequestAborted);
        Changed(http);
        return Results.NoContent();
    }

    private static async Task<IResult> SetPasswordAsync(HttpContext http, string name)
    {
        var (body, error) = await ReadAsync(http);
        if (error is not null)
        {
            return error;
        }
        var errors = new List<string>();
        var password = String(body!, "password", errors, required: true);
        Unknown(body!, errors, "password");
        if (password is not null && password.Length < AdminNames.MinPasswordLength)
        {
            errors.Add($"password must have at least {AdminNames.MinPasswordLength} characters.");
        }
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }
        await using var db = await Db(http);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, http.RequestAborted);
        if (user is null)
        {
            return NotFound($"No user '{name}'.");
        }
        var assignments = await db.RoleAssignments.AsNoTracking().Where(a => a.SubjectKind == RoleAssignment.UserKind && a.Subject == name).ToListAsync(http.RequestAborted);
        if (!MayManage(Caller(http), assignments))
        {
            return Forbidden($"The user '{name}' has roles outside your domains.");
        }
        user.PasswordHash = UserPasswords.Hash(user, password!);
        await db.SaveChangesAsync(http.RequestAborted);
        return Results.NoContent();
    }

    // ---- clients ----

    private static async Task<IResult> ListClientsAsync(HttpContext http)
    {
        var clients = await http.RequestServices.GetRequiredService<ClientRegistry>().ListAsync(http.RequestAborted);
        await using var db = await Db(http);
        var assignments = await db.RoleAssignments.AsNoTracking().Where(a => a.SubjectKind == RoleAssignment.ClientKind).ToListAsync(http.RequestAborted);
        return Results.Json(new JsonObject { ["clients"] = new JsonArray(clients.Select(c => (JsonNode?)ClientJson(c, assignments)).ToArray()) });
    }

    private static async Task<IResult> GetClientAsync(HttpContext http, string clientId)
    {
        var client = await http.RequestServices.GetRequiredService<ClientRegistry>().GetAsync(clientId, http.RequestAborted);
        if (client is null)
        {
            return NotFound($"No client '{clientId}'.");
        }
        await using var db = await Db(http);
        var assignments = await db.RoleAssignments.AsNoTracking().Where(a => a.SubjectKind == RoleAssignment.ClientKind && a.Subject == clientId).ToListAsync(http.RequestAborted);
        return Results.Json(ClientJson(client, assignments));
    }

    private static async Task<IResult> CreateClientAsync(HttpContext http)
    {
        var (body, error) = await ReadAsync(http);
        if (error is not null)
        {
            return error;
        }
        var errors = new List<string>();
        var clientId = String(body!, "clientId", errors, required: true);
        var secret = String(body!, "secret", errors, required: false);
        var displayName = String(body!, "displayName", errors, required: false);
        var isPublic = Bool(body!, "public", errors) ?? false;
        var grants = Strings(body!, "grants", errors) ?? ClientRegistry.DefaultGrants(isPublic).ToList();
        var redirects = new List<Uri>();
        foreach (var text in Strings(body!, "redirectUris", errors) ?? [])
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
            {
                redirects.Add(uri);
            }
            else
            {
                errors.Add($"redirectUri '{text}' is not an absolute URI.");
            }
        }
        Unknown(body!, errors, "clientId", "secret", "displayName", "public", "grants", "redirectUris");
        if (clientId is null)
        {
            return BadRequest(errors);
        }
        var spec = new ClientSpec(clientId, secret, isPublic, grants, redirects, displayName);
        errors.AddRange(ClientRegistry.Validate(spec));
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }
        var registry = http.RequestServices.GetRequiredService<ClientRegistry>();
        if (await registry.ExistsAsync(clientId, http.RequestAborted))
        {
            return Conflict($"The client '{clientId}' exists.");
        }
        var created = await registry.CreateAsync(spec, http.RequestAborted);
        var result = new JsonObject { ["clientId"] = clientId, ["public"] = isPublic, ["grants"] = Array(grants) };
        if (created is not null && secret is null)
        {
            // Shown once: only its hash is stored.
            result["clientSecret"] = created;
        }
        return Results.Json(result, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> DeleteClientAsync(HttpContext http, string clientId)
    {
        await using var db = await Db(http);
        var assignments = await db.RoleAssignments.Where(a => a.SubjectKind == RoleAssignment.ClientKind && a.Subject == clientId).ToListAsync(http.RequestAborted);
        if (!MayManage(Caller(http), assignments))
        {
            return Forbidden($"The client '{clientId}' has roles outside your domains.");
        }
        if (!await http.RequestServices.GetRequiredService<ClientRegistry>().DeleteAsync(clientId, http.RequestAborted))
        {
            return NotFound($"No client '{clientId}'.");
        }
        db.RoleAssignments.RemoveRange(assignments);
        await db.SaveChangesAsync(http.RequestAborted);
        Changed(http);
        return Results.NoContent();
    }

    private static async Task<IResult> ResetSecretAsync(HttpContext http, string clientId)
    {
        await using var db = await Db(http);
        var assignments = await db.RoleAssignments.AsNoTracking().Where(a => a.SubjectKind == RoleAssignment.ClientKind && a.Subject == clientId).ToListAsync(http.RequestAborted);
        if (!MayManage(Caller(http), assignments))
        {
            return Forbidden($"The client '{clientId}' has roles outside your domains.");
        }
        var secret = await http.RequestServices.GetRequiredService<ClientRegistry>().ResetSecretAsync(clientId, http.RequestAborted);
        return secret is null
            ? NotFound($"No confidential client '{clientId}'.")
            : Results.Json(new JsonObject { ["clientId"] = clientId, ["clientSecret"] = secret });
    }

    // ---- role assignments ----

    private static async Task<IResult> ListAssignmentsAsync(HttpContext http)
    {
        var (kind, subject, errors) = SubjectFromQuery(http, required: false);
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }
        await using var db = await Db(http);
        var query = db.RoleAssignments.AsNoTracking();
        if (kind is not null)
        {
            query = query.Where(a => a.SubjectKind == kind && a.Subject == subject);
        }
        var list = await query.ToListAsync(http.RequestAborted);
        return Results.Json(new JsonObject { ["assignments"] = Assignments(list, withSubject: true) });
    }

    private static async Task<IResult> AssignAsync(HttpContext http)
    {
        var (body, error) = await ReadAsync(http);
        if (error is not null)
        {
            return error;
        }
        var errors = new List<string>();
        var user = String(body!, "user", errors, required: false);
        var client = String(body!, "client", errors, required: false);
        var role = String(body!, "role", errors, required: true);
        var domain = String(body!, "domain", errors, required: true);
        Unknown(body!, errors, "user", "client", "role", "domain");
        return await ChangeAssignmentAsync(http, user, client, role, domain, errors, add: true);
    }

    private static async Task<IResult> UnassignAsync(HttpContext http)
    {
        var errors = new List<string>();
        var query = http.Request.Query;
        string? Get(string name) => query.TryGetValue(name, out var v) ? v.ToString() : null;
        foreach (var name in query.Keys.Where(k => k is not ("user" or "client" or "role" or "domain")))
        {
            errors.Add($"query parameter '{name}' is unknown: use user or client, role, domain.");
        }
        var role = Get("role");
        var domain = Get("domain");
        if (role is null)
        {
            errors.Add("query parameter 'role' is required.");
        }
        if (domain is null)
        {
            errors.Add("query parameter 'domain' is required.");
        }
        return await ChangeAssignmentAsync(http, Get("user"), Get("client"), role, domain, errors, add: false);
    }

    private static async Task<IResult> ChangeAssignmentAsync(HttpContext http, string? user, string? client, string? role, string? domain, List<string> errors, bool add)
    {
        if ((user is null) == (client is null))
        {
            errors.Add("give exactly one of 'user' and 'client'.");
        }
        if (role is not null && !IamRoles.IsKnown(role))
        {
            errors.Add($"role '{role}' is unknown: use {string.Join(", ", IamRoles.All)}.");
        }
        if (domain is not null && !AdminNames.IsValidDomain(domain))
        {
            errors.Add($"domain '{domain}' is invalid: a domain name ({AdminNames.NameRule}) or '*'.");
        }
        if (role == IamRoles.ContinuumAdministrator && domain is not null && domain != IamClaims.AllDomains)
        {
            errors.Add("ContinuumAdministrator applies to every domain: use domain '*'.");
        }
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }
        var caller = Caller(http);
        if (!caller.Administers(domain!) || (role == IamRoles.ContinuumAdministrator && !caller.IsContinuumAdministrator))
        {
            return Forbidden($"You may not manage the role {role} in domain '{domain}'.");
        }
        var kind = user is not null ? RoleAssignment.UserKind : RoleAssignment.ClientKind;
        var subject = user ?? client!;
        await using var db = await Db(http);
        var exists = kind == RoleAssignment.UserKind
            ? await db.Users.AnyAsync(u => u.Name == subject, http.RequestAborted)
            : await http.RequestServices.GetRequiredService<ClientRegistry>().ExistsAsync(subject, http.RequestAborted);
        if (!exists)
        {
            return NotFound($"No {kind} '{subject}'.");
        }
        var current = await db.RoleAssignments.FirstOrDefaultAsync(
            a => a.SubjectKind == kind && a.Subject == subject && a.Role == role && a.Domain == domain, http.RequestAborted);
        if (add && current is null)
        {
            db.RoleAssignments.Add(new RoleAssignment { SubjectKind = kind, Subject = subject, Role = role!, Domain = domain! });
        }
        else if (!add)
        {
            if (current is null)
            {
                return NotFound($"The {kind} '{subject}' has no role {role} in '{domain}'.");
            }
            db.RoleAssignments.Remove(current);
        }
        await db.SaveChangesAsync(http.RequestAborted);
        Changed(http);
        return add
            ? Results.Json(new JsonObject { [kind] = subject, ["role"] = role, ["domain"] = domain }, statusCode: StatusCodes.Status201Created)
            : Results.NoContent();
    }

    // ---- keys ----

    private static IResult ListKeys(HttpContext http)
    {
        if (!Caller(http).IsContinuumAdministrator)
        {
            return Forbidden("Only a ContinuumAdministrator manages signing keys.");
        }
        var store = http.RequestServices.GetRequiredService<SigningKeyStore>();
        var retention = http.RequestServices.GetRequiredService<IOptions<IamOptions>>().Value.RetiredKeyRetention;
        var keys = store.Current;
        return Results.Json(new JsonObject
        {
            ["keys"] = new JsonArray(keys.Published.Select(k => (JsonNode?)new JsonObject
            {
                ["kid"] = k.KeyId,
                ["active"] = k.KeyId == keys.Active.KeyId,
                ["createdAt"] = k.CreatedAt.ToString("O"),
                ["retiredAt"] = k.RetiredAt?.ToString("O"),
                ["publishedUntil"] = k.PublishedUntil(retention)?.ToString("O"),
            }).ToArray()),
        });
    }

    private static IResult RotateKey(HttpContext http)
    {
        if (!Caller(http).IsContinuumAdministrator)
        {
            return Forbidden("Only a ContinuumAdministrator rotates signing keys.");
        }
        var kid = http.RequestServices.GetRequiredService<SigningKeyStore>().Rotate();
        return Results.Json(new JsonObject { ["kid"] = kid });
    }

    // ---- helpers ----

    private static bool MayManage(AdminCaller caller, IEnumerable<RoleAssignment> assignments) =>
        caller.IsContinuumAdministrator
        || assignments.All(a => a.Role != IamRoles.ContinuumAdministrator && caller.Administers(a.Domain));

    private static void Changed(HttpContext http) => http.RequestServices.GetRequiredService<IamPrincipals>().Invalidate();

    private static async Task<IamDbContext> Db(HttpContext http) =>
        await http.RequestServices.GetRequiredService<IDbContextFactory<IamDbContext>>().CreateDbContextAsync(http.RequestAborted);

    private static (string? Kind, string? Subject, List<string> Errors) SubjectFromQuery(HttpContext http, bool required)
    {
        var errors = new List<string>();
        var user = http.Request.Query["user"].FirstOrDefault();
        var client = http.Request.Query["client"].FirstOrDefault();
        if (user is not null && client is not null)
        {
            errors.Add("give at most one of 'user' and 'client'.");
        }
        if (required && user is null && client is null)
        {
            errors.Add("give 'user' or 'client'.");
        }
        return user is not null ? (RoleAssignment.UserKind, user, errors)
            : client is not null ? (RoleAssignment.ClientKind, client, errors)
            : (null, null, errors);
    }

    private static async Task<(JsonObject? Body, IResult? Error)> ReadAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return (null, Problem(StatusCodes.Status413PayloadTooLarge, "too-large", "Request too large", $"The body may have at most {MaxBodyBytes} bytes."));
        }
        if (!(http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type", "Send the body as application/json."));
        }
        try
        {
            using var limited = new MemoryStream();
            await http.Request.Body.CopyToAsync(limited, http.RequestAborted);
            if (limited.Length > MaxBodyBytes)
            {
                return (null, Problem(StatusCodes.Status413PayloadTooLarge, "too-large", "Request too large", $"The body may have at most {MaxBodyBytes} bytes."));
            }
            return JsonNode.Parse(limited.ToArray()) is JsonObject body
                ? (body, null)
                : (null, BadRequest(["the body must be a JSON object."]));
        }
        catch (JsonException e)
        {
            return (null, BadRequest([$"the body is not valid JSON: {e.Message}"]));
        }
    }

    private static string? String(JsonObject body, string name, List<string> errors, bool required)
    {
        var node = body[name];
        if (node is null)
        {
            if (required)
            {
                errors.Add($"'{name}' is required.");
            }
            return null;
        }
        if (node is JsonValue value && value.TryGetValue<string>(out var text))
        {
            return text;
        }
        errors.Add($"'{name}' must be a string.");
        return null;
    }

    private static bool? Bool(JsonObject body, string name, List<string> errors)
    {
        var node = body[name];
        if (node is null)
        {
            return null;
        }
        if (node is JsonValue value && value.TryGetValue<bool>(out var flag))
        {
            return flag;
        }
        errors.Add($"'{name}' must be true or false.");
        return null;
    }

    private static List<string>? Strings(JsonObject body, string name, List<string> errors)
    {
        var node = body[name];
        if (node is null)
        {
            return null;
        }
        if (node is JsonArray array && array.All(n => n is JsonValue v && v.TryGetValue<string>(out _)))
        {
            return array.Select(n => n!.GetValue<string>()).ToList();
        }
        errors.Add($"'{name}' must be an array of strings.");
        return null;
    }

    private static void Unknown(JsonObject body, List<string> errors, params string[] known)
    {
        foreach (var (name, _) in body.Where(p => !known.Contains(p.Key)))
        {
            errors.Add($"'{name}' is unknown: use {string.Join(", ", known)}.");
        }
    }

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());

    private static JsonArray Assignments(IEnumerable<RoleAssignment> assignments, bool withSubject = false) =>
        new(assignments.OrderBy(a => a.Role, StringComparer.Ordinal).ThenBy(a => a.Domain, StringComparer.Ordinal).Select(a =>
        {
            var item = new JsonObject();
            if (withSubject)
            {
                item[a.SubjectKind] = a.Subject;
            }
            item["role"] = a.Role;
            item["domain"] = a.Domain;
            return (JsonNode?)item;
        }).ToArray());

    private static JsonObject ClientJson(ClientView client, IEnumerable<RoleAssignment> assignments) => new()
    {
        ["clientId"] = client.ClientId,
        ["displayName"] = client.DisplayName,
        ["public"] = client.Public,
        ["grants"] = Array(client.Grants),
        ["redirectUris"] = Array(client.RedirectUris),
        ["assignments"] = Assignments(assignments.Where(a => a.Subject == client.ClientId)),
    };

    private static IResult Unauthorized(HttpContext http, string detail)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"aeros-iam\"";
        return Problem(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized", detail);
    }

    private static IResult Forbidden(string detail) => Problem(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", detail);

    private static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "not-found", "Not found", detail);

    private static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "conflict", "Conflict", detail);

    private static IResult BadRequest(IReadOnlyList<string> errors) => Problem(
        StatusCodes.Status400BadRequest, "bad-request", "Bad request", string.Join(" ", errors), errors);

    internal static IResult Problem(int status, string kind, string title, string detail, IReadOnlyList<string>? errors = null)
    {
        var body = new JsonObject
        {
            ["type"] = "urn:aeros:problem:" + kind,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        if (errors is { Count: > 0 })
        {
            body["errors"] = Array(errors);
        }
        return Results.Json(body, statusCode: status, contentType: "application/problem+json");
    }
}
