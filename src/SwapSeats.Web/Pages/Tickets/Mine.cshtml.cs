using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Tickets;

[RequestSizeLimit(TicketFileUpload.PageBodyLimit)]
[RequestFormLimits(MultipartBodyLengthLimit = TicketFileUpload.PageBodyLimit)]
public sealed class MineModel(SwapSeatsApi api) : AppPage(api)
{
    public List<TicketView> Tickets { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var result = await Api.MyTicketsAsync();
        if (result.Problem is { } problem)
        {
            Show(problem);
        }

        Tickets = result.Value ?? [];
        return Page();
    }

    public async Task<IActionResult> OnPostWithdrawAsync(string id)
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var result = await Api.WithdrawAsync(id);
        if (result.Problem is { } problem)
        {
            Show(problem);
            return await OnGetAsync();
        }

        Notice = "Withdrawn: the ticket is no longer for sale.";
        return RedirectToPage();
    }

    /// <summary>Attaches (or, before the sale, replaces) the ticket's file.</summary>
    public async Task<IActionResult> OnPostFileAsync(string id, IFormFile? file)
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var problem = file is null ? "Choose the ticket's file first." : TicketFileUpload.Problem(file);
        if (problem is null)
        {
            await using var stream = file!.OpenReadStream();
            var result = await Api.AttachFileAsync(id, stream, file.ContentType, file.Length);
            problem = result.Problem?.Detail;
        }

        if (problem is not null)
        {
            ModelState.AddModelError("", problem);
            return await OnGetAsync();
        }

        Notice = "The ticket's file is attached.";
        return RedirectToPage();
    }
}
