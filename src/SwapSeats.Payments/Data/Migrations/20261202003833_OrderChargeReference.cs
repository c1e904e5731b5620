using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SwapSeats.Payments.Data.Migrations
{
    /// <inheritdoc />
    public partial class OrderChargeReference : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "charge_reference",
                table: "orders",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "charge_reference",
                table: "orders");
        }
    }
}
