using System.CommandLine;
using StreamRec.Contracts;
using StreamRec.Kafka.Admin;
using StreamRec.Kafka.Configuration;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec topics ensure</c>: creates the StreamRec topics on a real cluster (existing ones are left alone).</summary>
internal static class TopicsCommand
{
    public static Command Create()
    {
        var bootstrap = new Option<string?>("--bootstrap") { Description = "Kafka bootstrap servers (default: StreamRec__Kafka__BootstrapServers, then the dev broker's address, then 127.0.0.1:9092)." };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic: the most replicas of a service that can share the work.", DefaultValueFactory = _ => 6 };
        var replication = new Option<short>("--replication") { Description = "Replication factor.", DefaultValueFactory = _ => 1 };
        var ensure = new Command("ensure", "Create every StreamRec topic that does not exist yet.") { bootstrap, partitions, replication };
        ensure.SetAction(async (parse, ct) =>
        {
            var options = new KafkaOptions { BootstrapServers = BrokerCommand.ResolveBootstrap(parse.GetValue(bootstrap)) };
            foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                         .Select(e => ((string)e.Key, (string?)e.Value))
                         .Where(e => e.Item1.StartsWith("StreamRec__Kafka__Client__", StringComparison.Ordinal)))
            {
                options.Client[key["StreamRec__Kafka__Client__".Length..]] = value ?? "";
            }

            await TopicAdmin.EnsureTopicsAsync(options, Topics.All, parse.GetValue(partitions), parse.GetValue(replication), ct);
            Console.WriteLine($"topics ready on {options.BootstrapServers}: {string.Join(", ", Topics.All)}");
            return 0;
        });
        var command = new Command("topics", "Manage the StreamRec topics.") { ensure };
        return command;
    }
}
