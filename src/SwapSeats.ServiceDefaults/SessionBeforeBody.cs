using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Metadata;

namespace SwapSeats.ServiceDefaults;

/// <summary>
/// SPEC check order: the session is looked at before anything about the body. ASP.NET Core's routing refuses a request
/// whose Content-Type an endpoint does not accept with 415 before authorization has run, so an anonymous caller learnt
/// about the body first. Endpoints marked here leave the content type to the body binding, which runs after
/// authorization and answers the same 415 problem to a signed-in caller.
/// </summary>
public static class SessionBeforeBody
{
    /// <summary>Applies to every endpoint of the group; OpenAPI still documents the JSON body (the declared types are kept).</summary>
    public static TBuilder CheckSessionBeforeBody<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(endpoint =>
        {
            if (endpoint.Metadata.OfType<IAcceptsMetadata>().LastOrDefault() is { } declared)
            {
                endpoint.Metadata.Add(new AnyContentType(declared.RequestType, declared.IsOptional));
            }
        });
        return builder;
    }

    /// <summary>The last accepts-metadata routing sees: no content type to match, so routing never answers 415.</summary>
    private sealed class AnyContentType(Type? requestType, bool isOptional) : IAcceptsMetadata
    {
        public IReadOnlyList<string> ContentTypes => [];

        public Type? RequestType => requestType;

        public bool IsOptional => isOptional;
    }
}
