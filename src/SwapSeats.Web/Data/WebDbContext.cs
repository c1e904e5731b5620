using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SwapSeats.Web.Data;

/// <summary>
/// The web UI's own database holds one thing: the Data Protection key ring that protects antiforgery tokens (and any
/// other protected payload). Shared by every replica, so a form rendered by one is accepted by another.
/// </summary>
public sealed class WebDbContext(DbContextOptions<WebDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<DataProtectionKey>(key =>
        {
            key.ToTable("data_protection_keys");
            key.Property(k => k.Id).HasColumnName("id");
            key.Property(k => k.FriendlyName).HasColumnName("friendly_name");
            key.Property(k => k.Xml).HasColumnName("xml");
        });
}

/// <summary>Lets `dotnet ef migrations add` build the model without starting the service.</summary>
internal sealed class WebDbContextDesignFactory : IDesignTimeDbContextFactory<WebDbContext>
{
    public WebDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<WebDbContext>().UseNpgsql("Host=localhost;Database=web").Options);
}
