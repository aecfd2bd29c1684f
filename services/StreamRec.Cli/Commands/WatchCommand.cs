using System.CommandLine;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec watch</c>: prints the lists published to streamrec.recommendations, readably.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var bootstrap = new Option<string?>("--bootstrap") { Description = "Kafka bootstrap servers (default: StreamRec__Kafka__BootstrapServers, then the dev broker's address, then 127.0.0.1:9092)." };
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "Start at the oldest retained list instead of new ones." };
        var user = new Option<string?>("--user") { Description = "Only this user's lists." };
        var max = new Option<int?>("--max") { Description = "Stop after this many lists." };
        var command = new Command("watch", "Tail streamrec.recommendations and print each list with titles, scores and reasons.") { bootstrap, fromBeginning, user, max };
        command.SetAction((parse, ct) =>
        {
            var address = BrokerCommand.ResolveBootstrap(parse.GetValue(bootstrap));
            Console.WriteLine($"watching streamrec.recommendations on {address} (Ctrl+C to stop)");
            using var reader = new RecommendationsReader(address, parse.GetValue(fromBeginning));
            var only = parse.GetValue(user);
            var limit = parse.GetValue(max);
            var shown = 0;
            while (!ct.IsCancellationRequested && (limit is null || shown < limit))
            {
                var list = reader.Poll(TimeSpan.FromMilliseconds(200));
                if (list is not null && (only is null || list.UserId == only))
                {
                    RecommendationsReader.Print(list, Console.Out);
                    shown++;
                }
            }

            return Task.FromResult(0);
        });
        return command;
    }
}
