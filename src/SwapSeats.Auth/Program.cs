using SwapSeats.Messaging;
using Microsoft.AspNetCore.Identity;
using SwapSeats.Auth.Api;
using SwapSeats.Auth.Data;
using SwapSeats.Auth.Domain;
using SwapSeats.Auth.Sessions;
using SwapSeats.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceDatabase<AuthDbContext>("auth");
// An outbox only (user.created); auth consumes nothing.
builder.AddMessaging<AuthDbContext>("auth");
AuthOptions.AddAuthOptions(builder);
builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();

var app = builder.Build();
if (await app.MigrateDatabaseAsync<AuthDbContext>(args))
{
    return;
}

app.UseServiceDefaults();
app.MapDefaultEndpoints();
app.MapUsersApi();

await app.RunAsync();

public partial class Program;
