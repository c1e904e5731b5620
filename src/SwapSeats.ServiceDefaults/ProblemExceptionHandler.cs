using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace SwapSeats.ServiceDefaults;

/// <summary>
/// The one place where exceptions become RFC 9457 responses. Bad input is always a 4xx with a clear detail;
/// anything unexpected is a 500 that says nothing about the internals (the log has the rest).
/// </summary>
public sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            BadHttpRequestException bad => FromBadRequest(bad),
            RequestValidationException invalid => new HttpValidationProblemDetails(invalid.Errors)
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "One or more validation errors occurred.",
                Detail = string.Join(" ", invalid.Errors.SelectMany(e => e.Value)),
            },
            DomainException domain => Refusal.Details(domain.Message, domain.StatusCode),
            DbUpdateConcurrencyException => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Conflict",
                Detail = "The resource was changed by another request. Reload it and try again.",
            },
            _ when TransientFailures.IsDatabaseUnavailable(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Temporarily unavailable",
                Detail = "The service cannot reach its database right now. Nothing was changed; try again in a moment.",
            },
            _ => null,
        };

        if (problem is null)
        {
            if (httpContext.RequestAborted.IsCancellationRequested && exception is OperationCanceledException)
            {
                // The client went away; there is nobody to answer.
                return true;
            }

            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "An unexpected error occurred",
                Detail = "The server could not complete the request. Try again later.",
            };
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "1";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    private static ProblemDetails FromBadRequest(BadHttpRequestException bad)
    {
        var detail = bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge =>
                $"The request body is larger than the limit of {RequestLimits.MaxBodyBytes / 1024} KiB.",
            StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON sent with Content-Type: application/json.",
            _ => DescribeBadBody(bad),
        };
        return new ProblemDetails
        {
            Status = bad.StatusCode,
            Title = bad.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "Request body too large",
                StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
                _ => "Invalid request",
            },
            Detail = detail,
        };
    }

    private static string DescribeBadBody(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            return string.IsNullOrEmpty(json.Path) || json.Path == "$"
                ? "The request body is not valid JSON."
                : $"The request body is not valid JSON: the value at '{json.Path}' is malformed or has the wrong type.";
        }

        // "Required parameter ... was not provided from body" / "Implicit body inferred ... but no body was provided".
        return bad.Message.StartsWith("Required parameter", StringComparison.Ordinal) || bad.Message.Contains("no body was provided", StringComparison.Ordinal)
            ? "The request body is missing: send JSON with Content-Type: application/json."
            : "The request could not be read.";
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
