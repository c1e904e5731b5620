using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SwapSeats.ServiceDefaults;
using Microsoft.AspNetCore.DataProtection;
using SwapSeats.Web.Api;
using SwapSeats.Web.Data;

var builder = WebApplication.CreateBuilder(args);

// Sessions are validated here with auth's public key, like in every service: pages know who is signed in without a call.
builder.AddServiceDefaults();
// Pages answer errors with pages, not with the APIs' problem JSON.
builder.Services.RemoveAll<IExceptionHandler>();
builder.Services.AddOptions<WebOptions>()
    .Bind(builder.Configuration.GetSection(WebOptions.Section))
    .Validate(o => WebOptions.RequiredServices.All(s => ReplicaHandler.Valid(o.Services.GetValueOrDefault(s))),
        $"Web:Services:{{{string.Join(",", WebOptions.RequiredServices)}}} (env Web__Services__auth, ...) must be the URLs of the APIs (replicas separated by ';').")
    .ValidateOnStart();
builder.Services.AddHttpContextAccessor();
foreach (var service in WebOptions.RequiredServices)
{
    builder.Services.AddHttpClient(service, (services, http) =>
        {
            http.BaseAddress = Replicas(services, service)[0];
            http.Timeout = TimeSpan.FromSeconds(30);
        })
        .AddHttpMessageHandler(services => new ReplicaHandler(Replicas(services, service)));
}

builder.Services.AddScoped<SwapSeatsApi>();
// The key ring that protects antiforgery tokens lives in the web UI's own database, shared by every replica: a form
// rendered by one replica is accepted by any other, and a restart signs nobody's form out.
builder.AddServiceDatabase<WebDbContext>("web");
builder.Services.AddDataProtection().SetApplicationName("SwapSeats.Web").PersistKeysToDbContext<WebDbContext>();
builder.Services.AddRazorPages(pages => pages.Conventions.AddPageRoute("/Events/Index", "/"));

var app = builder.Build();
if (await app.MigrateDatabaseAsync<WebDbContext>(args))
{
    return;
}

app.UseForwardedHeaders();
app.UseExceptionHandler("/error");
app.UseStatusCodePagesWithReExecute("/error", "?status={0}");
app.Use(async (context, next) =>
{
    context.Response.Headers.XContentTypeOptions = "nosniff";
    context.Response.Headers.XFrameOptions = "DENY";
    context.Response.Headers["Referrer-Policy"] = "same-origin";
    await next();
});
// A ticket file posted to a page over the page's limit: answered 413 (the error page says why) before any form is
// read; what slips past an honest Content-Length is cut off by the pages' RequestSizeLimit.
app.Use(async (context, next) =>
{
    if (RequestLimits.CarriesTicketFile(context.Request) && await RequestLimits.DeclaredOverAsync(context, RequestLimits.MaxTicketFilePageBytes))
    {
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        return;
    }

    await next();
});
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultEndpoints();
app.MapRazorPages();
// The sign-in pages moved under /auth (SPEC); old links and bookmarks still arrive, forms included (308 keeps the POST).
foreach (var old in new[] { "/signin", "/signup" })
{
    app.Map(old, (HttpContext context) => Results.Redirect($"/auth{old}{context.Request.QueryString}", permanent: true, preserveMethod: true));
}

app.MapGet("/favicon.ico", () => Results.Redirect("/favicon.svg", permanent: true));

await app.RunAsync();

static IReadOnlyList<Uri> Replicas(IServiceProvider services, string name) =>
    ReplicaHandler.Parse(services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebOptions>>().Value.Services[name]);

public partial class Program;
