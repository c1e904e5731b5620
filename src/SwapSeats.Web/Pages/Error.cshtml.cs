using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SwapSeats.Web.Pages;

[IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public int Status { get; private set; }

    // No handler parameters: nothing of the failed request (its form may be the very body refused) is bound again.
    public void OnGet()
    {
        // A request the server refused while reading it (an upload over the page's limit) is the client's 4xx, not ours.
        Status = HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error switch
        {
            BadHttpRequestException bad => bad.StatusCode,
            InvalidDataException => StatusCodes.Status413PayloadTooLarge, // the multipart form's length limit
            { } => StatusCodes.Status500InternalServerError,
            null => HttpContext.Features.Get<IStatusCodeReExecuteFeature>()?.OriginalStatusCode
                ?? (int.TryParse(Request.Query["status"], out var status) ? status : StatusCodes.Status500InternalServerError),
        };
        Response.StatusCode = Status;
    }

    public void OnPost() => OnGet();

    public string Message => Status switch
    {
        404 => "There is nothing here. The ticket or order may not exist, or it is not yours.",
        400 => "That request could not be understood. Go back and try again.",
        413 => "That upload is too large: a ticket file may be at most 2 MiB. Go back and attach a smaller one.",
        _ => "Something went wrong on our side. Try again in a moment.",
    };
}
