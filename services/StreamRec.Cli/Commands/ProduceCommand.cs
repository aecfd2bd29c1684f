using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamRec.Contracts;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Producing;
using StreamRec.Messaging;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec produce</c>: validates JSON-lines events and produces the valid ones to their topics, keyed as the design says.</summary>
internal static class ProduceCommand
{
    private const int ChunkSize = 1000;

    public static Command Create()
    {
        var file = new Option<string>("--file") { Description = "JSON lines file to read, or - for standard input.", DefaultValueFactory = _ => "-" };
        var bootstrap = new Option<string?>("--bootstrap")
        {
            Description = $"Kafka bootstrap servers. Default: ${BrokerCommand.BootstrapEnvironmentVariable}, else {BrokerCommand.StateFile} (written by `streamrec broker`), else 127.0.0.1:9092.",
        };
        var command = new Command("produce", "Produce StreamRec events (one JSON object per line) to their topics; invalid lines are reported and skipped.")
        {
            file, bootstrap,
        };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file) ?? "-";
            var options = new KafkaOptions
            {
                BootstrapServers = BrokerCommand.ResolveBootstrap(parse.GetValue(bootstrap)),
                ShutdownTimeout = TimeSpan.FromSeconds(10),
            };
            // A CLI should fail in seconds when the broker is not there, not after librdkafka's 5-minute default.
            options.Client["message.timeout.ms"] = "30000";

            byte[] input;
            try
            {
                input = await ReadAllAsync(path, ct);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"cannot read {path}: {e.Message}");
                return 2;
            }

            using var producer = new KafkaProducer(Options.Create(options), NullLogger<KafkaProducer>.Instance);
            var produced = 0;
            var rejected = 0;
            var chunk = new List<OutgoingMessage>(ChunkSize);
            var lineNumber = 0;
            try
            {
                foreach (var line in Lines(input))
                {
                    lineNumber++;
                    var bytes = line.Span;
                    if (bytes.IsEmpty || bytes.IndexOfAnyExcept(" \t"u8) < 0)
                    {
                        continue;
                    }

                    var result = EventParser.Parse(bytes);
                    if (!result.IsSuccess)
                    {
                        rejected++;
                        await Console.Error.WriteLineAsync($"line {lineNumber}: {result.Error!.Kind}: {result.Error.Message}");
                        continue;
                    }

                    chunk.Add(new OutgoingMessage(result.Event!.Topic, result.Event.Key, bytes.ToArray()));
                    if (chunk.Count == ChunkSize)
                    {
                        await producer.ProduceBatchAsync(chunk, ct);
                        produced += chunk.Count;
                        chunk.Clear();
                    }
                }

                await producer.ProduceBatchAsync(chunk, ct);
                produced += chunk.Count;
            }
            catch (Confluent.Kafka.KafkaException e)
            {
                await Console.Error.WriteLineAsync($"producing to {options.BootstrapServers} failed: {e.Error.Reason}");
                Console.WriteLine($"produced {produced}, rejected {rejected}");
                return 2;
            }

            Console.WriteLine($"produced {produced}, rejected {rejected}");
            return rejected > 0 ? 1 : 0;
        });
        return command;
    }

    private static async Task<byte[]> ReadAllAsync(string path, CancellationToken cancellationToken)
    {
        if (path != "-")
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }

        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        await stdin.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    /// <summary>Splits on \n and drops a trailing \r, so the bytes produced are the line exactly as written.</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> Lines(byte[] input)
    {
        var start = 0;
        while (start < input.Length)
        {
            var end = Array.IndexOf(input, (byte)'\n', start);
            var stop = end < 0 ? input.Length : end;
            var length = stop - start;
            if (length > 0 && input[stop - 1] == (byte)'\r')
            {
                length--;
            }

            yield return input.AsMemory(start, length);
            start = stop + 1;
        }
    }
}
