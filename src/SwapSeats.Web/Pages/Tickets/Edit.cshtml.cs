using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Tickets;

public sealed class EditModel(SwapSeatsApi api) : AppPage(api)
{
    [BindProperty, Display(Name = "Title")] public string? Title { get; set; }

    [BindProperty, Display(Name = "Price (USD)")] public string? Price { get; set; }

    [BindProperty, Display(Name = "Face value (USD)")] public string? FaceValue { get; set; }

    public async Task<IActionResult> OnGetAsync(string id)
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var ticket = await Api.TicketAsync(id);
        // Only the seller may edit a listing: anyone else gets no form to fill in (the API would refuse the save anyway).
        if (ticket.Value is null || ticket.Value.UserId != UserId)
        {
            return NotFound();
        }

        Title = ticket.Value.Title;
        Price = PriceInput.Format(ticket.Value.Price);
        FaceValue = PriceInput.Format(ticket.Value.FaceValue);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string id)
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        if (!TryReadMoney(Price, FaceValue, out var price, out var faceValue))
        {
            return Page();
        }

        var result = await Api.EditAsync(id, Title, price, faceValue);
        if (result.Problem is { } problem)
        {
            Show(problem);
            return Page();
        }

        Notice = "Saved.";
        return Redirect($"/tickets/{id}");
    }
}
