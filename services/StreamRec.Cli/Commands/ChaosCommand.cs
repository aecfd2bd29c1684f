using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using StreamRec.Chaos;
using StreamRec.Encoding;
using StreamRec.Encoding.Provisioning;
using StreamRec.Encoding.Synthesis;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec chaos</c>: the seeded chaos scenario at scale, against an in-process dev broker, with a table of the figures.</summary>
internal static class ChaosCommand
{
    public static Command Create()
    {
        var events = new Option<int>("--events") { Description = "Clicks and reviews to produce in total.", DefaultValueFactory = _ => 100_000 };
        var kills = new Option<int>("--kills") { Description = "Service processes to kill (one per round).", DefaultValueFactory = _ => 50 };
        var seed = new Option<int>("--seed") { Description = "Seed of the workload and of every chaos decision.", DefaultValueFactory = _ => 7 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic.", DefaultValueFactory = _ => 4 };
        var late = new Option<int?>("--late-events") { Description = "Clicks and reviews on items published later in the run (one late item per round); each must be applied once. Default: events / 100." };
        var never = new Option<int?>("--never-events") { Description = "Clicks on items that never come; each must be dead-lettered ItemNotIndexed and never applied. Default: events / 200." };
        var noBrokerFaults = new Option<bool>("--no-broker-faults") { Description = "Only kill processes; leave the broker healthy." };
        var model = new Option<string?>("--model") { Description = "Encoder model (model.onnx) for the children. Default: a small synthesized BERT with the real vocabulary." };
        var workDir = new Option<string?>("--work-dir") { Description = "Where the store file and the children's log go. Default: a new temp folder (kept on failure)." };
        var command = new Command("chaos", "Kill and restart streamrec serve processes under broker faults, then check that every event was applied exactly once.")
        {
            events, kills, seed, partitions, late, never, noBrokerFaults, model, workDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            var work = parse.GetValue(workDir) ?? Path.Combine(Path.GetTempPath(), "streamrec-chaos-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(work);
            var modelPath = parse.GetValue(model) ?? SynthesizeSmallModel(Path.Combine(work, "model"));
            var settings = new ChaosSettings
            {
                Events = parse.GetValue(events),
                Kills = parse.GetValue(kills),
                Seed = parse.GetValue(seed),
                Partitions = parse.GetValue(partitions),
                LateEvents = parse.GetValue(late),
                NeverEvents = parse.GetValue(never),
                BrokerFaults = !parse.GetValue(noBrokerFaults),
                WorkDirectory = work,
                Launch = ServeLaunch.Current(typeof(ChaosCommand).Assembly),
                ModelPath = modelPath,
                Progress = Console.Out,
            };
            if (settings.Events < 1 || settings.Kills < 0 || settings.Partitions < 1 || settings.LateEvents < 0 || settings.NeverEvents < 0)
            {
                await Console.Error.WriteLineAsync("--events and --partitions must be at least 1, --kills, --late-events and --never-events at least 0");
                return 2;
            }

            Console.WriteLine($"chaos: {settings.Events} events, {settings.Kills} kills, seed {settings.Seed}, {settings.Partitions} partitions; work dir {work}");
            var report = await ChaosRunner.RunAsync(settings, ct);
            AnsiConsole.Write(Table(report, settings));
            if (!report.Audit.Holds)
            {
                Console.WriteLine(report.Audit.ToString());
            }

            Console.WriteLine(report.Passed ? "PASS: zero lost, zero applied twice" : $"FAIL: see {Path.Combine(work, "children.log")}");
            if (report.Passed && parse.GetValue(workDir) is null)
            {
                TryDelete(work);
            }

            return report.Passed ? 0 : 1;
        });
        return command;
    }

    internal static Table Table(ChaosReport report, ChaosSettings settings)
    {
        var a = report.Audit;
        var table = new Table().AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        table.Title = new TableTitle($"streamrec chaos --events {settings.Events} --kills {settings.Kills} --seed {settings.Seed} --partitions {settings.Partitions}");
        void Row(string name, string value) => table.AddRow(name, value);
        Row("events in", N(a.EventsIn));
        Row("applied", N(a.Applied));
        Row("lost", N(a.Lost));
        Row("applied twice", N(a.AppliedTwice));
        Row("users diverged (bitwise)", N(a.DivergedUsers));
        Row("users without a list", N(a.UsersWithoutList));
        Row("late events (item published later): applied once", $"{N(a.LateAppliedOnce)} / {N(a.LateEvents)}");
        Row("never-coming events: dead-lettered ItemNotIndexed", $"{N(a.NeverDeadLettered)} / {N(a.NeverComing)}");
        Row("never-coming events: not applied (user equals the reference)", $"{N(a.NeverNotApplied)} / {N(a.NeverComing)}");
        Row("never-coming dead letters sent again", N(a.NeverDeadLetteredRepeats));
        Row("item co-engagement rows checked / diverged (pruned)", $"{N(a.ItemRows)} / {N(a.DivergedItemRows)} ({N(a.PrunedItemRows)})");
        Row("dead-lettered (all)", N(a.DeadLettered));
        Row("uncommitted at the end", N(a.Uncommitted));
        Row("kills survived", $"{report.KillsSurvived}/{report.Kills}");
        Row("broker faults injected", N(report.BrokerFaults));
        Row("max recovery time", string.Create(CultureInfo.InvariantCulture, $"{report.MaxRecovery.TotalSeconds:F1} s ({report.RecoveriesMeasured} measured)"));
        Row("wall time", string.Create(CultureInfo.InvariantCulture, $"{report.Elapsed.TotalMinutes:F1} min"));
        return table;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Two layers, hidden 48: item encoding stays cheap, so the run measures recovery rather than the encoder.</summary>
    private static string SynthesizeSmallModel(string directory)
    {
        var provisioner = new ModelProvisioner(new EncoderOptions());
        return provisioner.Synthesize(directory, new BertArchitecture { Layers = 2, Hidden = 48, Heads = 2, Intermediate = 96, MaxPositions = 128 }).ModelPath;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
