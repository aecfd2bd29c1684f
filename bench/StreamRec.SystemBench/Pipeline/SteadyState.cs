using System.Diagnostics;
using System.Globalization;
using Prometheus;
using StreamRec.Observability;

namespace StreamRec.SystemBench.Pipeline;

/// <summary>What one steady-state run (a backlog drained by the services) gave. Rates, CPU and allocations are over the
/// measured window: the middle of the drain, from <see cref="SteadyWindow.From"/> to <see cref="SteadyWindow.To"/> of the
/// whole pipeline's progress (<see cref="SteadyWindow.PipelineDone"/>); <see cref="Stages"/> and the Drain* figures are
/// over the whole drain.</summary>
/// <param name="Name">steady-clicks or steady-mix.</param>
/// <param name="Mix">clicks or movielens-mix.</param>
/// <param name="Events">User events in the backlog.</param>
/// <param name="Seconds">Length of the measured window.</param>
/// <param name="WindowEvents">Events the whole pipeline progressed by within the window (about 80 % of the backlog).</param>
/// <param name="EventsPerSecond">WindowEvents / Seconds: sustained throughput.</param>
/// <param name="RawEventsPerSecond">A bare Confluent.Kafka consumer reading the whole backlog from the same broker, after the drain.</param>
/// <param name="RatioToRaw">EventsPerSecond / RawEventsPerSecond.</param>
/// <param name="Lists">Lists the recommender published within the window.</param>
/// <param name="CpuUsPerEvent">Process CPU time (user + system, every thread: the services, the in-process dev broker, the bench's sampler) per window event.</param>
/// <param name="BrokerCpuUsPerEvent">Of which the dev broker's own threads (librdkafka mock cluster), when the OS names them; null elsewhere.</param>
/// <param name="AllocBytesPerEvent">Managed bytes allocated by the process (GC.GetTotalAllocatedBytes) per window event.</param>
/// <param name="Gen0Collections">Gen-0 GCs within the window (gen 1 and 2 included, as the runtime counts them).</param>
/// <param name="ProduceSeconds">Time to produce the backlog, before the services started.</param>
/// <param name="DrainSeconds">From starting the services to every consumer group having committed everything.</param>
/// <param name="TailSeconds">From the profile-updater's last commit to the whole pipeline drained (the downstream lag left).</param>
/// <param name="Completed">False when the drain hit the time limit.</param>
/// <param name="Stages">Wall time inside each instrumented stage per backlog event, over the whole drain.</param>
public sealed record SteadyPhaseResult(
    string Name,
    string Mix,
    int Events,
    int Clicks,
    int Reviews,
    int ReviewsWithText,
    double? Seconds,
    long WindowEvents,
    double? EventsPerSecond,
    double? RawEventsPerSecond,
    double? RatioToRaw,
    long Lists,
    double? ListsPerSecond,
    double? CpuUsPerEvent,
    double? BrokerCpuUsPerEvent,
    double? AllocBytesPerEvent,
    int Gen0Collections,
    double ProduceSeconds,
    double DrainSeconds,
    double? TailSeconds,
    bool Completed,
    IReadOnlyList<StageCost> Stages)
{
    /// <summary>The profile-updater's own rate over the middle of its progress: above <see cref="EventsPerSecond"/> when
    /// a downstream stage (recommender, item side) lags behind it.</summary>
    public double? InputEventsPerSecond { get; init; }

    /// <summary>Events / <see cref="DrainSeconds"/>: ramp and tail included. Null when the drain did not finish.</summary>
    public double? DrainEventsPerSecond { get; init; }

    /// <summary>Process CPU time per event over the whole drain (every stage's work for the whole backlog, the
    /// services' start and their idle polling in the tail included).</summary>
    public double? DrainCpuUsPerEvent { get; init; }

    /// <summary>Managed bytes allocated per event over the whole drain.</summary>
    public double? DrainAllocBytesPerEvent { get; init; }

    /// <summary>True when the window is the whole drain, not its middle (<see cref="SteadyWindow.MiddleOrWhole"/>): the
    /// figures then include the ramp and the tail.</summary>
    public bool WholeDrainWindow { get; init; }
}

/// <summary>One stage's wall time per event.</summary>
/// <param name="Stage">The <c>stage</c> label of <c>streamrec_stage_duration_seconds</c>, or <c>store:&lt;operation&gt;</c>
/// for <c>streamrec_vectorstore_request_duration_seconds</c>.</param>
/// <param name="Description">Where it is measured and what it includes.</param>
/// <param name="UsPerEvent">Wall-clock microseconds inside the stage per event (not CPU time).</param>
/// <param name="Calls">Observations (usually batches).</param>
/// <param name="UsPerCall">Wall-clock microseconds per observation.</param>
public sealed record StageCost(string Stage, string Description, double UsPerEvent, long Calls, double UsPerCall);

/// <summary>One look at the drain from the outside (every consumer group's committed offsets) and the inside (the
/// process's own counters).</summary>
/// <param name="Seconds">Since the services were started.</param>
/// <param name="Committed">Messages each consumer group has committed, over all its topics and partitions.</param>
/// <param name="Lists">Lists published so far (the recommender's counter).</param>
/// <param name="Process">CPU, allocations, GCs and stage sums at that moment.</param>
public sealed record DrainSample(double Seconds, IReadOnlyDictionary<string, long> Committed, double Lists, ProcessCounters Process);

/// <summary>A drain's progress as one number: events done by some measure, at one moment.</summary>
/// <param name="Seconds">Since the services were started.</param>
/// <param name="Done">Events done (see <see cref="SteadyWindow.PipelineDone"/>).</param>
/// <param name="Lists">Lists published so far (the recommender's counter).</param>
/// <param name="Process">CPU, allocations, GCs and stage sums at that moment.</param>
public sealed record SteadySample(double Seconds, long Done, double Lists, ProcessCounters Process);

/// <summary>The middle of a drain: the first sample at which <see cref="From"/> of the backlog was done, and the
/// first at which <see cref="To"/> was. The ramp (consumers joining, caches filling) and the tail (the last partial
/// batches) fall outside it.</summary>
public static class SteadyWindow
{
    public const double From = 0.1;
    public const double To = 0.9;

    /// <summary>Indexes of the window's first and last sample; null when the series never reaches both marks or they
    /// fall on the same sample (too few samples to measure a rate).</summary>
    public static (int Start, int End)? Middle(IReadOnlyList<SteadySample> samples, long total, double from = From, double to = To)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(total);
        int? start = null;
        for (var i = 0; i < samples.Count; i++)
        {
            if (start is null && samples[i].Done >= from * total)
            {
                start = i;
            }

            if (samples[i].Done >= to * total)
            {
                return start is { } s && i > s && samples[i].Seconds > samples[s].Seconds ? (s, i) : null;
            }
        }

        return null;
    }

    /// <summary>
    /// The whole pipeline's progress in events: <paramref name="events"/> times the smallest share of its final work any
    /// consumer group has committed (<paramref name="ends"/>: each group's messages at the end of the drain; groups with
    /// none are left out). The profile-updater may run ahead; the pipeline is as far as its slowest stage.
    /// </summary>
    public static long PipelineDone(IReadOnlyDictionary<string, long> committed, IReadOnlyDictionary<string, long> ends, long events)
    {
        var share = 1.0;
        foreach (var (group, end) in ends)
        {
            if (end > 0)
            {
                share = Math.Min(share, Math.Min(1.0, committed.GetValueOrDefault(group) / (double)end));
            }
        }

        return (long)Math.Floor(share * events);
    }

    /// <summary>
    /// <see cref="Middle"/>, or when it has none although the series reached the end (the slowest group's commits come
    /// in a few large batches, and one of them passed both marks between two samples), the whole series: first to last
    /// sample, ramp and tail included (<c>Whole</c> true). Null only when the series never reached the 90 % mark.
    /// </summary>
    public static (int Start, int End, bool Whole)? MiddleOrWhole(IReadOnlyList<SteadySample> samples, long total)
    {
        if (Middle(samples, total) is { } middle)
        {
            return (middle.Start, middle.End, false);
        }

        return samples.Count > 1 && samples[^1].Done >= To * total && samples[^1].Seconds > samples[0].Seconds ? (0, samples.Count - 1, true) : null;
    }

    /// <summary>Events per second between two samples.</summary>
    public static double Rate(SteadySample start, SteadySample end) => (end.Done - start.Done) / (end.Seconds - start.Seconds);

    /// <summary>Each stage's wall time per event between two snapshots, in the order of <see cref="StageDescriptions"/>
    /// (then any other stage seen, by name); stages without an observation in the window are left out.</summary>
    public static IReadOnlyList<StageCost> Stages(ProcessCounters start, ProcessCounters end, long events)
    {
        var rows = new List<StageCost>();
        foreach (var name in InOrder(end.StageSeconds.Keys))
        {
            if (!end.StageSeconds.TryGetValue(name, out var endSum))
            {
                continue;
            }

            var calls = end.StageCalls.GetValueOrDefault(name) - start.StageCalls.GetValueOrDefault(name);
            if (calls <= 0)
            {
                continue;
            }

            var seconds = endSum - start.StageSeconds.GetValueOrDefault(name);
            rows.Add(new StageCost(
                name,
                Describe(name),
                Math.Round(seconds * 1e6 / events, 2),
                calls,
                Math.Round(seconds * 1e6 / calls, 1)));
        }

        return rows;
    }

    /// <summary>Stage names in the order of <see cref="StageDescriptions"/>, then the vector-store operations, then any
    /// other, each group by name.</summary>
    public static IReadOnlyList<string> InOrder(IEnumerable<string> stages)
    {
        var order = StageDescriptions.Keys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i, StringComparer.Ordinal);
        return [.. stages
            .OrderBy(s => order.TryGetValue(s, out var i) ? i : s.StartsWith(StoreStagePrefix, StringComparison.Ordinal) ? order.Count : order.Count + 1)
            .ThenBy(s => s, StringComparer.Ordinal)];
    }

    /// <summary>What a stage covers; empty for a stage this bench does not know.</summary>
    public static string Describe(string stage) =>
        StageDescriptions.TryGetValue(stage, out var description) ? description
        : stage.StartsWith(StoreStagePrefix, StringComparison.Ordinal) ? "vector-store calls, every caller: " + stage[StoreStagePrefix.Length..]
        : "";

    /// <summary>Prefix of the vector-store operations among the stages.</summary>
    public const string StoreStagePrefix = "store:";

    /// <summary>What each stage label covers, in pipeline order; nested ones say which stage they are part of.</summary>
    public static IReadOnlyDictionary<string, string> StageDescriptions { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["decode"] = "profile-updater: parse and validate the batch's clicks and reviews",
        ["load"] = "profile-updater: the batch's user states, from its LRU cache or the users collection (state load)",
        ["state"] = "profile-updater: the events' item vectors, review-text encoding, apply every event to its user (apply)",
        ["encode"] = "encoder: review texts (part of state); item texts in the item indexer (idle during a drain)",
        ["engagements"] = "profile-updater: build the co-engagement contributions' messages (beside the users' write) and publish them to streamrec.engagements (acks=all)",
        ["store"] = "profile-updater: write the changed users to the users collection (serialise, upsert, commit); the item indexer's writes share the label",
        ["notify"] = "profile-updater: publish one user-vectors notification per changed user (acks=all)",
        ["commit"] = "vector store: SQLite commit of a write batch, WAL append + fsync (part of store and co_engagement)",
        ["co_engagement"] = "item side: parse contributions, load rows, apply, write rows (commit included)",
        ["trending"] = "recommender's trending consumer: parse every click again, count it",
        ["list_build"] = "recommender: decode, coalesce, load users, retrieve, rank, serialise the lists",
        ["retrieve"] = "recommender: candidate retrieval: the batched search, the co-engagement and trending candidates, the text candidates' facts (part of list_build)",
        ["rank"] = "recommender: re-rank and MMR (part of list_build)",
        ["publish"] = "recommender: publish the lists to streamrec.recommendations (acks=all)",
        ["store:get"] = "vector-store calls, every caller: get by id",
        ["store:upsert"] = "vector-store calls, every caller: upsert (commit included)",
        ["store:query"] = "vector-store calls, every caller: query",
        ["store:query_batch"] = "vector-store calls, every caller: batched query",
    };
}

/// <summary>The process's own counters at one moment: CPU time, managed allocations, GCs, and the stage and vector-store
/// duration histograms' sums and counts (<see cref="StreamRecMetrics"/>, shared by every host in the process).</summary>
public sealed record ProcessCounters(
    double CpuSeconds,
    double? BrokerCpuSeconds,
    long AllocatedBytes,
    int Gen0Collections,
    IReadOnlyDictionary<string, double> StageSeconds,
    IReadOnlyDictionary<string, long> StageCalls)
{
    public static ProcessCounters Take()
    {
        using var process = Process.GetCurrentProcess();
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        Read(StreamRecMetrics.StageDuration, "", seconds, calls);
        Read(StreamRecMetrics.VectorStoreRequestDuration, SteadyWindow.StoreStagePrefix, seconds, calls);
        return new ProcessCounters(
            process.TotalProcessorTime.TotalSeconds,
            ThreadCpu.SecondsOfThreadsNamed(ThreadCpu.MockBrokerPrefix),
            GC.GetTotalAllocatedBytes(precise: false),
            GC.CollectionCount(0),
            seconds,
            calls);
    }

    private static void Read(Histogram histogram, string prefix, Dictionary<string, double> seconds, Dictionary<string, long> calls)
    {
        foreach (var labels in histogram.GetAllLabelValues())
        {
            var child = histogram.WithLabels(labels);
            seconds[prefix + labels[0]] = child.Sum;
            calls[prefix + labels[0]] = child.Count;
        }
    }
}

/// <summary>CPU time of the process's threads by name, from <c>/proc/self/task</c> (Linux): librdkafka names its threads,
/// so the in-process dev broker's share can be told apart from the services'.</summary>
internal static class ThreadCpu
{
    /// <summary>librdkafka's mock cluster runs its brokers on threads named <c>rdk:mock…</c>.</summary>
    public const string MockBrokerPrefix = "rdk:mock";

    // USER_HZ: the unit of utime/stime in /proc; 100 on every Linux this runs on.
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds (user + system) of the live threads whose name starts with <paramref name="prefix"/>; null
    /// when /proc is not there or no such thread exists.</summary>
    public static double? SecondsOfThreadsNamed(string prefix)
    {
        try
        {
            var ticks = 0L;
            var found = false;
            foreach (var (name, threadTicks) in Threads())
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    ticks += threadTicks;
                    found = true;
                }
            }

            return found ? ticks / TicksPerSecond : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>CPU seconds per thread name (threads of the same name summed), for the progress log.</summary>
    public static IReadOnlyDictionary<string, double> SecondsByName()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, ticks) in Threads())
            {
                result[name] = result.GetValueOrDefault(name) + ticks / TicksPerSecond;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return result;
    }

    private static IEnumerable<(string Name, long Ticks)> Threads()
    {
        const string tasks = "/proc/self/task";
        if (!Directory.Exists(tasks))
        {
            yield break;
        }

        foreach (var dir in Directory.EnumerateDirectories(tasks))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread ended between the listing and the read.
                continue;
            }

            if (ParseStat(stat) is { } parsed)
            {
                yield return parsed;
            }
        }
    }

    /// <summary>The thread's name and utime + stime from one <c>/proc/…/stat</c> line: the name is in parentheses
    /// (and may hold spaces or parentheses itself), utime and stime are the 12th and 13th fields after it.</summary>
    internal static (string Name, long Ticks)? ParseStat(string stat)
    {
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 13
            || !long.TryParse(fields[11], NumberStyles.Integer, CultureInfo.InvariantCulture, out var utime)
            || !long.TryParse(fields[12], NumberStyles.Integer, CultureInfo.InvariantCulture, out var stime))
        {
            return null;
        }

        return (stat[(open + 1)..close], utime + stime);
    }
}
