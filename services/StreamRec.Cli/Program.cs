using System.CommandLine;
using StreamRec.Cli.Commands;

var root = new RootCommand("streamrec: real-time recommendations over Kafka. Run a verb with --help for its options.");
// Each verb lives in Commands/<Verb>Command.cs and exposes a static Create().
root.Subcommands.Add(VersionCommand.Create());
root.Subcommands.Add(StoreCommand.Create());
root.Subcommands.Add(BrokerCommand.Create());
root.Subcommands.Add(ProduceCommand.Create());
root.Subcommands.Add(ModelCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(TopicsCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ChaosCommand.Create());
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(WatchCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());

try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (OperationCanceledException)
{
    return 130;
}
catch (Exception ex) when (ex is not (NullReferenceException or IndexOutOfRangeException or InvalidCastException))
{
    // Expected failures (no network, bad configuration, a missing file) get one clear line, not a stack trace;
    // STREAMREC_DEBUG=1 shows the whole exception.
    Console.Error.WriteLine($"streamrec: {ex.Message}");
    if (Environment.GetEnvironmentVariable("STREAMREC_DEBUG") == "1")
    {
        Console.Error.WriteLine(ex);
    }

    return 1;
}
