using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Inbox;
using SwapSeats.Messaging.Outbox;

namespace SwapSeats.Messaging;

public static class MessagingModel
{
    /// <summary>Adds the outbox and inbox tables to a service's own database model.</summary>
    public static ModelBuilder AddOutboxAndInbox(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable("outbox_messages");
            outbox.HasKey(m => m.Id);
            outbox.Property(m => m.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            outbox.Property(m => m.EventId).HasColumnName("event_id");
            outbox.Property(m => m.Subject).HasColumnName("subject").IsRequired();
            outbox.Property(m => m.Payload).HasColumnName("payload").IsRequired();
            outbox.Property(m => m.TraceParent).HasColumnName("trace_parent");
            outbox.Property(m => m.CreatedAt).HasColumnName("created_at");
            outbox.Property(m => m.SentAt).HasColumnName("sent_at");
            outbox.HasIndex(m => m.EventId).IsUnique().HasDatabaseName("ux_outbox_messages_event_id");
            // The relay's query: the oldest unsent rows.
            outbox.HasIndex(m => m.Id).HasFilter("sent_at IS NULL").HasDatabaseName("ix_outbox_messages_unsent");
        });

        modelBuilder.Entity<InboxMessage>(inbox =>
        {
            inbox.ToTable("inbox_messages");
            inbox.HasKey(m => new { m.Consumer, m.EventId });
            inbox.Property(m => m.Consumer).HasColumnName("consumer");
            inbox.Property(m => m.EventId).HasColumnName("event_id");
            inbox.Property(m => m.ProcessedAt).HasColumnName("processed_at");
        });
        return modelBuilder;
    }

    /// <summary>
    /// Queues an event for publication in the same transaction as the change being saved. Nothing is sent unless
    /// SaveChanges commits; once it does, the relay publishes it (retrying until JetStream acknowledges).
    /// </summary>
    public static void Publish<TEvent>(this DbContext db, TEvent @event) where TEvent : IIntegrationEvent =>
        db.Set<OutboxMessage>().Add(OutboxMessage.For(@event));
}
