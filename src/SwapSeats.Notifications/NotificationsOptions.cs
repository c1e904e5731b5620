namespace SwapSeats.Notifications;

public sealed class NotificationsOptions
{
    public const string Section = "Notifications";

    /// <summary>Where the links in emails point: the public origin of the web UI.</summary>
    public string WebBaseUrl { get; set; } = "http://localhost:8080";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>
    /// How long a sender holds the emails it claimed. A replica that dies with claimed emails leaves them to the
    /// others once this has passed; a sender never starts an email it could not finish within its lease.
    /// </summary>
    public TimeSpan SendLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long sent emails are kept (cleaned hourly).</summary>
    public TimeSpan SentRetention { get; set; } = TimeSpan.FromDays(31);

    public sealed class SmtpOptions
    {
        public string Host { get; set; } = "localhost";

        public int Port { get; set; } = 2525;

        public string From { get; set; } = "SwapSeats <no-reply@swapseats.local>";

        /// <summary>Optional credentials (a Kubernetes Secret in a cluster).</summary>
        public string? User { get; set; }

        public string? Password { get; set; }

        /// <summary>STARTTLS when the server offers it (Auto), always (Required) or never (None).</summary>
        public string Security { get; set; } = "Auto";

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
    }

    public static void AddNotificationsOptions(IHostApplicationBuilder builder) =>
        builder.Services.AddOptions<NotificationsOptions>()
            .Bind(builder.Configuration.GetSection(Section))
            .Validate(o => Uri.TryCreate(o.WebBaseUrl, UriKind.Absolute, out _), "Notifications:WebBaseUrl must be an absolute URL (the web UI's public origin).")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Smtp.Host) && o.Smtp.Port is > 0 and < 65536, "Notifications:Smtp:Host and Port must name the SMTP server.")
            .Validate(o => MimeKit.MailboxAddress.TryParse(o.Smtp.From, out _), "Notifications:Smtp:From must be an address, e.g. SwapSeats <no-reply@example.com>.")
            .Validate(o => o.Smtp.Security is "Auto" or "Required" or "None", "Notifications:Smtp:Security must be Auto, Required or None.")
            .Validate(o => o.SendLease >= 2 * o.Smtp.Timeout, "Notifications:SendLease must be at least twice Notifications:Smtp:Timeout.")
            .ValidateOnStart();
}
