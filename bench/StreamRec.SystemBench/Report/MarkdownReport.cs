using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using StreamRec.SystemBench.Pipeline;
using StreamRec.SystemBench.Stats;

namespace StreamRec.SystemBench.Report;

/// <summary>Renders a <see cref="PerformanceReport"/> as the markdown the docs link to.</summary>
public static class MarkdownReport
{
    public static string Render(PerformanceReport report)
    {
        var md = new StringBuilder();
        var m = report.Machine;
        Line(md, $"# StreamRec benchmark report");
        md.AppendLine();
        Line(md, $"Generated {m.GeneratedAt} on {m.ProcessorCount} cores, {m.MemoryGB:F0} GB, {m.Os}, .NET {m.Runtime}; load average at start {m.LoadAverage1m:F1}; {(m.Quick ? "quick" : "full")} run, {m.DurationSeconds / 60:F1} min.");
        md.AppendLine();

        md.AppendLine("## Targets");
        md.AppendLine();
        Table(md, ["target", "measured", "met"], report.Targets.Select(t => new[] { t.Target, t.Measured, t.Met switch { true => "yes", false => "**no**", null => "n/a" } }));

        md.AppendLine("## Encoder (texts/s vs bare ONNX Runtime)");
        md.AppendLine();
        if (report.Encoder is { } encoder)
        {
            Line(md, $"Model {encoder["model"]}, provider {encoder["provider"]}, {encoder["intra_op_threads"]} intra-op thread(s), max tokens {encoder["max_tokens"]}.");
            md.AppendLine();
            Table(md, ["texts", "batch", "tokens/text", "encoder texts/s", "bare ORT texts/s", "ratio"],
                Targets.EncoderRows(encoder).Select(r => new[] { r.Texts, I(r.Batch), D(r.TokensPerText, 1), D(r.Encoder, 1), D(r.Bare, 1), D(r.Ratio, 3) }));
        }
        else
        {
            Line(md, $"Not measured: {report.EncoderError ?? "not run"}");
            md.AppendLine();
        }

        md.AppendLine("## Vector search (top-K over 384-dim vectors vs the memory-bandwidth bound)");
        md.AppendLine();
        if (report.Scaling is { } scaling)
        {
            Line(md, $"Measured copy bandwidth {scaling.CopyBandwidthGBps:F2} GB/s; the bound is the time to read every vector once at that speed. Ratio = search p50 / bound (1 = memory speed).");
            md.AppendLine();
            Table(md, ["items", "K", "search p50 ms", "search p99 ms", "bound ms", "ratio to bound", "heap B/item"],
                scaling.Catalog.Select(r => new[] { I(r.Items), I(r.Candidates), D(r.SearchMs?.P50, 2), D(r.SearchMs?.P99, 2), D(r.BandwidthBoundMs, 2), D(r.SearchToBound, 2), D(r.Memory?.HeapBytesPerUnit, 0) }));
        }

        if (report.Store is { } store)
        {
            md.AppendLine("`streamrec store bench` (the store's own benchmark):");
            md.AppendLine();
            GenericTable(md, store);
        }
        else
        {
            Line(md, $"`streamrec store bench`: {report.StoreError ?? "not run"}");
            md.AppendLine();
        }

        if (report.Pipeline is { Phases.Count: 0, Steady.Count: > 0 } steadyOnly)
        {
            Steady(md, steadyOnly, "## Pipeline: steady state (a backlog drained by the services)");
            ItemSideCost(md, steadyOnly, "###");
        }
        else if (report.Pipeline is { } p)
        {
            md.AppendLine("## Pipeline (all-in-one host, dev broker)");
            md.AppendLine();
            Line(md, $"{p.Source}; {p.Items:N0} items indexed first at {p.ItemsIndexedPerSecond:F0} items/s (warm-up, not in the phases); encoder {p.Model} ({p.Dimension} dims, {p.EncoderThreads} intra-op thread(s)); {p.Partitions} partitions, one instance.");
            md.AppendLine("events/s = events produced / (first produce → last list received). Latency = produce call → list received by a downstream consumer, over every list whose trigger is an event of the phase. " +
                     "raw = a bare Confluent.Kafka consumer reading the same messages from the same broker.");
            md.AppendLine();
            Table(md, ["phase", "offered/s", "events", "clicks", "reviews", "events/s", "raw consumer/s", "ratio", "lists", "p50 ms", "p95 ms", "p99 ms", "max ms", "drained"],
                p.Phases.Select(PhaseRow));
            Steady(md, p, "### Steady state (a backlog drained by the services)");
            ItemSideCost(md, p, "###");
            md.AppendLine("### Memory");
            md.AppendLine();
            md.AppendLine("Working set: growth of the process's resident memory per unit over the step, \"–\" where the OS took pages back meanwhile (noise).");
            md.AppendLine();
            Table(md, ["what", "units", "GC heap B/unit", "working set B/unit"],
            [
                ["per item (pipeline, after indexing, full GC)", I(p.MemoryPerItem?.Units), D(p.MemoryPerItem?.HeapBytesPerUnit, 0), WorkingSet(p.MemoryPerItem?.WorkingSetBytesPerUnit)],
                ["per user (pipeline, after all phases, full GC)", I(p.MemoryPerUser?.Units), D(p.MemoryPerUser?.HeapBytesPerUnit, 0), WorkingSet(p.MemoryPerUser?.WorkingSetBytesPerUnit)],
                .. (report.Scaling?.Users ?? []).Select(u => new[] { $"per user (store only, {u.Users:N0} synthetic users, {u.Store ?? "in-memory store"})", I(u.Users), D(u.Memory?.HeapBytesPerUnit, 0), WorkingSet(u.Memory?.WorkingSetBytesPerUnit) }),
                .. (report.Scaling?.Users ?? []).Where(u => u.CachedProfile is not null).Select(u => new[] { "per profile held decoded (as in the profile cache)", I(u.CachedProfile!.Units), D(u.CachedProfile.HeapBytesPerUnit, 0), WorkingSet(u.CachedProfile.WorkingSetBytesPerUnit) }),
                .. (report.Scaling?.Catalog ?? []).Select(c => new[] { $"per item (store only, {c.Items:N0} synthetic items)", I(c.Items), D(c.Memory?.HeapBytesPerUnit, 0), WorkingSet(c.Memory?.WorkingSetBytesPerUnit) }),
            ]);
            if (p.Scaling.Count > 0)
            {
                md.AppendLine("### Scaling: partitions and instances");
                md.AppendLine();
                md.AppendLine("Partitions = instances; the instances are all-in-one hosts in one process sharing one embedded store and one encoder session (the embedded store is per process), on the same 2 cores.");
                md.AppendLine();
                Table(md, ["partitions", "instances", "events", "events/s", "raw consumer/s", "ratio", "p50 ms", "p99 ms", "drained"],
                    p.Scaling.Select(s => new[] { I(s.Partitions), I(s.Instances), I(s.Phase.Events), D(s.Phase.EventsPerSecond, 0), D(s.Phase.RawEventsPerSecond, 0), D(s.Phase.RatioToRaw, 3), D(s.Phase.Latency?.P50, 1), D(s.Phase.Latency?.P99, 1), s.Phase.Completed ? "yes" : "no" }));
            }
        }
        else
        {
            Line(md, $"## Pipeline\n\nNot measured: {report.PipelineError ?? "not run"}");
            md.AppendLine();
        }

        if (report.Scaling is { } sc)
        {
            md.AppendLine("## Scaling: catalogue size (time per list through RecommendationEngine)");
            md.AppendLine();
            md.AppendLine("In-memory embedded store, synthetic unit vectors; retrieve top-200 (seen and retired filtered) + re-rank + MMR to 10.");
            md.AppendLine();
            Table(md, ["items", "lists", "list p50 ms", "list p95 ms", "list p99 ms", "of which search p50 ms"],
                sc.Catalog.Select(r => new[] { I(r.Items), I(r.ListMs?.Count), D(r.ListMs?.P50, 2), D(r.ListMs?.P95, 2), D(r.ListMs?.P99, 2), D(r.SearchMs?.P50, 2) }));
            md.AppendLine("## Scaling: users (profile load / apply / save)");
            md.AppendLine();
            md.AppendLine("Batches of 64 random users, as a consumer batch: load from the store, apply one click, save. Per-user times are batch time / users. A SQLite file store fsyncs every commit, as the services' default.");
            md.AppendLine();
            Table(md, ["users", "store", "recent ids/user", "load µs/user", "apply µs/user", "save µs/user", "batch p50 ms", "batch p99 ms", "heap B/user", "heap B/cached profile", "reopen s"],
                sc.Users.Select(u => new[] { I(u.Users), u.Store ?? "in-memory store", I(u.RecentItems), D(u.LoadMicrosPerUser, 1), D(u.ApplyMicrosPerUser, 1), D(u.SaveMicrosPerUser, 1), D(u.BatchMs?.P50, 2), D(u.BatchMs?.P99, 2), D(u.Memory?.HeapBytesPerUnit, 0), D(u.CachedProfile?.HeapBytesPerUnit, 0), D(u.ReopenSeconds, 2) }));
            if (sc.EngagementRows is { } e)
            {
                md.AppendLine("## Item side: memory and I/O per co-engagement row");
                md.AppendLine();
                Line(md, $"Synthetic rows of {e.Neighbours:N0} neighbours (between prunes a row holds between the limit and twice it) and 6 source watermarks; batches of 256 rows, as a consumer batch touches them. The store is a SQLite file, the rows where StreamRec:CoEngagement:RowsOnDisk puts them (in memory by default).");
                md.AppendLine();
                Table(md, ["rows", "neighbours/row", "heap B/row (write cache)", "heap B/row (embedded store)", "payload B/row", "save µs/row", "load µs/row"],
                    [[I(e.Rows), I(e.Neighbours), D(e.InMemory?.HeapBytesPerUnit, 0), D(e.Stored?.HeapBytesPerUnit, 0), D(e.PayloadBytesPerRow, 0), D(e.SaveMicrosPerRow, 1), D(e.LoadMicrosPerRow, 1)]]);
            }
        }
        else if (report.ScalingError is { } error)
        {
            Line(md, $"## Scaling\n\nNot measured: {error}");
        }

        return md.ToString();
    }

    /// <summary>The steady-state runs: one row each, then each run's per-stage breakdown.</summary>
    private static void Steady(StringBuilder md, Pipeline.PipelineBenchResult p, string heading)
    {
        if (p.Steady.Count == 0)
        {
            return;
        }

        md.AppendLine(heading);
        md.AppendLine();
        Line(md, $"{p.SteadyPopulation}; encoder {p.Model} ({p.Dimension} dims); {p.Partitions} partitions, one instance. Each backlog is produced to a fresh dev broker before the services start (items preloaded, indexed earlier as warm-up).");
        Line(md, $"events/s = the whole pipeline's progress from {SteadyWindow.From:P0} to {SteadyWindow.To:P0} of the backlog / that time, where progress is the least advanced consumer group's share of its final work (a lagging recommender or item side holds the window open); input/s = the same for the profile-updater alone. lists/s over the same window. A window marked \"whole drain\" is first to last sample, ramp and tail included: the slowest group committed past both marks in one step (a few large batches).");
        md.AppendLine($"raw = a bare Confluent.Kafka consumer reading the same backlog from the same broker after the drain, the best of {Pipeline.RawConsumer.Passes} passes; ratio = events/s / raw. " +
            "CPU = the process's CPU time per event (user + system, every thread: the services, the in-process dev broker and the bench's sampler; the broker threads' share over the window in \"broker\"), over the window and over the whole drain; " +
            "alloc = managed bytes allocated per event, likewise. drain = services start → every consumer group committed everything; tail = what of that came after the profile-updater's last commit.");
        md.AppendLine();
        Table(md, ["run", "events", "clicks", "reviews", "with text", "window s", "events/s", "input/s", "raw consumer/s", "ratio", "lists/s", "CPU µs/event", "drain CPU µs/event", "broker µs/event", "alloc B/event", "drain alloc B/event", "drain s", "tail s", "drained"],
            p.Steady.Select(r => new[]
            {
                r.Name, I(r.Events), I(r.Clicks), I(r.Reviews), I(r.ReviewsWithText), D(r.Seconds, 1) + (r.WholeDrainWindow ? " (whole drain)" : ""), D(r.EventsPerSecond, 0), D(r.InputEventsPerSecond, 0), D(r.RawEventsPerSecond, 0), D(r.RatioToRaw, 3),
                D(r.ListsPerSecond, 0), D(r.CpuUsPerEvent, 1), D(r.DrainCpuUsPerEvent, 1), D(r.BrokerCpuUsPerEvent, 1), D(r.AllocBytesPerEvent, 0), D(r.DrainAllocBytesPerEvent, 0), D(r.DrainSeconds, 1), D(r.TailSeconds, 1), r.Completed ? "yes" : "no",
            }));
        md.AppendLine("Time per event by stage, over the whole drain (each stage's time for the whole backlog / its events: a fast consumer such as trending may be done before the window opens). " +
            "These are **wall-clock** times inside each stage (the process's own `streamrec_stage_duration_seconds` and `streamrec_vectorstore_request_duration_seconds` histograms), not CPU time: " +
            "they include waiting for I/O, acks and the CPU, stages of different consumers overlap in time, and nested stages (\"part of\") are counted again in their parent, so the column does not add up to the CPU time per event. " +
            "Kafka fetching and the consumer framework are in no stage.");
        md.AppendLine();
        var stages = SteadyWindow.InOrder(p.Steady.SelectMany(r => r.Stages.Select(s => s.Stage)).Distinct(StringComparer.Ordinal));
        Table(md, ["stage", .. p.Steady.SelectMany(r => new[] { $"{r.Name} µs/event", $"{r.Name} calls" }), "what it covers"],
            stages.Select(stage => new[] { stage }
                .Concat(p.Steady.SelectMany(r => r.Stages.FirstOrDefault(s => s.Stage == stage) is { } c ? new[] { D(c.UsPerEvent, 2), I(c.Calls) } : ["–", "–"]))
                .Append(SteadyWindow.Describe(stage))
                .ToArray()));
    }

    /// <summary>The item side's cost, from the runs with and without it on the same events (PipelineBenchOptions.ItemSideComparison).</summary>
    private static void ItemSideCost(StringBuilder md, Pipeline.PipelineBenchResult p, string level)
    {
        var rows = new List<string[]>();
        if (p.Steady.FirstOrDefault(r => r.Name == SteadyBench.FanOutClicks) is { } with
            && p.Steady.FirstOrDefault(r => r.Name == SteadyBench.FanOutClicks + SteadyBench.WithoutItemSide) is { } without)
        {
            rows.Add(["steady clicks, MovieLens's fan-out: events/s", D(with.EventsPerSecond, 0), D(without.EventsPerSecond, 0), D(with.EventsPerSecond / without.EventsPerSecond, 2)]);
            rows.Add(["steady clicks, MovieLens's fan-out: events/s, whole drain", D(with.DrainEventsPerSecond, 0), D(without.DrainEventsPerSecond, 0), D(with.DrainEventsPerSecond / without.DrainEventsPerSecond, 2)]);
            rows.Add(["steady clicks, MovieLens's fan-out: CPU µs/event", D(with.CpuUsPerEvent, 1), D(without.CpuUsPerEvent, 1), D(with.CpuUsPerEvent / without.CpuUsPerEvent, 2)]);
        }

        if (p.Phases.FirstOrDefault(r => r.Name.EndsWith("-with-item-side", StringComparison.Ordinal)) is { } on
            && p.Phases.FirstOrDefault(r => r.Name.EndsWith("-without-item-side", StringComparison.Ordinal)) is { } off)
        {
            var rate = on.OfferedRate is { } o ? $"at {o:F0}/s" : "";
            rows.Add([$"{p.Source} {rate}: event→list p50 ms", D(on.Latency?.P50, 1), D(off.Latency?.P50, 1), D(on.Latency?.P50 / off.Latency?.P50, 2)]);
            rows.Add([$"{p.Source} {rate}: event→list p99 ms", D(on.Latency?.P99, 1), D(off.Latency?.P99, 1), D(on.Latency?.P99 / off.Latency?.P99, 2)]);
        }

        if (rows.Count == 0)
        {
            return;
        }

        md.AppendLine($"{level} The item side's cost (with and without it in the same run)");
        md.AppendLine();
        md.AppendLine("The same events on fresh state, once with the item side (the co-engagement updater, and the profile-updater publishing engagements) and once without it: lists from text and trending only, the pipeline as it was before it. "
            + "The steady rows drain a clicks backlog of MovieLens's fan-out (the population's items, few users, each clicking an item once, so a click pairs with up to CoEngagement:HistorySize earlier ones).");
        md.AppendLine();
        Table(md, ["measure", "with the item side", "without", "with ÷ without"], rows);
    }

    private static string[] PhaseRow(Pipeline.PhaseResult r) =>
    [
        r.Name, r.OfferedRate is { } o ? D(o, 0) : "max", I(r.Events), I(r.Clicks), I(r.Reviews), D(r.EventsPerSecond, 0), D(r.RawEventsPerSecond, 0), D(r.RatioToRaw, 3),
        I(r.Latency?.Count), D(r.Latency?.P50, 1), D(r.Latency?.P95, 1), D(r.Latency?.P99, 1), D(r.Latency?.Max, 1), r.Completed ? "yes" : "no",
    ];

    /// <summary>The first array of objects in a JSON document, as a table of its scalar fields.</summary>
    private static void GenericTable(StringBuilder md, JsonNode node)
    {
        var rows = FindRows(node);
        if (rows is null)
        {
            md.AppendLine("```json").AppendLine(node.ToJsonString()).AppendLine("```").AppendLine();
            return;
        }

        var columns = rows.SelectMany(r => r.Where(kv => kv.Value is JsonValue).Select(kv => kv.Key)).Distinct(StringComparer.Ordinal).ToArray();
        Table(md, columns, rows.Select(r => columns.Select(c => r[c] is JsonValue v ? Scalar(v) : "").ToArray()));
    }

    private static List<JsonObject>? FindRows(JsonNode node) => node switch
    {
        JsonArray a when a.Count > 0 && a.All(x => x is JsonObject) => a.Cast<JsonObject>().ToList(),
        JsonObject o => o.Select(kv => kv.Value is null ? null : FindRows(kv.Value)).FirstOrDefault(r => r is not null),
        _ => null,
    };

    private static string Scalar(JsonValue v) =>
        v.TryGetValue<double>(out var d) ? D(d, d == Math.Floor(d) ? 0 : 3) : v.ToString();

    private static void Table(StringBuilder md, IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        md.Append("| ").AppendJoin(" | ", header).AppendLine(" |");
        md.Append('|').AppendJoin("|", header.Select(_ => " --- ")).AppendLine("|");
        foreach (var row in rows)
        {
            md.Append("| ").AppendJoin(" | ", row).AppendLine(" |");
        }

        md.AppendLine();
    }

    private static void Line(StringBuilder md, FormattableString text) => md.AppendLine(text.ToString(CultureInfo.InvariantCulture));

    private static string D(double? value, int decimals) =>
        value is { } v && !double.IsNaN(v) ? v.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "–";

    /// <summary>The working-set difference per unit; a negative one (the OS took pages back during the run) means
    /// nothing and shows as "–".</summary>
    private static string WorkingSet(double? value) => value is >= 0 ? D(value, 0) : "–";

    private static string I(long? value) => value is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "–";
}
