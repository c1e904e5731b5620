using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SwapSeats.Tickets.Data.Migrations
{
    /// <inheritdoc />
    public partial class Events : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:pg_trgm", ",,");

            migrationBuilder.AddColumn<Guid>(
                name: "event_id",
                table: "tickets",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            migrationBuilder.AddColumn<decimal>(
                name: "face_value",
                table: "tickets",
                type: "numeric(9,2)",
                precision: 9,
                scale: 2,
                nullable: false,
                defaultValue: 0m);

            migrationBuilder.AddColumn<bool>(
                name: "has_file",
                table: "tickets",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "search_text",
                table: "tickets",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "events",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    venue = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    city = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    starts_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    name_key = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    venue_key = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    city_key = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    created_by = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_events", x => x.id);
                });

            // Listings from before events existed each get an event of their own, so nothing is lost: named after the
            // listing, venue and city "To be announced", 30 days ahead (a microsecond apart, so no two share a natural key);
            // the face value is the price (the cap then holds).
            migrationBuilder.Sql("""
                INSERT INTO events (id, name, venue, city, starts_at, name_key, venue_key, city_key, created_by, created_at)
                SELECT t.id, t.title, 'To be announced', 'To be announced',
                       now() + interval '30 days' + (row_number() OVER (ORDER BY t.id)) * interval '1 microsecond',
                       lower(t.title), 'to be announced', 'to be announced', t.user_id, t.created_at
                FROM tickets t;
                UPDATE tickets SET event_id = id, face_value = price, search_text = lower(title || ' ' || title || ' To be announced'),
                                   version = version + 1;
                """);

            // ...and say so, like any change of a listing: a ticket.updated per listing (the next version) through the
            // outbox, so the replicas in orders and payments learn each listing's event (and, with it, when it starts).
            migrationBuilder.Sql("""
                INSERT INTO outbox_messages (event_id, subject, payload, created_at)
                SELECT x.message_id, 'ticket.updated', json_build_object(
                           'id', x.id, 'title', x.title, 'price', x.price, 'userId', x.user_id, 'orderId', x.order_id,
                           'status', x.status, 'version', x.version,
                           'event', json_build_object('id', x.event_id, 'name', x.name, 'venue', x.venue, 'city', x.city, 'startsAt', x.starts_at),
                           'faceValue', x.face_value, 'hasFile', false, 'eventId', x.message_id, 'occurredAt', now())::text,
                       now()
                FROM (SELECT gen_random_uuid() AS message_id, t.id, t.title, t.price, t.user_id, t.order_id, t.status, t.version,
                             t.event_id, e.name, e.venue, e.city, e.starts_at, t.face_value
                      FROM tickets t JOIN events e ON e.id = t.event_id ORDER BY t.id) x;
                """);

            migrationBuilder.CreateIndex(
                name: "ix_tickets_event_available_price",
                table: "tickets",
                columns: new[] { "event_id", "price" },
                filter: "status = 'available'");

            migrationBuilder.CreateIndex(
                name: "ix_tickets_search_trgm",
                table: "tickets",
                column: "search_text")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_events_starts_at",
                table: "events",
                columns: new[] { "starts_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ux_events_natural_key",
                table: "events",
                columns: new[] { "name_key", "venue_key", "city_key", "starts_at" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_tickets_events_event_id",
                table: "tickets",
                column: "event_id",
                principalTable: "events",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_tickets_events_event_id",
                table: "tickets");

            migrationBuilder.DropTable(
                name: "events");

            migrationBuilder.DropIndex(
                name: "ix_tickets_event_available_price",
                table: "tickets");

            migrationBuilder.DropIndex(
                name: "ix_tickets_search_trgm",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "event_id",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "face_value",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "has_file",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "search_text",
                table: "tickets");

            migrationBuilder.AlterDatabase()
                .OldAnnotation("Npgsql:PostgresExtension:pg_trgm", ",,");
        }
    }
}
