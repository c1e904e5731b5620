using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SwapSeats.Messaging;

// The dead-letter stream from the command line (docs/operations.md, "Dead letters"):
//   dotnet run --project tools/SwapSeats.DeadLetters -- list [--consumer NAME] [--nats URL]
//   dotnet run --project tools/SwapSeats.DeadLetters -- replay SEQUENCE... | --all [--consumer NAME] [--nats URL]
// The NATS URL: --nats, else ConnectionStrings__nats, else nats://127.0.0.1:4222 (./run.sh's server). On a cluster,
// whose NATS requires a user, set Nats__User=operator and Nats__Password (the swapseats-nats Secret's "operator" key).
const string Usage = "usage: deadletters list [--consumer NAME] [--nats URL]\n       deadletters replay SEQUENCE... | --all [--consumer NAME] [--nats URL]";
string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

var url = Option("--nats") ?? Environment.GetEnvironmentVariable("ConnectionStrings__nats") ?? "nats://127.0.0.1:4222";
var consumer = Option("--consumer");
var command = args.FirstOrDefault();
if (command is not ("list" or "replay"))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

await using var bus = new NatsBus(Options.Create(new MessagingOptions
{
    ServiceName = "deadletters",
    Url = url,
    Credentials = new SwapSeats.ServiceDefaults.NatsCredentials
    {
        User = Environment.GetEnvironmentVariable("Nats__User"),
        Password = Environment.GetEnvironmentVariable("Nats__Password"),
    },
}), NullLogger<NatsBus>.Instance);
var letters = new DeadLetters(bus);
using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));

if (command == "list")
{
    var found = await letters.ListAsync(consumer, stop.Token);
    Console.WriteLine("sequence\tdead-lettered at\tconsumer\tsubject\tdeliveries\tevent id\terror");
    foreach (var letter in found)
    {
        Console.WriteLine(string.Join('\t', letter.Sequence, letter.DeadLetteredAt.ToString("u", CultureInfo.InvariantCulture), letter.Consumer,
            letter.Subject, letter.Deliveries, letter.EventId, letter.Error));
    }

    Console.WriteLine($"{found.Count} dead letters");
    return 0;
}

var sequences = args.Contains("--all")
    ? (await letters.ListAsync(consumer, stop.Token)).Select(l => l.Sequence).ToList()
    : args.Skip(1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => ulong.TryParse(a, out var s) ? s : 0).ToList();
if (sequences.Count == 0 || sequences.Contains(0UL))
{
    Console.Error.WriteLine(args.Contains("--all") ? "No dead letters to replay." : Usage);
    return args.Contains("--all") ? 0 : 2;
}

var missing = 0;
foreach (var sequence in sequences)
{
    if (await letters.ReplayAsync(sequence, stop.Token) is { } replayed)
    {
        Console.WriteLine($"replayed {sequence}: {replayed.Subject} event {replayed.EventId} (for {replayed.Consumer})");
    }
    else
    {
        Console.Error.WriteLine($"no dead letter at sequence {sequence}");
        missing++;
    }
}

return missing == 0 ? 0 : 1;
