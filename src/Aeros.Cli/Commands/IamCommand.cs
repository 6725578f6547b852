using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Cli.Client;
using Aeros.Hosting;
using Aeros.Iam;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros iam</c>: runs the identity provider alone (<c>serve</c>) and manages it through its admin API
/// (<c>users</c>, <c>clients</c>, <c>roles</c>, <c>keys</c>) with a client-credential token of an administrator
/// client (docs/security.md).
/// </summary>
internal static class IamCommand
{
    /// <summary>Where <c>aeros iam serve</c> listens by default.</summary>
    public const string DefaultUrl = "http://127.0.0.1:9300";

    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    public static Command Create()
    {
        var command = new Command("iam", "The identity provider (OpenID Connect): run it, and manage its users, clients, role assignments and signing keys.")
        {
            CreateServe(),
        };
        var admin = new AdminOptions();
        command.Subcommands.Add(CreateUsers(admin));
        command.Subcommands.Add(CreateClients(admin));
        command.Subcommands.Add(CreateRoles(admin));
        command.Subcommands.Add(CreateKeys(admin));
        return command;
    }

    private static Command CreateServe()
    {
        var urls = new Option<string>("--urls") { Description = "Where the IAM listens (its endpoints are under /iam).", DefaultValueFactory = _ => DefaultUrl };
        var data = new Option<string>("--data") { Description = "Directory of the SQLite database and the keys (created if missing).", DefaultValueFactory = _ => Path.Combine(".aeros", "iam") };
        var issuer = new Option<string?>("--issuer") { Description = "The issuer URL (iss) when clients reach the IAM at another address (e.g. through the gateway). Default: the first --urls address + /iam/." };
        var database = new Option<string>("--database") { Description = "sqlite (default) or postgresql.", DefaultValueFactory = _ => IamOptions.Sqlite };
        database.AcceptOnlyFromAmong(IamOptions.Sqlite, IamOptions.PostgreSql);
        var connection = new Option<string?>("--connection-string") { Description = "Database connection string (required for postgresql)." };
        var serve = new Command("serve", "Run the identity provider alone. On first start it creates the initial administrator (client aeros-admin and user admin) and prints its credential once. More settings through environment variables Iam__AccessTokenLifetime, Iam__Audience, ... (docs/security.md).")
        {
            urls, data, issuer, database, connection,
        };
        serve.SetAction(async (parse, cancellationToken) =>
        {
            var issuerValue = parse.GetValue(issuer);
            if (issuerValue is not null && !Uri.TryCreate(issuerValue, UriKind.Absolute, out _))
            {
                await Console.Error.WriteLineAsync($"aeros iam serve: --issuer '{issuerValue}' is not an absolute URL.");
                return ExitCodes.BadUsage;
            }
            return await HostRunner.RunAsync("iam serve", () => IamHost.Create(parse.GetValue(urls)!, options =>
            {
                options.DataDirectory = parse.GetValue(data)!;
                options.Database = parse.GetValue(database)!;
                options.ConnectionString = parse.GetValue(connection) ?? options.ConnectionString;
                if (issuerValue is not null)
                {
                    options.Issuer = new Uri(issuerValue);
                }
            }), (_, url) => $"IAM listening at {url}/iam (discovery: {url}/iam/.well-known/openid-configuration)", cancellationToken);
        });
        return serve;
    }

    private static Command CreateUsers(AdminOptions admin)
    {
        var users = new Command("users", "Users who sign in with a password (authorization code flow).");
        var list = admin.Leaf("list", "List users and their role assignments.");
        list.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Get, "users", null, ct));
        var name = new Argument<string>("name") { Description = "The user name." };
        var password = new Option<string>("--password") { Description = "The password (at least 10 characters).", Required = true };
        var add = admin.Leaf("add", "Create a user.");
        add.Arguments.Add(name);
        add.Options.Add(password);
        add.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Post, "users", new JsonObject { ["name"] = parse.GetValue(name), ["password"] = parse.GetValue(password) }, ct));
        var passwd = admin.Leaf("passwd", "Set a user's password.");
        passwd.Arguments.Add(name);
        passwd.Options.Add(password);
        passwd.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Put, $"users/{Uri.EscapeDataString(parse.GetValue(name)!)}/password", new JsonObject { ["password"] = parse.GetValue(password) }, ct));
        var delete = admin.Leaf("delete", "Delete a user and its role assignments.");
        delete.Arguments.Add(name);
        delete.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Delete, $"users/{Uri.EscapeDataString(parse.GetValue(name)!)}", null, ct));
        users.Subcommands.Add(list);
        users.Subcommands.Add(add);
        users.Subcommands.Add(passwd);
        users.Subcommands.Add(delete);
        return users;
    }

    private static Command CreateClients(AdminOptions admin)
    {
        var clients = new Command("clients", "OAuth clients: machines (client credentials) and interactive applications (authorization code + PKCE).");
        var list = admin.Leaf("list", "List clients, their grants and role assignments.");
        list.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Get, "clients", null, ct));
        var id = new Argument<string>("client-id") { Description = "The client id." };
        var isPublic = new Option<bool>("--public") { Description = "A public client (no secret; e.g. a CLI or browser app): authorization code + PKCE and refresh tokens." };
        var grants = new Option<string[]>("--grant") { Description = "Grant types: client_credentials, authorization_code, refresh_token (repeatable). Default: client_credentials, or authorization_code + refresh_token with --public.", AllowMultipleArgumentsPerToken = true };
        var redirects = new Option<string[]>("--redirect-uri") { Description = "Redirect URIs for authorization_code (repeatable).", AllowMultipleArgumentsPerToken = true };
        var add = admin.Leaf("add", "Create a client; a confidential client's secret is printed once.");
        add.Arguments.Add(id);
        add.Options.Add(isPublic);
        add.Options.Add(grants);
        add.Options.Add(redirects);
        add.SetAction((parse, ct) =>
        {
            var body = new JsonObject { ["clientId"] = parse.GetValue(id), ["public"] = parse.GetValue(isPublic) };
            if (parse.GetValue(grants) is { Length: > 0 } g)
            {
                body["grants"] = new JsonArray(g.Select(x => (JsonNode?)x).ToArray());
            }
            if (parse.GetValue(redirects) is { Length: > 0 } r)
            {
                body["redirectUris"] = new JsonArray(r.Select(x => (JsonNode?)x).ToArray());
            }
            return admin.CallAsync(parse, HttpMethod.Post, "clients", body, ct);
        });
        var reset = admin.Leaf("reset-secret", "Give a confidential client a new secret (printed once); the old one stops working.");
        reset.Arguments.Add(id);
        reset.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Post, $"clients/{Uri.EscapeDataString(parse.GetValue(id)!)}/secret", null, ct));
        var delete = admin.Leaf("delete", "Delete a client and its role assignments.");
        delete.Arguments.Add(id);
        delete.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Delete, $"clients/{Uri.EscapeDataString(parse.GetValue(id)!)}", null, ct));
        clients.Subcommands.Add(list);
        clients.Subcommands.Add(add);
        clients.Subcommands.Add(reset);
        clients.Subcommands.Add(delete);
        return clients;
    }

    private static Command CreateRoles(AdminOptions admin)
    {
        var roles = new Command("roles", $"Role assignments with domain scope. Roles: {string.Join(", ", IamRoles.All)}.");
        var user = new Option<string?>("--user") { Description = "The user." };
        var client = new Option<string?>("--client") { Description = "The client." };
        var role = new Option<string>("--role") { Description = "The role.", Required = true };
        var domain = new Option<string>("--domain") { Description = "The domain it applies to, or * for all (ContinuumAdministrator is always *).", Required = true };
        var list = admin.Leaf("list", "List role assignments (of one --user or --client, or all).");
        list.Options.Add(user);
        list.Options.Add(client);
        list.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Get, "assignments" + Query(("user", parse.GetValue(user)), ("client", parse.GetValue(client))), null, ct));
        var assign = admin.Leaf("assign", "Give a user or client a role in a domain.");
        assign.Options.Add(user);
        assign.Options.Add(client);
        assign.Options.Add(role);
        assign.Options.Add(domain);
        assign.SetAction((parse, ct) =>
        {
            var body = new JsonObject { ["role"] = parse.GetValue(role), ["domain"] = parse.GetValue(domain) };
            if (parse.GetValue(user) is { } u)
            {
                body["user"] = u;
            }
            if (parse.GetValue(client) is { } c)
            {
                body["client"] = c;
            }
            return admin.CallAsync(parse, HttpMethod.Post, "assignments", body, ct);
        });
        var unassign = admin.Leaf("unassign", "Take a role in a domain away from a user or client.");
        unassign.Options.Add(user);
        unassign.Options.Add(client);
        unassign.Options.Add(role);
        unassign.Options.Add(domain);
        unassign.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Delete, "assignments" + Query(
            ("user", parse.GetValue(user)), ("client", parse.GetValue(client)), ("role", parse.GetValue(role)), ("domain", parse.GetValue(domain))), null, ct));
        roles.Subcommands.Add(list);
        roles.Subcommands.Add(assign);
        roles.Subcommands.Add(unassign);
        return roles;
    }

    private static Command CreateKeys(AdminOptions admin)
    {
        var keys = new Command("keys", "Token signing keys (ContinuumAdministrator only).");
        var list = admin.Leaf("list", "List the published signing keys: kid, active, created, retired, published until.");
        list.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Get, "keys", null, ct));
        var rotate = admin.Leaf("rotate", "Make a new key the signing key now; the old one stays in JWKS until its tokens have expired. Validators refetch JWKS on the new kid: nothing restarts.");
        rotate.SetAction((parse, ct) => admin.CallAsync(parse, HttpMethod.Post, "keys/rotate", null, ct));
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(rotate);
        return keys;
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }

    /// <summary>The options every admin command shares: where the IAM is and the administrator client's credential.</summary>
    private sealed class AdminOptions
    {
        private readonly Option<string> _url = new("--iam")
        {
            Description = $"The IAM's root URL (env AEROS_IAM_URL; default {DefaultUrl}).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AEROS_IAM_URL") ?? DefaultUrl,
        };

        private readonly Option<string> _clientId = new("--client-id")
        {
            Description = $"The administrator client (env AEROS_IAM_CLIENT_ID; default {IamOptions.DefaultInitialAdminClientId}).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AEROS_IAM_CLIENT_ID") ?? IamOptions.DefaultInitialAdminClientId,
        };

        private readonly Option<string?> _secret = new("--client-secret")
        {
            Description = "Its secret (env AEROS_IAM_CLIENT_SECRET, which keeps it out of the shell history).",
        };

        public Command Leaf(string name, string description) => new(name, description) { _url, _clientId, _secret };

        public async Task<int> CallAsync(ParseResult parse, HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
        {
            // e.g. "iam users list": the command path without the root.
            var names = new List<string>();
            for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            {
                names.Add(result.Command.Name);
            }
            var what = string.Join(' ', Enumerable.Reverse(names).Skip(1));
            var secret = parse.GetValue(_secret) ?? Environment.GetEnvironmentVariable("AEROS_IAM_CLIENT_SECRET");
            if (string.IsNullOrEmpty(secret))
            {
                await Console.Error.WriteLineAsync($"aeros {what}: no client secret: pass --client-secret or set AEROS_IAM_CLIENT_SECRET (the initial one was printed at the IAM's first start).");
                return ExitCodes.BadUsage;
            }
            if (!Uri.TryCreate(parse.GetValue(_url)!.TrimEnd('/') + "/", UriKind.Absolute, out var root))
            {
                await Console.Error.WriteLineAsync($"aeros {what}: --iam '{parse.GetValue(_url)}' is not an absolute URL.");
                return ExitCodes.BadUsage;
            }
            using var http = new HttpClient { BaseAddress = root, Timeout = TimeSpan.FromSeconds(30) };
            try
            {
                using var tokenResponse = await http.PostAsync("iam/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = parse.GetValue(_clientId)!,
                    ["client_secret"] = secret,
                }), cancellationToken);
                var tokenText = await tokenResponse.Content.ReadAsStringAsync(cancellationToken);
                if (!tokenResponse.IsSuccessStatusCode)
                {
                    await Console.Error.WriteLineAsync($"aeros {what}: the IAM refused the credential of client '{parse.GetValue(_clientId)}': {tokenText}");
                    return ClientExitCodes.Denied;
                }
                var token = (string?)JsonNode.Parse(tokenText)?["access_token"];
                using var request = new HttpRequestMessage(method, "iam/admin/v1/" + path);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                if (body is not null)
                {
                    request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                }
                using var response = await http.SendAsync(request, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    Console.WriteLine(text.Length == 0 ? "ok" : JsonNode.Parse(text)!.ToJsonString(Pretty));
                    return ExitCodes.Ok;
                }
                var problem = TryParse(text);
                var detail = problem?["errors"] is JsonArray errors
                    ? string.Join(Environment.NewLine + "  ", errors.Select(e => (string?)e))
                    : (string?)problem?["detail"] ?? text;
                await Console.Error.WriteLineAsync($"aeros {what}: {(int)response.StatusCode} {detail}");
                return response.StatusCode switch
                {
                    HttpStatusCode.BadRequest => ClientExitCodes.InvalidInput,
                    HttpStatusCode.NotFound => ClientExitCodes.NotFound,
                    HttpStatusCode.Conflict => ClientExitCodes.Conflict,
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ClientExitCodes.Denied,
                    _ => ExitCodes.Failure,
                };
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await Console.Error.WriteLineAsync($"aeros {what}: the IAM at {root} is not reachable ({e.Message}); is it running ('aeros iam serve')?");
                return ClientExitCodes.Unreachable;
            }
        }

        private static JsonNode? TryParse(string text)
        {
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
