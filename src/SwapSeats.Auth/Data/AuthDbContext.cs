using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using SwapSeats.Auth.Domain;
using SwapSeats.Messaging;

namespace SwapSeats.Auth.Data;

public sealed class AuthDbContext(DbContextOptions<AuthDbContext> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();

    public DbSet<SignInFailure> SignInFailures => Set<SignInFailure>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<User>(user =>
        {
            user.ToTable("users");
            user.HasKey(u => u.Id);
            user.Property(u => u.Id).HasColumnName("id").ValueGeneratedNever();
            user.Property(u => u.Email).HasColumnName("email").HasMaxLength(254).IsRequired();
            user.Property(u => u.PasswordHash).HasColumnName("password_hash").IsRequired();
            user.Property(u => u.CreatedAt).HasColumnName("created_at");
            // The one guarantee that two concurrent sign-ups with one email cannot both succeed.
            user.HasIndex(u => u.Email).IsUnique().HasDatabaseName("ux_users_email");
        });

        modelBuilder.Entity<SignInFailure>(failure =>
        {
            failure.ToTable("sign_in_failures");
            failure.HasKey(f => f.Id);
            failure.Property(f => f.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            failure.Property(f => f.Email).HasColumnName("email").HasMaxLength(254).IsRequired();
            failure.Property(f => f.FailedAt).HasColumnName("failed_at");
            failure.HasIndex(f => new { f.Email, f.FailedAt }).HasDatabaseName("ix_sign_in_failures_email_failed_at");
        });

        modelBuilder.AddOutboxAndInbox();
    }
}

/// <summary>Lets `dotnet ef migrations add` build the model without starting the service.</summary>
internal sealed class AuthDbContextDesignFactory : IDesignTimeDbContextFactory<AuthDbContext>
{
    public AuthDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AuthDbContext>().UseNpgsql("Host=localhost;Database=auth").Options);
}
