using StreamRec.Contracts;
using StreamRec.Encoding;
using StreamRec.Observability;
using StreamRec.Pipeline.Options;

namespace StreamRec.SystemBench.Pipeline;

/// <summary>
/// The steady-state throughput benchmark: a synthetic population's catalogue is indexed (warm-up, not measured); then,
/// for each mix, a backlog of user events is produced to a fresh broker before the services start, the services drain
/// it, and the drain is sampled from the outside (the profile-updater group's committed offsets) and the inside (the
/// process's CPU time, allocations and stage histograms). Throughput is the middle of the drain (<see cref="SteadyWindow"/>),
/// not first produce to last list, so neither the consumers' start nor the last partial batches count.
/// </summary>
internal static class SteadyBench
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The clicks backlog of the default population.</summary>
    public const string SteadyClicks = "steady-clicks";

    /// <summary>The item-side comparison's clicks backlog (MovieLens's fan-out), with the item side.</summary>
    public const string FanOutClicks = "steady-clicks-fan-out";

    /// <summary>Suffix of the same backlog drained without the item side.</summary>
    public const string WithoutItemSide = "-without-item-side";

    public static async Task<(IReadOnlyList<SteadyPhaseResult> Runs, double ItemsIndexedPerSecond)> RunAsync(
        PipelineBenchOptions options, OnnxTextEncoder encoder, TimeProvider time, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var population = options.SteadyPopulation;
        var items = SyntheticPopulation.Items(population);
        var rigOptions = new PipelineRigOptions { Partitions = options.Partitions, PersistStore = options.PersistStore };
        IReadOnlyList<Ports.VectorPoint> indexed;
        double indexRate;
        progress.Report($"steady: {population.Users:N0} users, {population.Items:N0} items (Zipf s = {population.ZipfExponent}), seed {population.Seed}; indexing the items (warm-up, not measured)");
        await using (var rig = await PipelineRig.StartAsync(rigOptions, encoder, null, time, progress, cancellationToken))
        {
            indexRate = await rig.IndexItemsAsync(items, cancellationToken);
            progress.Report($"  {indexRate:F0} items/s indexed");
            // The user path warmed up too (JIT, pools), on events of another seed: the measured runs start on fresh rigs.
            var warmup = SyntheticPopulation.Events(population with { Seed = population.Seed + 1_000 }, EventMix.MovieLensMix, options.WarmupEvents).ToArray();
            await rig.RunPhaseAsync("warm-up", warmup, null, measureRaw: false, options.PhaseTimeout, cancellationToken);
            indexed = await rig.ReadItemsAsync(items.Select(i => i.ItemId), cancellationToken);
        }

        var results = new List<SteadyPhaseResult>();
        // The item side's cost in the same run: a clicks backlog of MovieLens's fan-out (few users, no repeats), drained
        // with the item side and again without it (same events, fresh state). The default population's short histories
        // and repeated popular items pair a click with far fewer items than a MovieLens event does.
        var fanOut = population with { Users = options.ItemSideUsers, RepeatItems = false };
        var runs = options.SteadyMixes.Select(mix => (Name: mix == EventMix.Clicks ? SteadyClicks : "steady-mix", Mix: mix, ItemSide: true, Population: population))
            .Concat(options.ItemSideComparison
                ? [(FanOutClicks, EventMix.Clicks, true, fanOut), (FanOutClicks + WithoutItemSide, EventMix.Clicks, false, fanOut)]
                : []);
        foreach (var (name, mix, itemSide, shape) in runs)
        {
            if (shape != population)
            {
                progress.Report($"{name}: {shape.Users:N0} users, each engaging an item at most once (MovieLens's fan-out)");
            }

            // CA2000 misreads `await using` inside a loop of an async method (dotnet/roslyn-analyzers#7047); the rig is disposed
            // at the end of every iteration.
#pragma warning disable CA2000
            await using var rig = await PipelineRig.CreateAsync(rigOptions with { ReadLists = false, ItemSide = itemSide }, encoder.Dimension, indexed, time, progress, cancellationToken);
#pragma warning restore CA2000
            progress.Report($"{name}: producing {options.SteadyEvents:N0} events before the services start");
            var backlog = rig.ProduceBacklog(SyntheticPopulation.Events(shape, mix, options.SteadyEvents), cancellationToken);
            progress.Report($"  {backlog.Events:N0} events ({backlog.Clicks:N0} clicks, {backlog.Reviews:N0} reviews, {backlog.ReviewsWithText:N0} with text) in {backlog.Seconds:F1} s");
            var result = await DrainAsync(name, mix, rig, encoder, backlog, options.SteadyTimeout, time, progress, cancellationToken);
            results.Add(result);
            progress.Report($"  {name}: {result.EventsPerSecond:F0} events/s over {(result.WholeDrainWindow ? "the whole drain" : "the middle of the drain")} ({result.Seconds:F1} s), raw consumer {result.RawEventsPerSecond:F0}/s (ratio {result.RatioToRaw:F3}); " +
                $"{result.ListsPerSecond:F0} lists/s; {result.CpuUsPerEvent:F1} µs CPU and {result.AllocBytesPerEvent:F0} B allocated per event{(result.Completed ? "" : " [incomplete]")}");
        }

        return (results, indexRate);
    }

    private static async Task<SteadyPhaseResult> DrainAsync(
        string name, EventMix mix, PipelineRig rig, OnnxTextEncoder encoder, BacklogCounts backlog, TimeSpan timeout, TimeProvider time, IProgress<string> progress, CancellationToken cancellationToken)
    {
        string[] userTopics = [Topics.UserEvents];
        var high = rig.Watermarks(userTopics);
        var total = high.Values.Sum();
        var profileUpdater = PipelineRig.GroupId(new ProfileUpdaterOptions().GroupId);
        var groups = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            [profileUpdater] = userTopics,
            [PipelineRig.GroupId(new RecommenderOptions().GroupId)] = [Topics.UserVectors],
            [PipelineRig.GroupId(new CoEngagementUpdaterOptions().GroupId)] = [Topics.Engagements],
        };

        // The first sample is taken before any service runs: the whole drain's figures count from it.
        var samples = new List<DrainSample> { new(0, groups.Keys.ToDictionary(g => g, _ => 0L, StringComparer.Ordinal), ListsPublished(), ProcessCounters.Take()) };
        var (deadLettersBefore, parkedBefore) = (Sum(StreamRecMetrics.DeadLetters), Parked());
        var started = time.GetTimestamp();
        await rig.StartHostsAsync(encoder, waitUntilBalanced: false, cancellationToken);
        var trendingPrefix = PipelineRig.GroupId(new RecommenderOptions().TrendingGroupId);
        foreach (var trending in rig.ConsumerGroups.Where(g => g.StartsWith(trendingPrefix, StringComparison.Ordinal)))
        {
            groups[trending] = [Topics.UserEvents];
        }

        using var progressOf = new GroupProgress(rig.BootstrapServers, rig.Partitions, groups);
        double? inputDoneAt = null;
        var completed = false;
        var lastReport = time.GetTimestamp();
        while (true)
        {
            var committed = progressOf.Groups.ToDictionary(g => g, progressOf.Committed, StringComparer.Ordinal);
            var seconds = time.GetElapsedTime(started).TotalSeconds;
            samples.Add(new DrainSample(seconds, committed, ListsPublished(), ProcessCounters.Take()));
            var done = committed[profileUpdater];
            if (done >= total)
            {
                inputDoneAt ??= seconds;
                if (progressOf.Drained())
                {
                    completed = true;
                    break;
                }
            }

            if (time.GetElapsedTime(started) > timeout)
            {
                progress.Report($"  {name}: not drained after {timeout.TotalMinutes:F0} min; reporting what was measured");
                break;
            }

            if (time.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(10))
            {
                progress.Report($"  {name}: {seconds:F0} s, {done:N0}/{total:N0} events committed by the profile-updater");
                lastReport = time.GetTimestamp();
            }

            await Task.Delay(SampleInterval, time, cancellationToken);
        }

        var drainSeconds = time.GetElapsedTime(started).TotalSeconds;
        var ends = progressOf.Groups.ToDictionary(g => g, progressOf.End, StringComparer.Ordinal);
        progress.Report($"  {name}: drained in {drainSeconds:F1} s; messages per group: {string.Join(", ", ends.Select(kv => FormattableString.Invariant($"{kv.Key} {kv.Value:N0}")))}");
        // Every event should be applied straight away (the items are all in the store): say so when some were not.
        progress.Report($"  dead letters {Sum(StreamRecMetrics.DeadLetters) - deadLettersBefore:F0}, parked events {Parked() - parkedBefore:F0} during the drain");
        progress.Report("  CPU by thread name: " +
            string.Join(", ", ThreadCpu.SecondsByName().OrderByDescending(kv => kv.Value).Take(8).Select(kv => FormattableString.Invariant($"{kv.Key} {kv.Value:F1} s"))));
        double? raw = RawConsumer.MessagesPerSecond(rig.BootstrapServers, high.ToDictionary(kv => kv.Key, _ => 0L), high, time);
        return Summarize(name, mix, backlog, samples, ends, profileUpdater, raw, drainSeconds, inputDoneAt is { } at ? drainSeconds - at : null, completed);
    }

    /// <summary>
    /// The result of a drain from its samples. The window is the middle of the whole pipeline's progress: at each sample,
    /// the least advanced consumer group's share of its final work (<see cref="SteadyWindow.PipelineDone"/>), so a
    /// downstream stage that lags holds the window open and the rate is what every stage sustained. Rates and the
    /// window's CPU and allocations are over that window; the stages, and the drain's CPU and allocations, over the whole
    /// drain (every stage's work for the whole backlog, whenever it ran: a fast consumer may finish before the window opens).
    /// </summary>
    internal static SteadyPhaseResult Summarize(
        string name, EventMix mix, BacklogCounts backlog, IReadOnlyList<DrainSample> drain, IReadOnlyDictionary<string, long> ends, string inputGroup,
        double? raw, double drainSeconds, double? tailSeconds, bool completed)
    {
        var total = backlog.Events;
        var pipeline = drain.Select(d => new SteadySample(d.Seconds, SteadyWindow.PipelineDone(d.Committed, ends, total), d.Lists, d.Process)).ToArray();
        var input = drain.Select(d => new SteadySample(d.Seconds, d.Committed.GetValueOrDefault(inputGroup), d.Lists, d.Process)).ToArray();
        var window = total > 0 ? SteadyWindow.MiddleOrWhole(pipeline, total) : null;
        var (start, end) = window is { } w ? (pipeline[w.Start], pipeline[w.End]) : (null, null);
        var events = start is not null && end is not null ? end.Done - start.Done : 0;
        var seconds = events > 0 ? end!.Seconds - start!.Seconds : double.NaN;
        var rate = events > 0 ? events / seconds : double.NaN;
        double PerEvent(double value) => events > 0 ? value / events : double.NaN;
        var lists = events > 0 ? (long)Math.Round(end!.Lists - start!.Lists) : 0;
        var cpu = events > 0 ? PerEvent(end!.Process.CpuSeconds - start!.Process.CpuSeconds) * 1e6 : double.NaN;
        double? broker = start?.Process.BrokerCpuSeconds is { } b0 && end?.Process.BrokerCpuSeconds is { } b1 && events > 0 ? Math.Round(PerEvent(b1 - b0) * 1e6, 2) : null;
        var alloc = events > 0 ? PerEvent(end!.Process.AllocatedBytes - start!.Process.AllocatedBytes) : double.NaN;
        var inputRate = total > 0 && SteadyWindow.Middle(input, total) is { } iw ? SteadyWindow.Rate(input[iw.Start], input[iw.End]) : double.NaN;
        var (first, last) = drain.Count > 1 ? (drain[0].Process, drain[^1].Process) : (null, null);
        return new SteadyPhaseResult(
            name,
            mix == EventMix.Clicks ? "clicks" : "movielens-mix",
            backlog.Events,
            backlog.Clicks,
            backlog.Reviews,
            backlog.ReviewsWithText,
            Finite(seconds, 3),
            events,
            Finite(rate, 1),
            raw is { } r ? Math.Round(r, 1) : null,
            raw is { } rr && rr > 0 && !double.IsNaN(rate) ? Math.Round(rate / rr, 4) : null,
            lists,
            Finite(events > 0 ? lists / seconds : double.NaN, 1),
            Finite(cpu, 2),
            broker,
            Finite(alloc, 0),
            events > 0 ? end!.Process.Gen0Collections - start!.Process.Gen0Collections : 0,
            Math.Round(backlog.Seconds, 2),
            Math.Round(drainSeconds, 2),
            tailSeconds is { } t ? Math.Round(t, 2) : null,
            completed,
            first is not null && last is not null && total > 0 ? SteadyWindow.Stages(first, last, total) : [])
        {
            InputEventsPerSecond = Finite(inputRate, 1),
            WholeDrainWindow = window is { Whole: true },
            DrainEventsPerSecond = drainSeconds > 0 && completed ? Math.Round(total / drainSeconds, 1) : null,
            DrainCpuUsPerEvent = first is not null && last is not null && total > 0 ? Finite((last.CpuSeconds - first.CpuSeconds) * 1e6 / total, 2) : null,
            DrainAllocBytesPerEvent = first is not null && last is not null && total > 0 ? Finite((last.AllocatedBytes - first.AllocatedBytes) / (double)total, 0) : null,
        };
    }

    // NaN has no JSON form: a figure that could not be measured is null.
    private static double? Finite(double value, int digits) => double.IsFinite(value) ? Math.Round(value, digits) : null;

    private static double ListsPublished() => Sum(StreamRecMetrics.ListsPublished);

    private static double Parked() =>
        StreamRecMetrics.ParkedEventsTotal.WithLabels(Topics.UserEvents, StreamRecMetrics.ParkedOutcomes.Parked).Value;

    private static double Sum(Prometheus.Counter counter)
    {
        var sum = 0.0;
        foreach (var labels in counter.GetAllLabelValues())
        {
            sum += counter.WithLabels(labels).Value;
        }

        return sum;
    }
}
