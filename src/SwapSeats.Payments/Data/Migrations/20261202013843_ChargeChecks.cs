using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SwapSeats.Payments.Data.Migrations
{
    /// <inheritdoc />
    public partial class ChargeChecks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "charge_check_due_at",
                table: "orders",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "charge_checks",
                table: "orders",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "ix_orders_charge_check_due",
                table: "orders",
                column: "charge_check_due_at",
                filter: "charge_check_due_at IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_orders_charge_check_due",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "charge_check_due_at",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "charge_checks",
                table: "orders");
        }
    }
}
