using Microsoft.EntityFrameworkCore;

namespace Aeros.Iam.Storage;

/// <summary>The IAM's database: OpenIddict's applications, authorizations, scopes and tokens, plus users and role assignments.</summary>
internal sealed class IamDbContext(DbContextOptions<IamDbContext> options) : DbContext(options)
{
    public DbSet<IamUser> Users => Set<IamUser>();

    public DbSet<RoleAssignment> RoleAssignments => Set<RoleAssignment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.UseOpenIddict();
        modelBuilder.Entity<IamUser>(user =>
        {
            user.ToTable("AerosUsers");
            user.HasKey(u => u.Name);
            user.Property(u => u.Name).HasMaxLength(64);
            user.Property(u => u.PasswordHash).HasMaxLength(512);
        });
        modelBuilder.Entity<RoleAssignment>(assignment =>
        {
            assignment.ToTable("AerosRoleAssignments");
            assignment.HasKey(a => new { a.SubjectKind, a.Subject, a.Role, a.Domain });
            assignment.Property(a => a.SubjectKind).HasMaxLength(8);
            assignment.Property(a => a.Subject).HasMaxLength(64);
            assignment.Property(a => a.Role).HasMaxLength(64);
            assignment.Property(a => a.Domain).HasMaxLength(64);
        });
    }
}

/// <summary>A person who signs in through the login form (authorization code flow).</summary>
internal sealed class IamUser
{
    public required string Name { get; set; }

    /// <summary>ASP.NET Core Identity's PBKDF2 format (HMAC-SHA512, 100,000 iterations, random salt).</summary>
    public required string PasswordHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One role of a user or client in one domain (or <c>*</c>).</summary>
internal sealed class RoleAssignment
{
    public const string UserKind = "user";

    public const string ClientKind = "client";

    /// <summary><see cref="UserKind"/> or <see cref="ClientKind"/>.</summary>
    public required string SubjectKind { get; set; }

    public required string Subject { get; set; }

    public required string Role { get; set; }

    public required string Domain { get; set; }
}
