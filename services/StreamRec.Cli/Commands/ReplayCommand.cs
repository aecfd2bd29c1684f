using System.CommandLine;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Producing;
using StreamRec.Pipeline.Replay;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec replay</c>: turns a dataset into events in time order and produces them.</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var source = new DatasetSource();
        var bootstrap = new Option<string?>("--bootstrap") { Description = "Kafka bootstrap servers (default: StreamRec__Kafka__BootstrapServers, then the dev broker's address, then 127.0.0.1:9092)." };
        var rate = new Option<double>("--rate") { Description = "Events per second; 0 = as fast as possible.", DefaultValueFactory = _ => 0 };
        var speedup = new Option<double>("--speedup") { Description = "Replay event time compressed by this factor (e.g. 86400 = a day per second); 0 = ignore event time.", DefaultValueFactory = _ => 0 };
        var command = new Command("replay", "Produce a dataset's events to the StreamRec topics in time order (MovieLens by default).") { bootstrap, rate, speedup };
        source.AddTo(command);
        // `replay movielens` reads naturally too: a positional dataset name wins over --dataset.
        var positional = new Argument<string?>("dataset") { Description = "movielens or a .jsonl path (same as --dataset).", Arity = ArgumentArity.ZeroOrOne };
        command.Arguments.Add(positional);
        command.SetAction(async (parse, ct) =>
        {
            var events = await source.LoadAsync(parse, Console.Out, ct, parse.GetValue(positional));
            var options = Microsoft.Extensions.Options.Options.Create(new KafkaOptions { BootstrapServers = BrokerCommand.ResolveBootstrap(parse.GetValue(bootstrap)) });
            using var producer = new KafkaProducer(options, NullLogger<KafkaProducer>.Instance);
            var replayer = new EventReplayer(producer, TimeProvider.System);
            var pace = new ReplayPace { Rate = parse.GetValue(rate), Speedup = parse.GetValue(speedup) };
            var started = TimeProvider.System.GetTimestamp();
            long lastShown = 0;
            var progress = new Progress<ReplayProgress>(p =>
            {
                if (p.Produced - lastShown >= 10_000 || p.Produced == events.Count)
                {
                    lastShown = p.Produced;
                    var seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
                    Console.WriteLine($"  {ProgressBar.Render(p.Produced, events.Count)} {p.Produced:N0}/{events.Count:N0} events, {p.Produced / Math.Max(seconds, 1e-3):N0}/s");
                }
            });
            var result = await replayer.ReplayAsync(events, pace, progress, ct);
            var elapsed = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
            Console.WriteLine($"produced {result.Produced:N0} events ({result.Items:N0} items, {result.Clicks:N0} clicks, {result.Reviews:N0} reviews) to {options.Value.BootstrapServers} in {elapsed:N1} s");
            return 0;
        });
        return command;
    }
}

/// <summary>A text progress bar that also reads well in logs.</summary>
internal static class ProgressBar
{
    public static string Render(long done, long total, int width = 30)
    {
        var fraction = total <= 0 ? 1.0 : Math.Clamp((double)done / total, 0, 1);
        var filled = (int)Math.Round(fraction * width);
        return $"[{new string('#', filled)}{new string('.', width - filled)}] {fraction,4:P0}";
    }
}
