using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using StreamRec.SystemBench.Pipeline;
using StreamRec.SystemBench.Report;
using StreamRec.SystemBench.Scaling;

namespace StreamRec.Cli.Commands;

/// <summary>
/// <c>streamrec bench</c>: the performance report. <c>pipeline</c> replays MovieLens through the all-in-one host against
/// the dev broker; <c>scaling</c> measures catalogue and user scaling without Kafka; <c>all</c> runs the encoder and
/// store benches (as child processes of this same executable, with <c>--json</c>), then both of the above, and writes
/// one markdown + JSON report.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Performance benchmarks: pipeline end to end, scaling, and the combined report (bench all).");
        command.Subcommands.Add(All());
        command.Subcommands.Add(PipelineVerb());
        command.Subcommands.Add(ScalingVerb());
        return command;
    }

    private static Option<bool> QuickOption() => new("--quick") { Description = "Short run (about 3 minutes for bench all): smaller phases and sizes, and the pipeline on the tiny model." };

    private static Option<bool> TinyModelOption() => new("--tiny-model") { Description = "Pipeline with a one-layer 384-dim model instead of the six-layer MiniLM-shaped default." };

    private static Option<string?> DataOption() => new("--data") { Description = "MovieLens ml-latest-small zip or folder. Default: STREAMREC_DATA or ../shared/data; synthetic events when absent." };

    private static Command All()
    {
        var output = new Option<string>("--out") { Description = "Folder for the report (bench-report.md, bench-report.json) and the parts' JSON.", DefaultValueFactory = _ => Path.Combine("artifacts", "bench") };
        var quick = QuickOption();
        var tiny = TinyModelOption();
        var data = DataOption();
        var skip = new Option<string[]>("--skip") { Description = "Parts to leave out: encoder, store, pipeline, scaling (repeatable).", AllowMultipleArgumentsPerToken = true };
        var steadyEvents = new Option<int?>("--steady-events")
        {
            Description = $"Events in each of the pipeline's steady-state backlogs. Default {new PipelineBenchOptions().SteadyEvents:N0} ({PipelineBenchOptions.Quick.SteadyEvents:N0} with --quick); 0 skips them.",
        };
        var command = new Command("all", "Encoder, vector store, pipeline and scaling benchmarks, written as one report (markdown + JSON).") { output, quick, tiny, data, skip, steadyEvents };
        command.SetAction(async (parse, ct) =>
        {
            var skipped = new HashSet<string>(parse.GetValue(skip) ?? [], StringComparer.OrdinalIgnoreCase);
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            Directory.CreateDirectory(outDir);
            var isQuick = parse.GetValue(quick);
            var report = await RunAllAsync(outDir, isQuick, parse.GetValue(tiny), parse.GetValue(data), parse.GetValue(steadyEvents), skipped, ct);
            var json = Path.Combine(outDir, "bench-report.json");
            var markdown = Path.Combine(outDir, "bench-report.md");
            await File.WriteAllTextAsync(json, report.ToJson(), ct);
            await File.WriteAllTextAsync(markdown, MarkdownReport.Render(report), ct);
            Console.WriteLine();
            foreach (var target in report.Targets)
            {
                Console.WriteLine($"target: {target.Target}: {target.Measured} -> {(target.Met switch { true => "met", false => "NOT met", null => "not measured" })}");
            }

            Console.WriteLine($"wrote {markdown} and {json}");
            return 0;
        });
        return command;
    }

    private static async Task<PerformanceReport> RunAllAsync(string outDir, bool quick, bool tinyModel, string? data, int? steadyEvents, HashSet<string> skip, CancellationToken ct)
    {
        var time = TimeProvider.System;
        var started = time.GetTimestamp();
        var startedAt = time.GetUtcNow();
        var load = LoadAverage();
        var progress = new Progress();

        System.Text.Json.Nodes.JsonNode? encoder = null;
        string? encoderError = "skipped";
        if (!skip.Contains("encoder"))
        {
            progress.Report("encoder: streamrec model bench");
            var file = Path.Combine(outDir, "encoder.json");
            (encoder, encoderError) = await BenchChild.RunJsonAsync(["model", "bench", "--json", file, .. (quick ? new[] { "--seconds", "1" } : [])], file, progress, ct);
        }

        System.Text.Json.Nodes.JsonNode? store = null;
        string? storeError = "skipped";
        if (!skip.Contains("store"))
        {
            progress.Report("store: streamrec store bench");
            var file = Path.Combine(outDir, "store.json");
            (store, storeError) = await BenchChild.RunJsonAsync(["store", "bench", "--json", file, .. (quick ? new[] { "--sizes", "10000,100000" } : [])], file, progress, ct);
        }

        PipelineBenchResult? pipeline = null;
        string? pipelineError = "skipped";
        if (!skip.Contains("pipeline"))
        {
            var defaults = quick ? PipelineBenchOptions.Quick : new PipelineBenchOptions();
            var options = defaults with { TinyModel = tinyModel || defaults.TinyModel, DataPath = data, SteadyEvents = steadyEvents ?? defaults.SteadyEvents };
            (pipeline, pipelineError) = await Guard(() => PipelineBench.RunAsync(options, time, progress, ct));
        }

        ScalingResult? scaling = null;
        string? scalingError = "skipped";
        if (!skip.Contains("scaling"))
        {
            (scaling, scalingError) = await Guard(() => ScalingBench.RunAsync(quick ? ScalingOptions.Quick : new ScalingOptions(), time, progress, ct));
        }

        return new PerformanceReport
        {
            Machine = new MachineInfo(
                startedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
                Environment.ProcessorCount,
                RuntimeInformation.OSDescription,
                RuntimeInformation.FrameworkDescription.Replace(".NET ", "", StringComparison.Ordinal),
                Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9, 1),
                load,
                quick,
                Math.Round(time.GetElapsedTime(started).TotalSeconds, 1)),
            Encoder = encoder,
            EncoderError = encoder is null ? encoderError : null,
            Store = store,
            StoreError = store is null ? storeError : null,
            Pipeline = pipeline,
            PipelineError = pipeline is null ? pipelineError : null,
            Scaling = scaling,
            ScalingError = scaling is null ? scalingError : null,
            Targets = Targets.Evaluate(encoder, pipeline),
        };
    }

    private static Command PipelineVerb()
    {
        var quick = QuickOption();
        var tiny = TinyModelOption();
        var data = DataOption();
        var model = new Option<string?>("--model") { Description = "Model name (all-MiniLM-L6-v2, arctic-embed-xs, synthetic, ...) or ONNX file or folder. Default: all-MiniLM-L6-v2." };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic of the main run.", DefaultValueFactory = _ => new PipelineBenchOptions().Partitions };
        var noScaling = new Option<bool>("--no-scaling") { Description = "Skip the 1/2/4 partitions-and-instances runs." };
        var inMemory = new Option<bool>("--in-memory-store") { Description = "Keep the vector store in memory only (no SQLite, no fsync)." };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file." };
        var defaults = new PipelineBenchOptions();
        var steadyEvents = new Option<int?>("--steady-events")
        {
            Description = $"Events in each steady-state backlog (produced before the services start, then drained). Default {defaults.SteadyEvents:N0} ({PipelineBenchOptions.Quick.SteadyEvents:N0} with --quick); 0 skips the steady-state runs.",
        };
        var steadyUsers = new Option<int?>("--steady-users") { Description = $"Users of the steady-state population. Default {defaults.SteadyPopulation.Users:N0} ({PipelineBenchOptions.Quick.SteadyPopulation.Users:N0} with --quick)." };
        var steadyItems = new Option<int?>("--steady-items") { Description = $"Items (with synthetic text) of the steady-state population. Default {defaults.SteadyPopulation.Items:N0} ({PipelineBenchOptions.Quick.SteadyPopulation.Items:N0} with --quick)." };
        var steadyMix = new Option<string?>("--steady-mix") { Description = "Which steady-state runs: clicks, mix (MovieLens-like reviews and clicks) or both. Default both." };
        steadyMix.AcceptOnlyFromAmong("clicks", "mix", "both");
        var steadyOnly = new Option<bool>("--steady-only") { Description = "Only the steady-state runs: no MovieLens phases, no scaling." };
        var noItemSideComparison = new Option<bool>("--no-item-side-comparison")
        {
            Description = "Skip the item side's cost comparison (the fan-out backlog drained with and without the item side, and the 1k events/s latency run without it). Default: run it.",
        };
        var command = new Command("pipeline", "MovieLens (or synthetic) events through the all-in-one host and the dev broker: events/s vs a bare consumer, event-to-list latency at max and at 1k/5k events/s, memory, partition scaling; then steady-state throughput draining a backlog of a synthetic population (clicks, and a MovieLens-like mix), with CPU, allocations and time per stage per event.")
        {
            quick, tiny, data, model, partitions, noScaling, inMemory, json, steadyEvents, steadyUsers, steadyItems, steadyMix, steadyOnly, noItemSideComparison,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = (parse.GetValue(quick) ? PipelineBenchOptions.Quick : new PipelineBenchOptions()) with
            {
                TinyModel = parse.GetValue(tiny) || parse.GetValue(quick),
                DataPath = parse.GetValue(data),
                ModelPath = parse.GetValue(model),
                Partitions = parse.GetValue(partitions),
                PersistStore = !parse.GetValue(inMemory),
            };
            if (parse.GetValue(noScaling))
            {
                options = options with { ScalingInstances = [] };
            }

            options = options with
            {
                SteadyOnly = parse.GetValue(steadyOnly),
                ItemSideComparison = !parse.GetValue(noItemSideComparison),
                SteadyEvents = parse.GetValue(steadyEvents) ?? options.SteadyEvents,
                SteadyPopulation = options.SteadyPopulation with
                {
                    Users = parse.GetValue(steadyUsers) ?? options.SteadyPopulation.Users,
                    Items = parse.GetValue(steadyItems) ?? options.SteadyPopulation.Items,
                },
                SteadyMixes = parse.GetValue(steadyMix)?.ToLowerInvariant() switch
                {
                    null or "both" => options.SteadyMixes,
                    "clicks" => [EventMix.Clicks],
                    _ => [EventMix.MovieLensMix],
                },
            };

            var started = TimeProvider.System.GetTimestamp();
            var result = await PipelineBench.RunAsync(options, TimeProvider.System, new Progress(), ct);
            var report = new PerformanceReport { Machine = Machine(parse.GetValue(quick), started), Pipeline = result, Targets = Targets.Evaluate(null, result) };
            await PrintAsync(report, parse.GetValue(json), ct);
            return 0;
        });
        return command;
    }

    private static Command ScalingVerb()
    {
        var quick = QuickOption();
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file." };
        var usersOnly = new Option<int[]>("--users-only")
        {
            Description = "Only the user measurement, at these user counts (e.g. --users-only 1000000): no catalogue, no co-engagement rows. Default: everything.",
            AllowMultipleArgumentsPerToken = true,
        };
        var fullUsers = new Option<bool>("--full-users")
        {
            Description = "Users as the services hold them after a long history: 200 recent items, 100 remembered event ids, one outbox entry, stored in a SQLite file in a temporary directory as the services store them (default: 20 recent items only, in-memory store).",
        };
        var usersInMemory = new Option<bool>("--users-in-memory")
        {
            Description = "With --full-users: keep the users collection in memory in the file store (StreamRec:Profile:UsersOnDisk=false), to compare. Default: on disk, as the services.",
        };
        var command = new Command("scaling", "Kafka-free scaling: time per list against catalogue size (10k-1M items), profile load/apply/save and memory against users (10k-1M), memory and I/O per co-engagement row.")
        {
            quick, json, usersOnly, fullUsers, usersInMemory,
        };
        command.SetAction(async (parse, ct) =>
        {
            var started = TimeProvider.System.GetTimestamp();
            var options = parse.GetValue(quick) ? ScalingOptions.Quick : new ScalingOptions();
            if (parse.GetValue(usersOnly) is { Length: > 0 } counts)
            {
                options = options with { CatalogSizes = [], UserCounts = counts, EngagementRows = 0 };
            }

            if (parse.GetValue(fullUsers))
            {
                options = options.AsFullUsers() with { UsersOnDisk = !parse.GetValue(usersInMemory) };
            }

            var result = await ScalingBench.RunAsync(options, TimeProvider.System, new Progress(), ct);
            var report = new PerformanceReport { Machine = Machine(parse.GetValue(quick), started), Scaling = result };
            await PrintAsync(report, parse.GetValue(json), ct);
            return 0;
        });
        return command;
    }

    /// <summary>Prints the markdown report and, when asked, writes its JSON.</summary>
    private static async Task PrintAsync(PerformanceReport report, string? jsonFile, CancellationToken ct)
    {
        Console.WriteLine();
        Console.WriteLine(MarkdownReport.Render(report));
        if (jsonFile is not null)
        {
            await File.WriteAllTextAsync(jsonFile, report.ToJson(), ct);
            Console.WriteLine($"wrote {jsonFile}");
        }
    }

    private static MachineInfo Machine(bool quick, long started) => new(
        TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        Environment.ProcessorCount,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription.Replace(".NET ", "", StringComparison.Ordinal),
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9, 1),
        LoadAverage(),
        quick,
        Math.Round(TimeProvider.System.GetElapsedTime(started).TotalSeconds, 1));

    /// <summary>A failed part becomes its error line in the report; the other parts still run.</summary>
    private static async Task<(T? Result, string? Error)> Guard<T>(Func<Task<T>> run)
        where T : class
    {
        try
        {
            return (await run(), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"error: {ex}");
            return (null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Other work on the machine skews every number; the report says how busy it was.</summary>
    private static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
        catch (UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    /// <summary>Progress lines with the elapsed time, as the run goes.</summary>
    private sealed class Progress : IProgress<string>
    {
        private readonly long _started = TimeProvider.System.GetTimestamp();

        public void Report(string value) =>
            Console.WriteLine($"[{TimeProvider.System.GetElapsedTime(_started):mm\\:ss}] {value}");
    }
}
