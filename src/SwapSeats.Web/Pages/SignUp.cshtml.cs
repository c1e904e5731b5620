using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages;

public sealed class SignUpModel(SwapSeatsApi api) : AppPage(api)
{
    [BindProperty, Display(Name = "Email")] public string? Email { get; set; }

    [BindProperty, Display(Name = "Password"), DataType(DataType.Password)] public string? Password { get; set; }

    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }

    public async Task<IActionResult> OnPostAsync()
    {
        var result = await Api.SignUpAsync(Email ?? "", Password ?? "");
        if (result.Problem is { } problem)
        {
            Show(problem);
            return Page();
        }

        Notice = $"Welcome, {result.Value!.Email}!";
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}
