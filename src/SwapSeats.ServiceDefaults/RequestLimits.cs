using Microsoft.AspNetCore.Http.Features;

namespace SwapSeats.ServiceDefaults;

public static class RequestLimits
{
    public const long MaxBodyBytes = 64 * 1024;

    /// <summary>Oversized bodies up to this size are read and dropped before the 413, so the client sees the answer.</summary>
    public const long DrainLimit = 1024 * 1024;

    /// <summary>The ticket-file upload (<c>PUT /api/tickets/{id}/file</c>), the one route allowed a bigger body.</summary>
    public const long MaxTicketFileBytes = 2 * 1024 * 1024;

    /// <summary>A web page that takes the ticket file as a form (sell, my listings): the file's limit and room for the fields.</summary>
    public const long MaxTicketFilePageBytes = MaxTicketFileBytes + 256 * 1024;

    /// <summary>The web UI's pages that post a ticket file (multipart forms).</summary>
    public static readonly string[] TicketFilePages = ["/sell", "/tickets/mine"];

    /// <summary>
    /// A request that carries a ticket file, recognised before routing (by the gateway too): the API route
    /// (<c>PUT /api/tickets/{id}/file</c>), whose endpoint checks the session, the ticket and the seller before it looks
    /// at the body (SPEC: 401 → 404 → 403 → 415 → 413) and bounds it with <see cref="ReadBoundedAsync"/>; and the web
    /// pages of <see cref="TicketFilePages"/>, which bound theirs with <see cref="MaxTicketFilePageBytes"/>. The 64 KiB
    /// limit and the early 413 do not apply to them.
    /// </summary>
    public static bool CarriesTicketFile(HttpRequest request)
    {
        var path = request.Path.Value?.TrimEnd('/') ?? "";
        return HttpMethods.IsPut(request.Method)
            ? path.StartsWith("/api/tickets/", StringComparison.OrdinalIgnoreCase) && path.EndsWith("/file", StringComparison.OrdinalIgnoreCase)
              && path.Count(c => c == '/') == 4
            : HttpMethods.IsPost(request.Method) && TicketFilePages.Contains(path, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Reads the whole body if it is at most <paramref name="limit"/> bytes; otherwise a 413 problem, after reading and
    /// dropping up to <see cref="DrainLimit"/> more so the client hears the answer. Nothing is kept of a refused body.
    /// </summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpContext context, long limit)
    {
        var tooLarge = new DomainException($"The file is larger than the limit of {limit / (1024 * 1024)} MiB.", StatusCodes.Status413PayloadTooLarge);
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = limit + DrainLimit;
        }

        if (await DeclaredOverAsync(context, limit))
        {
            throw tooLarge;
        }

        using var buffer = new MemoryStream(context.Request.ContentLength is { } length ? (int)length : 64 * 1024);
        var chunk = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                await DrainAsync(context.Request.Body, limit + DrainLimit - buffer.Length - read, context.RequestAborted);
                throw tooLarge;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Whether the request declares a body over <paramref name="limit"/>. Such a body is then read and dropped first when
    /// it is at most <see cref="DrainLimit"/> over: a server that answers before the client has finished sending closes
    /// the connection under it, and many clients (browsers among them) then report a broken connection, not the 413.
    /// </summary>
    public static async Task<bool> DeclaredOverAsync(HttpContext context, long limit)
    {
        if (context.Request.ContentLength is not { } declared || declared <= limit)
        {
            return false;
        }

        if (declared <= limit + DrainLimit)
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
            {
                sizeFeature.MaxRequestBodySize = limit + DrainLimit;
            }

            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        }

        return true;
    }

    private static async Task DrainAsync(Stream body, long budget, CancellationToken cancellationToken)
    {
        var chunk = new byte[81920];
        int read;
        while (budget > 0 && (read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            budget -= read;
        }
    }
}
