using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SwapSeats.Tickets.Data.Migrations
{
    /// <inheritdoc />
    public partial class TicketFiles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "buyer_id",
                table: "tickets",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "sold_at",
                table: "tickets",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ticket_files",
                columns: table => new
                {
                    ticket_id = table.Column<Guid>(type: "uuid", nullable: false),
                    content_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    content = table.Column<byte[]>(type: "bytea", nullable: false),
                    sha256 = table.Column<byte[]>(type: "bytea", maxLength: 32, nullable: false),
                    uploaded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ticket_files", x => x.ticket_id);
                    table.ForeignKey(
                        name: "FK_ticket_files_tickets_ticket_id",
                        column: x => x.ticket_id,
                        principalTable: "tickets",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_tickets_buyer_sold",
                table: "tickets",
                columns: new[] { "buyer_id", "sold_at" },
                descending: new[] { false, true },
                filter: "status = 'sold'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ticket_files");

            migrationBuilder.DropIndex(
                name: "ix_tickets_buyer_sold",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "buyer_id",
                table: "tickets");

            migrationBuilder.DropColumn(
                name: "sold_at",
                table: "tickets");
        }
    }
}
