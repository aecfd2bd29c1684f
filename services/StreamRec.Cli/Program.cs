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
root.Subcommands.Add(ChaosCommand.Create());

return await root.Parse(args).InvokeAsync();
