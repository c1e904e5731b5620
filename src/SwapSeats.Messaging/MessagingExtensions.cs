using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
            })
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.Url), "ConnectionStrings:nats (env ConnectionStrings__nats) must be the NATS URL, e.g. nats://127.0.0.1:4222.")
            .ValidateOnStart();

        builder.Services.AddSingleton<NatsBus>();
        builder.Services.AddCommitSignal<OutboxMessage>();
        builder.Services.AddHostedService<OutboxRelay<TContext>>();
        builder.Services.AddHealthChecks().AddCheck<NatsHealthCheck>("nats", tags: [HealthTags.Ready]);
        return new MessagingBuilder<TContext>(builder.Services);
    }
}

public sealed class MessagingBuilder<TContext>(IServiceCollection services) where TContext : DbContext
{
    public IServiceCollection Services { get; } = services;

    /// <summary>Subscribes <typeparamref name="THandler"/> to <typeparamref name="TEvent"/> with a durable consumer.</summary>
    public MessagingBuilder<TContext> AddConsumer<TEvent, THandler>()
        where TEvent : IIntegrationEvent
        where THandler : class, IEventHandler<TEvent>
    {
        Services.AddScoped<THandler>();
        Services.AddHostedService<JetStreamConsumer<TContext, TEvent, THandler>>();
        return this;
    }
}
