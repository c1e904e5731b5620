using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SwapSeats.Orders.Data.Migrations
{
    /// <inheritdoc />
    public partial class EventsAndCancelReasons : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "event_city",
                table: "tickets",
                type: "character varying(80)",
                maxLength: 80,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "event_id",
                table: "tickets",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "event_name",
                table: "tickets",
                type: "character varying(120)",
                maxLength: 120,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "event_starts_at",
                table: "tickets",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "event_venue",
                table: "tickets",
                type: "character varying(120)",
                maxLength: 120,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "status",
                table: "tickets",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "available");

            migrationBuilder.AddColumn<string>(
                name: "cancel_reason",
                table: "orders",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "event_city",
                table: "orders",
                type: "character varying(80)",
                maxLength: 80,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "event_id",
                table: "orders",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "event_name",
                table: "orders",
                type: "character varying(120)",
                maxLength: 120,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "event_starts_at",
                table: "orders",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "event_venue",
                table: "orders",
                type: "character varying(120)",
                maxLength: 120,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "event_city",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "event_id",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "event_name",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "event_starts_at",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "event_venue",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "status",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "cancel_reason",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "event_city",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "event_id",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "event_name",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "event_starts_at",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "event_venue",
                table: "orders");
        }
    }
}
