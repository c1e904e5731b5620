namespace SwapSeats.ServiceDefaults;

/// <summary>Every problem response carries a human detail, also those the framework writes for a bare status code.</summary>
internal static class ProblemDefaults
{
    public static void Fill(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Detail ??= problem.Status switch
        {
            StatusCodes.Status400BadRequest => "The request is not valid.",
            StatusCodes.Status401Unauthorized => "Sign in to do this.",
            StatusCodes.Status403Forbidden => "You are not allowed to do this.",
            StatusCodes.Status404NotFound => "Nothing exists at this address.",
            StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Method} is not allowed here.",
            StatusCodes.Status413PayloadTooLarge => $"The request body is larger than the limit of {RequestLimits.MaxBodyBytes / 1024} KiB.",
            StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON sent with Content-Type: application/json.",
            StatusCodes.Status429TooManyRequests => "Too many requests. Try again later.",
            _ => problem.Title,
        };
    }
}
