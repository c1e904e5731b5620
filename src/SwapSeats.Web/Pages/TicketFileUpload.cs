using Microsoft.AspNetCore.Mvc;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Web.Pages;

/// <summary>
/// The ticket file as a page receives it (sell, my listings): refused here in plain words when it cannot be right (too
/// large, not a PDF or image), otherwise streamed to tickets, which checks its first bytes and stores it.
/// </summary>
public static class TicketFileUpload
{
    /// <summary>What the browser may post to a page with a file: the file's limit and room for the other fields.</summary>
    public const long PageBodyLimit = RequestLimits.MaxTicketFilePageBytes;

    public const string Accept = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg";

    public static readonly string[] Types = ["application/pdf", "image/png", "image/jpeg"];

    /// <summary>Why the file cannot be attached, or null when it may be sent.</summary>
    public static string? Problem(IFormFile file) =>
        file.Length > RequestLimits.MaxTicketFileBytes ? "The file is larger than 2 MiB: attach a smaller PDF or image."
        : file.Length == 0 ? "The file is empty."
        : !Types.Contains(file.ContentType, StringComparer.OrdinalIgnoreCase) ? "Attach the ticket as a PDF, PNG or JPEG file."
        : null;
}
