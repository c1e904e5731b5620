using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SwapSeats.Payments.Data.Migrations
{
    /// <inheritdoc />
    public partial class Payouts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "reason",
                table: "refunds",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "orderCancelled");

            migrationBuilder.AddColumn<string>(
                name: "refund_reason",
                table: "payments",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "ticket_id",
                table: "orders",
                type: "uuid",
                nullable: true);

            // Refunds before reasons were kept were all for orders cancelled while being paid.
            migrationBuilder.Sql("UPDATE payments SET refund_reason = 'orderCancelled' WHERE status = 'refunded'");

            migrationBuilder.CreateTable(
                name: "listings",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    seller_id = table.Column<Guid>(type: "uuid", nullable: false),
                    event_starts_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    has_file = table.Column<bool>(type: "boolean", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_listings", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "payouts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    payment_id = table.Column<Guid>(type: "uuid", nullable: false),
                    order_id = table.Column<Guid>(type: "uuid", nullable: false),
                    ticket_id = table.Column<Guid>(type: "uuid", nullable: true),
                    seller_id = table.Column<Guid>(type: "uuid", nullable: true),
                    price = table.Column<decimal>(type: "numeric(9,2)", precision: 9, scale: 2, nullable: false),
                    fee = table.Column<decimal>(type: "numeric(9,2)", precision: 9, scale: 2, nullable: false),
                    amount = table.Column<decimal>(type: "numeric(9,2)", precision: 9, scale: 2, nullable: false),
                    currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    event_starts_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    release_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    delivered = table.Column<bool>(type: "boolean", nullable: false),
                    due_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    hold_reason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    provider_reference = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    paid_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    trace_parent = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_payouts", x => x.id);
                    table.ForeignKey(
                        name: "FK_payouts_payments_payment_id",
                        column: x => x.payment_id,
                        principalTable: "payments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "seller_accounts",
                columns: table => new
                {
                    seller_id = table.Column<Guid>(type: "uuid", nullable: false),
                    stripe_account_id = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_seller_accounts", x => x.seller_id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_payouts_due",
                table: "payouts",
                column: "due_at",
                filter: "status = 'held' AND due_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_payouts_seller_newest",
                table: "payouts",
                columns: new[] { "seller_id", "id" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "ix_payouts_ticket",
                table: "payouts",
                column: "ticket_id");

            migrationBuilder.CreateIndex(
                name: "ux_payouts_payment",
                table: "payouts",
                column: "payment_id",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "listings");

            migrationBuilder.DropTable(
                name: "payouts");

            migrationBuilder.DropTable(
                name: "seller_accounts");

            migrationBuilder.DropColumn(
                name: "reason",
                table: "refunds");

            migrationBuilder.DropColumn(
                name: "refund_reason",
                table: "payments");

            migrationBuilder.DropColumn(
                name: "ticket_id",
                table: "orders");
        }
    }
}
