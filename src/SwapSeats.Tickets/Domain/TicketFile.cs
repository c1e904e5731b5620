using System.Security.Cryptography;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Tickets.Domain;

/// <summary>
/// The ticket itself (a PDF or an image with the barcode), kept in its own table so that no listing query ever reads
/// it; one per ticket, with its SHA-256 so a copy can be checked byte for byte.
/// </summary>
public sealed class TicketFile
{
    /// <summary>SPEC: at most 2 MiB; the one body allowed over the 64 KiB limit.</summary>
    public const int MaxBytes = (int)RequestLimits.MaxTicketFileBytes;

    private static readonly Dictionary<string, (string Extension, byte[] Magic)> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["application/pdf"] = ("pdf", "%PDF-"u8.ToArray()),
        ["image/png"] = ("png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        ["image/jpeg"] = ("jpg", [0xFF, 0xD8, 0xFF]),
    };

    private TicketFile()
    {
    }

    public Guid TicketId { get; private set; }

    public string ContentType { get; private set; } = "";

    public byte[] Content { get; private set; } = [];

    public byte[] Sha256 { get; private set; } = [];

    public DateTimeOffset UploadedAt { get; private set; }

    public string FileName => $"ticket-{TicketId}.{Types[ContentType].Extension}";

    /// <summary>The accepted media type named by a <c>Content-Type</c> header (parameters ignored), or null.</summary>
    public static string? TypeOf(string? contentType)
    {
        var media = contentType?.Split(';', 2)[0].Trim();
        return media is not null && Types.ContainsKey(media) ? media.ToLowerInvariant() : null;
    }

    /// <summary>The file as uploaded, refused unless its first bytes are those of its declared type.</summary>
    public static TicketFile Of(Guid ticketId, string contentType, byte[] content, DateTimeOffset now)
    {
        if (!content.AsSpan().StartsWith(Types[contentType].Magic))
        {
            throw new DomainException("The file does not match its type");
        }

        return new TicketFile { TicketId = ticketId, ContentType = contentType, Content = content, Sha256 = SHA256.HashData(content), UploadedAt = now };
    }

    /// <summary>A new upload of the same ticket replaces the bytes in place.</summary>
    public void Replace(TicketFile upload)
    {
        ContentType = upload.ContentType;
        Content = upload.Content;
        Sha256 = upload.Sha256;
        UploadedAt = upload.UploadedAt;
    }
}
