using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SwapSeats.Expiration.Data.Migrations
{
    /// <inheritdoc />
    public partial class TimerTraceParent : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "trace_parent",
                table: "timers",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "trace_parent",
                table: "timers");
        }
    }
}
