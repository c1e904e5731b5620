using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SwapSeats.Web.Pages;

[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public int Status { get; private set; }

    public void OnGet(int? status) => Status = status ?? StatusCodes.Status500InternalServerError;

    public void OnPost(int? status) => OnGet(status);

    public string Message => Status switch
    {
        404 => "There is nothing here. The ticket or order may not exist, or it is not yours.",
        400 => "That request could not be understood. Go back and try again.",
        _ => "Something went wrong on our side. Try again in a moment.",
    };
}
