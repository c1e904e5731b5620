using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Messaging.Outbox;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// NATS JetStream for a service whose state lives in <typeparamref name="TContext"/>: the connection (from
    /// <c>ConnectionStrings:nats</c>), the outbox relay, readiness on NATS, and the builder for its consumers.
    /// The DbContext's model must call <see cref="MessagingModel.AddOutboxAndInbox"/>.
    /// </summary>
    public static MessagingBuilder<TContext> AddMessaging<TContext>(this IHostApplicationBuilder builder, string serviceName)
        where TContext : DbContext
    {
        builder.Services.AddOptions<MessagingOptions>()
            .Bind(builder.Configuration.GetSection(MessagingOptions.Section))
            .Configure(options =>
            {
                options.ServiceName = serviceName;
                options.Url = builder.Configuration.GetConnectionString("nats") ?? "";
                options.Credentials = NatsCredentials.From(builder.Configuration);
            })
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.Url), "ConnectionStrings:nats (env ConnectionStrings__nats) must be the NATS URL, e.g. nats://127.0.0.1:4222.")
            .ValidateOnStart();

        builder.Services.AddSingleton<NatsBus>();
        builder.Services.AddCommitSignal<OutboxMessage>();
        builder.Services.AddHostedService<OutboxRelay<TContext>>();
        builder.Services.AddCleanup<TContext>("outbox_messages", (scope, now, cancellationToken) =>
        {
            var cutoff = now - scope.GetRequiredService<IOptions<MessagingOptions>>().Value.OutboxRetention;
            return scope.GetRequiredService<TContext>().Set<OutboxMessage>()
                .Where(m => m.SentAt != null && m.SentAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        });
        // An acked message comes back only if its consumer is recreated and replays the stream, which keeps 30 days:
        // inbox rows older than that can no longer stop anything.
        builder.Services.AddCleanup<TContext>("inbox_messages", (scope, now, cancellationToken) =>
        {
            var cutoff = now - scope.GetRequiredService<IOptions<MessagingOptions>>().Value.InboxRetention;
            return scope.GetRequiredService<TContext>().Set<Inbox.InboxMessage>()
                .Where(m => m.ProcessedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        });
        builder.Services.AddHealthChecks().AddCheck<NatsHealthCheck>("nats", tags: [HealthTags.Ready]);
        return new MessagingBuilder<TContext>(builder.Services, serviceName);
    }
}

public sealed class MessagingBuilder<TContext>(IServiceCollection services, string serviceName) where TContext : DbContext
{
    private readonly Dictionary<string, Dictionary<string, EventRoute>> _sources = [];

    public IServiceCollection Services { get; } = services;

    /// <summary>
    /// Subscribes <typeparamref name="THandler"/> to <typeparamref name="TEvent"/>. Handlers of one source (every
    /// <c>order.*</c> event, say) share that source's one durable consumer, so they see its events in publish order.
    /// </summary>
    public MessagingBuilder<TContext> AddConsumer<TEvent, THandler>()
        where TEvent : IntegrationEvent, IIntegrationEvent
        where THandler : class, IEventHandler<TEvent>
    {
        Services.AddScoped<THandler>();
        var source = JetStreamConsumer.SourceOf(TEvent.Subject);
        if (!_sources.TryGetValue(source, out var routes))
        {
            routes = [];
            _sources[source] = routes;
            // Not AddHostedService: it would keep only one consumer per type, and there is one per source.
            Services.AddSingleton<IHostedService>(services => ActivatorUtilities.CreateInstance<JetStreamConsumer<TContext>>(services, source, routes));
        }

        routes[TEvent.Subject] = new EventRoute
        {
            Subject = TEvent.Subject,
            InboxName = JetStreamConsumer.InboxName(serviceName, TEvent.Subject),
            Deserialize = payload => EventJson.Deserialize<TEvent>(payload),
            Handle = (scope, @event, cancellationToken) => scope.GetRequiredService<THandler>().HandleAsync((TEvent)@event, cancellationToken),
        };
        return this;
    }
}
