using System.CommandLine;
using StreamRec.Contracts;
using StreamRec.DevBroker;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec broker</c>: runs the in-memory dev broker (librdkafka's mock cluster) with every StreamRec topic.</summary>
internal static class BrokerCommand
{
    /// <summary>Where the running dev broker's address is written, relative to the working directory,
    /// so other verbs find it without flags.</summary>
    public static readonly string StateFile = Path.Combine(".streamrec", "broker");

    /// <summary>The environment variable that configures <c>StreamRec:Kafka:BootstrapServers</c>.</summary>
    public const string BootstrapEnvironmentVariable = "StreamRec__Kafka__BootstrapServers";

    public static Command Create()
    {
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic.", DefaultValueFactory = _ => 3 };
        var brokers = new Option<int>("--brokers") { Description = "Number of mock brokers (ids 1..N).", DefaultValueFactory = _ => 3 };
        var command = new Command("broker", "Run an in-memory Kafka dev broker (librdkafka mock cluster) with all StreamRec topics. For development and tests only.")
        {
            partitions, brokers,
        };
        command.SetAction(async (parse, ct) =>
        {
            var partitionCount = parse.GetValue(partitions);
            var brokerCount = parse.GetValue(brokers);
            if (partitionCount < 1 || brokerCount < 1)
            {
                await Console.Error.WriteLineAsync("--partitions and --brokers must be at least 1");
                return 2;
            }

            using var cluster = MockKafkaCluster.Start(brokerCount);
            // Replicated like production (acks=all then means something), capped at the broker count.
            var replication = Math.Min(brokerCount, 3);
            foreach (var topic in Topics.All)
            {
                cluster.CreateTopic(topic, partitionCount, replication);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(StateFile)!);
            await File.WriteAllTextAsync(StateFile, cluster.BootstrapServers + "\n", ct);

            Console.WriteLine($"StreamRec dev broker: librdkafka {MockKafkaCluster.LibrdkafkaVersion} mock cluster, {brokerCount} broker(s)");
            Console.WriteLine("in-memory, for development and tests only: everything is lost when it stops");
            Console.WriteLine($"bootstrap: {cluster.BootstrapServers}");
            Console.WriteLine($"topics: {string.Join(", ", Topics.All)} ({partitionCount} partitions, replication {replication})");
            Console.WriteLine($"written to {StateFile}; or: export {BootstrapEnvironmentVariable}={cluster.BootstrapServers}");
            Console.WriteLine("Ctrl+C to stop");

            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: the normal way to stop.
            }
            finally
            {
                TryRemoveStateFile(cluster.BootstrapServers);
                Console.WriteLine("dev broker stopped; its topics and messages are gone");
            }

            return 0;
        });
        return command;
    }

    /// <summary>The bootstrap servers a client verb should use: the explicit value, else the
    /// <c>StreamRec__Kafka__BootstrapServers</c> environment variable, else the address a running
    /// <c>streamrec broker</c> wrote to <c>.streamrec/broker</c>, else 127.0.0.1:9092.</summary>
    public static string ResolveBootstrap(string? explicitValue)
    {
        if (!string.IsNullOrWhiteSpace(explicitValue))
        {
            return explicitValue.Trim();
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(BootstrapEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment.Trim();
        }

        if (File.Exists(StateFile))
        {
            var fromFile = File.ReadAllText(StateFile).Trim();
            if (fromFile.Length > 0)
            {
                return fromFile;
            }
        }

        return "127.0.0.1:9092";
    }

    private static void TryRemoveStateFile(string bootstrapServers)
    {
        try
        {
            // Only our own address: another broker may have been started since.
            if (File.Exists(StateFile) && File.ReadAllText(StateFile).Trim() == bootstrapServers)
            {
                File.Delete(StateFile);
            }
        }
        catch (IOException)
        {
            // A stale file only costs a failed connection attempt later.
        }
    }
}
