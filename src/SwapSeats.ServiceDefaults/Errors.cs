namespace SwapSeats.ServiceDefaults;

/// <summary>
/// A business rule refused the request. The message is shown to the caller as the problem's title,
/// so it must be a plain sentence without internal detail.
/// </summary>
public class DomainException(string message, int statusCode = StatusCodes.Status400BadRequest) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>
/// A business rule's refusal as a result instead of a throw, answered exactly as <see cref="ProblemExceptionHandler"/>
/// answers the <see cref="DomainException"/> with that message: for a refusal on a hot path (every loser of a rush),
/// where an exception unwinding through the middleware costs more than the rest of the refusal.
/// </summary>
public static class Refusal
{
    public static Microsoft.AspNetCore.Mvc.ProblemDetails Details(string message, int statusCode) =>
        new() { Status = statusCode, Title = message, Detail = message };

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Of(string message, int statusCode = StatusCodes.Status400BadRequest) =>
        TypedResults.Problem(Details(message, statusCode));
}

public sealed class NotFoundException(string what) : DomainException($"{what} not found", StatusCodes.Status404NotFound);

public sealed class ForbiddenException(string message = "You are not allowed to do this")
    : DomainException(message, StatusCodes.Status403Forbidden);

/// <summary>The request is well-formed JSON but its values break the rules; answered as a 400 validation problem.</summary>
public sealed class RequestValidationException(IDictionary<string, string[]> errors)
    : Exception("One or more validation errors occurred.")
{
    public IDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>Collects field errors (camelCase field names, as the client sent them) and throws them all at once.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public ValidationErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
        return this;
    }

    public bool Has(string field) => _errors.ContainsKey(field);

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new RequestValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        }
    }
}
