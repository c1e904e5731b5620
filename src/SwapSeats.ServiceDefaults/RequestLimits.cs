using Microsoft.AspNetCore.Http.Features;

namespace SwapSeats.ServiceDefaults;

public static class RequestLimits
{
    public const long MaxBodyBytes = 64 * 1024;

    /// <summary>Oversized bodies up to this size are read and dropped before the 413, so the client sees the answer.</summary>
    public const long DrainLimit = 1024 * 1024;

    /// <summary>The ticket-file upload (<c>PUT /api/tickets/{id}/file</c>), the one route allowed a bigger body.</summary>
    public const long MaxTicketFileBytes = 2 * 1024 * 1024;

    /// <summary>
    /// The ticket-file upload, recognised before routing (by the gateway too): its endpoint checks the session, the
    /// ticket and the seller before it looks at the body (SPEC: 401 → 404 → 403 → 415 → 413), so the 64 KiB limit and
    /// the early 413 do not apply to it; <see cref="ReadBoundedAsync"/> enforces its own limit as the body streams.
    /// </summary>
    public static bool IsTicketFileUpload(HttpRequest request) =>
        HttpMethods.IsPut(request.Method) && request.Path.Value is { } path
        && path.StartsWith("/api/tickets/", StringComparison.OrdinalIgnoreCase)
        && path.TrimEnd('/').EndsWith("/file", StringComparison.OrdinalIgnoreCase)
        && path.TrimEnd('/').Count(c => c == '/') == 4;

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

        if (context.Request.ContentLength > limit)
        {
            if (context.Request.ContentLength <= limit + DrainLimit)
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }

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
