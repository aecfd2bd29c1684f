using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using StreamRec.Contracts;
using StreamRec.Datasets;
using StreamRec.Encoding;
using StreamRec.Evaluation;
using StreamRec.Evaluation.Baselines;
using StreamRec.Evaluation.Output;
using StreamRec.Evaluation.Protocol;
using StreamRec.Evaluation.StreamRecSystems;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec evaluate</c>: offline replay evaluation of StreamRec, its ablations and baselines (docs/evaluation.md).</summary>
internal static class EvaluateCommand
{
    private const string Baselines = "baselines";
    private const string Ablations = "ablations";

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "movielens, or the path of a JSON-lines file of StreamRec events (one Kafka message per line).", DefaultValueFactory = _ => "movielens" };
        var zipPath = new Option<string?>("--path") { Description = "MovieLens zip (default: STREAMREC_DATA, then ../shared/data/movielens-ml-latest-small/ml-latest-small.zip, else downloaded from GroupLens with its SHA-256 checked)." };
        var output = new Option<string>("--out") { Description = "Folder for results.json, results.csv, windows.csv, results.md and the PNG charts.", DefaultValueFactory = _ => Path.Combine("artifacts", "eval") };
        var seed = new Option<int>("--seed") { Description = "Seed of the target sampling.", DefaultValueFactory = _ => 42 };
        var maxTargets = new Option<int?>("--max-targets") { Description = "Score at most N target clicks, sampled uniformly with the seed. Default 6000 (all ~48,000 MovieLens targets take about 8× longer); 0 = all.", DefaultValueFactory = _ => 6000 };
        var systems = new Option<string>("--systems")
        {
            Description = $"Comma-separated systems: most-popular, recent-popular, item-knn, streamrec, the ablations ({string.Join(", ", StreamRecVariants.AblationNames)}), or the groups 'baselines' and 'ablations'.",
            DefaultValueFactory = _ => $"{Baselines},{StreamRecVariants.Default},{Ablations}",
        };
        var sweep = new Option<bool>("--lambda-sweep") { Description = "Also run StreamRec with MMR λ ∈ {0, 0.25, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.85, 1} and chart NDCG vs diversity." };
        var encoderKind = new Option<string>("--encoder") { Description = "onnx (the services' encoder, StreamRec:Encoder settings) or hashing (bag of words, seconds instead of minutes).", DefaultValueFactory = _ => "onnx" };
        var warmup = new Option<double>("--warmup") { Description = "Share of the timeline used only for training.", DefaultValueFactory = _ => 0.2 };
        var windowMonths = new Option<int>("--window-months") { Description = "Length of the time windows in the per-window metrics (3 = quarters).", DefaultValueFactory = _ => 12 };
        var exportJsonl = new Option<string?>("--export-jsonl") { Description = "Write the dataset as JSON-lines events to this path and exit (converts MovieLens to the project's format)." };
        var model = ModelCommand.ModelOption();
        var variants = new Option<string[]>("--variant")
        {
            Description = "Extra StreamRec system NAME:Section:Key=Value[;...] (sections Ranking, Profile, CoEngagement), e.g. " +
                          "'w2:Ranking:CoEngagementWeight=2'; repeatable. How settings are compared on the validation period.",
            AllowMultipleArgumentsPerToken = false,
        };
        var replot = new Option<string?>("--replot") { Description = "Redraw the charts and tables of an earlier run from its results.json in this folder, and exit." };

        var command = new Command("evaluate", "Replay a dataset in time order and score StreamRec, its ablations and baselines on the list each user had before each click.");
        foreach (var option in new Option[] { dataset, zipPath, output, seed, maxTargets, systems, sweep, encoderKind, model, variants, warmup, windowMonths, exportJsonl, replot })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(replot) is { } previous)
            {
                var json = await File.ReadAllTextAsync(Path.Combine(previous, ResultWriter.JsonFileName), ct);
                var earlier = System.Text.Json.JsonSerializer.Deserialize(json, EvaluationJsonContext.Default.EvaluationReport)
                              ?? throw new InvalidDataException($"{previous}/{ResultWriter.JsonFileName} holds no report");
                PrintTable(earlier);
                var redrawn = (await ResultWriter.WriteAllAsync(earlier, previous, ct)).Concat(ChartWriter.WriteAll(earlier, previous));
                Console.WriteLine($"wrote {string.Join(", ", redrawn.Select(Path.GetFileName))} to {Path.GetFullPath(previous)}");
                return 0;
            }

            var datasetArgument = parse.GetValue(dataset)!;
            var isMovieLens = string.Equals(datasetArgument, "movielens", StringComparison.OrdinalIgnoreCase);
            var events = isMovieLens ? await LoadMovieLensAsync(parse.GetValue(zipPath), ct) : LoadJsonLines(datasetArgument);
            if (parse.GetValue(exportJsonl) is { } exportPath)
            {
                var written = JsonLinesDataset.Write(ReplayEvaluator.InTimeOrder(events), exportPath);
                Console.WriteLine($"wrote {written:N0} events to {exportPath}");
                return 0;
            }

            var max = parse.GetValue(maxTargets);
            var options = new EvaluationOptions
            {
                Seed = parse.GetValue(seed),
                MaxTargets = max is null or <= 0 ? null : max,
                WarmupFraction = parse.GetValue(warmup),
                WindowMonths = parse.GetValue(windowMonths),
            };

            using var encoderHost = CreateEncoder(parse.GetValue(encoderKind)!, parse.GetValue(model));
            var encoder = new CachingTextEncoder(encoderHost.Encoder);
            Console.WriteLine($"encoder: {encoder.Info.ModelName} ({encoder.Info.ExecutionProvider}, {encoder.Dimension} dims{(encoder.Info.SemanticallyTrained ? "" : ", not semantically trained")})");

            using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
            var catalog = new StreamRecCatalog(store, encoder, new ReplayClock(events.Count == 0 ? default : events.Min(e => e.OccurredAt)));
            var (selected, sweepSystems) = Select(parse.GetValue(systems)!, parse.GetValue(sweep), catalog, options.RecallListSize);
            foreach (var spec in parse.GetValue(variants) ?? [])
            {
                selected.Add(new StreamRecRecommender(catalog, StreamRecVariants.Parse(spec, StreamRecVariants.Create()), options.RecallListSize));
            }
            var all = selected.Concat(sweepSystems.Select(s => s.System)).GroupBy(s => s.Name).Select(g => g.First()).ToArray();
            Console.WriteLine($"systems: {string.Join(", ", all.Select(s => s.Name))}");

            var datasetName = isMovieLens ? "movielens-ml-latest-small" : Path.GetFileName(datasetArgument);
            var evaluator = new ReplayEvaluator(options, encoder);
            EvaluationReport report = null!;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var encode = ctx.AddTask("encode catalogue", maxValue: 1);
                    var replay = ctx.AddTask("replay events", maxValue: Math.Max(1, events.Count));
                    var progress = new SyncProgress(p =>
                    {
                        var task = p.Phase == "encode" ? encode : replay;
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                    });
                    report = await evaluator.RunAsync(datasetName, events, all, progress, ct);
                    encode.Value = encode.MaxValue;
                    replay.Value = replay.MaxValue;
                });

            if (sweepSystems.Count > 0)
            {
                var byName = report.Systems.ToDictionary(s => s.Name);
                var points = sweepSystems.Select(s => (s.Lambda, Result: byName[s.System.Name]))
                    .Select(p => new SweepPoint(p.Lambda, p.Result.Name, p.Result.Overall.Ndcg, p.Result.Diversity)
                    {
                        ValidationNdcg = p.Result.Validation?.Ndcg,
                        ValidationDiversity = p.Result.ValidationDiversity,
                        TestNdcg = p.Result.Test?.Ndcg,
                        TestDiversity = p.Result.TestDiversity,
                    })
                    .ToArray();
                // The diversity to reach is the best baseline's (the one the intervals are against), on validation too.
                var reference = report.Systems.Select(s => s.NdcgVsBest?.Reference).FirstOrDefault(n => n is not null);
                report = report with
                {
                    LambdaSweep = points,
                    ChosenLambda = reference is not null && byName[reference].ValidationDiversity is { } floor ? LambdaChoice.Choose(points, reference, floor) : null,
                };
            }

            PrintTable(report);
            var directory = parse.GetValue(output)!;
            var files = (await ResultWriter.WriteAllAsync(report, directory, ct)).Concat(ChartWriter.WriteAll(report, directory));
            Console.WriteLine($"wrote {string.Join(", ", files.Select(Path.GetFileName))} to {Path.GetFullPath(directory)}");
            return 0;
        });
        return command;
    }

    private static async Task<IReadOnlyList<IStreamRecEvent>> LoadMovieLensAsync(string? path, CancellationToken cancellationToken)
    {
        var lastDecile = -1;
        var progress = new Progress<DownloadProgress>(p =>
        {
            if (p.TotalBytes is > 0 && (int)(10 * p.BytesReceived / p.TotalBytes.Value) is var decile && decile != lastDecile)
            {
                lastDecile = decile;
                Console.WriteLine($"downloading MovieLens: {decile * 10}%");
            }
        });
        var zip = await MovieLensDataset.ResolveZipAsync(path, new DatasetDownloader(), progress, cancellationToken);
        var movieLens = MovieLensDataset.Load(zip);
        var events = MovieLensEvents.ToEvents(movieLens).ToList();
        Console.WriteLine($"MovieLens from {zip}: {movieLens.Movies.Count:N0} movies, {movieLens.Ratings.Count:N0} ratings, {movieLens.UserCount:N0} users → {events.Count:N0} events");
        Console.WriteLine("  (GroupLens ml-latest-small, research use; cite Harper & Konstan 2015. Mapping: docs/datasets.md)");
        return events;
    }

    private static IReadOnlyList<IStreamRecEvent> LoadJsonLines(string path)
    {
        var bad = 0;
        var events = JsonLinesDataset.Read(path, error =>
        {
            if (++bad <= 20)
            {
                Console.Error.WriteLine($"skipped {error}");
            }
        }).ToList();
        Console.WriteLine($"{events.Count:N0} events from {path} ({bad:N0} bad lines skipped)");
        return events;
    }

    private static (List<IRecommenderSystem> Selected, List<(double Lambda, IRecommenderSystem System)> Sweep) Select(string spec, bool lambdaSweep, StreamRecCatalog catalog, int listSize)
    {
        var baseline = StreamRecVariants.Create();
        var selected = new List<IRecommenderSystem>();
        foreach (var name in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            switch (name)
            {
                case Baselines:
                    selected.Add(PopularityRecommender.MostPopular());
                    selected.Add(PopularityRecommender.RecentPopular());
                    selected.Add(new ItemKnnRecommender());
                    break;
                case PopularityRecommender.MostPopularName:
                    selected.Add(PopularityRecommender.MostPopular());
                    break;
                case PopularityRecommender.RecentPopularName:
                    selected.Add(PopularityRecommender.RecentPopular());
                    break;
                case ItemKnnRecommender.DefaultName:
                    selected.Add(new ItemKnnRecommender());
                    break;
                case StreamRecVariants.Default:
                    selected.Add(new StreamRecRecommender(catalog, baseline, listSize));
                    break;
                case Ablations:
                    selected.AddRange(StreamRecVariants.AblationNames.Select(a => new StreamRecRecommender(catalog, StreamRecVariants.Ablation(baseline, a), listSize)));
                    break;
                default:
                    selected.Add(new StreamRecRecommender(catalog, StreamRecVariants.Ablation(baseline, name), listSize));
                    break;
            }
        }

        var sweep = new List<(double, IRecommenderSystem)>();
        if (lambdaSweep)
        {
            foreach (var lambda in StreamRecVariants.SweepLambdas)
            {
                // The default λ is the default system: reuse it rather than replay the same configuration twice.
                var existing = Math.Abs(lambda - baseline.Ranking.MmrLambda) < 1e-9 ? selected.FirstOrDefault(s => s.Name == StreamRecVariants.Default)
                    : Math.Abs(lambda - 1) < 1e-9 ? selected.FirstOrDefault(s => s.Name == StreamRecVariants.NoMmr)
                    : null;
                sweep.Add((lambda, existing ?? new StreamRecRecommender(catalog, StreamRecVariants.WithLambda(baseline, lambda), listSize)));
            }
        }

        return (selected, sweep);
    }

    private static void PrintTable(EvaluationReport report)
    {
        if (Console.IsOutputRedirected || AnsiConsole.Profile.Width < 140)
        {
            // Twelve columns do not fit a narrow or redirected console: the markdown table reads well in both.
            Console.WriteLine(ResultWriter.ToMarkdown(report));
            return;
        }

        var k = report.Settings.ListSize;
        var r = report.Settings.RecallListSize;
        var d = report.Summary;
        AnsiConsole.MarkupLine(Markup.Escape($"{report.Dataset}: {d.Events:N0} events, {d.Items:N0} items, {d.Users:N0} users; warm-up until {d.WarmupEnd:yyyy-MM-dd}; {d.ScoredTargets:N0} of {d.EligibleTargets:N0} targets (seed {report.Settings.Seed})"));
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("system");
        foreach (var column in new[] { $"HR@{k}", $"NDCG@{k}", $"Recall@{r}", $"MRR@{r}", "cold-user NDCG", "cold-item NDCG", "coverage", "diversity", "novelty", "age (d)", "time (s)" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        var best = report.Systems.Count == 0 ? 0 : report.Systems.Max(s => s.Overall.Ndcg);
        foreach (var s in report.Systems)
        {
            string F(double v, string format = "0.0000") => v.ToString(format, CultureInfo.InvariantCulture);
            var name = Math.Abs(s.Overall.Ndcg - best) < 1e-12 ? $"[bold green]{Markup.Escape(s.Name)}[/]" : Markup.Escape(s.Name);
            table.AddRow(name, F(s.Overall.HitRate), F(s.Overall.Ndcg), F(s.Overall.Recall), F(s.Overall.Mrr), F(s.ColdUsers.Ndcg), F(s.ColdItems.Ndcg),
                F(s.Coverage, "0.000"), F(s.Diversity, "0.000"), F(s.Novelty, "0.00"), F(s.MeanAgeDays, "0"), F(s.ObserveSeconds + s.RecommendSeconds, "0.0"));
        }

        AnsiConsole.Write(table);
        Console.WriteLine(ResultWriter.IntervalsMarkdown(report));
        if (report.Systems.Any(s => s.ExclusionViolations > 0))
        {
            AnsiConsole.MarkupLine("[yellow]some systems recommended items the user had already seen (see exclusion_violations in results.json)[/]");
        }
    }

    private static EncoderHost CreateEncoder(string kind, string? model)
    {
        if (string.Equals(kind, "hashing", StringComparison.OrdinalIgnoreCase))
        {
            return new EncoderHost(new HashingTextEncoder(256), null);
        }

        if (!string.Equals(kind, "onnx", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"unknown encoder '{kind}': use onnx or hashing");
        }

        // The services' own wiring: StreamRec:Encoder from the environment (StreamRec__Encoder__Model, ...), --model over it.
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(ModelCommand.ModelSettings(model)).Build();
        var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddStreamRecEncoder().BuildServiceProvider();
        return new EncoderHost(provider.GetRequiredService<ITextEncoder>(), provider);
    }

    private sealed class EncoderHost(ITextEncoder encoder, ServiceProvider? provider) : IDisposable
    {
        public ITextEncoder Encoder { get; } = encoder;

        public void Dispose() => provider?.Dispose();
    }

    /// <summary>Reports on the caller's thread: Progress&lt;T&gt; would post to the thread pool and lag behind the bar.</summary>
    private sealed class SyncProgress(Action<EvaluationProgress> report) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => report(value);
    }
}
