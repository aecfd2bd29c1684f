using System.Globalization;
using System.Text.Json.Nodes;
using StreamRec.SystemBench.Pipeline;

namespace StreamRec.SystemBench.Report;

/// <summary>The issue's performance targets, checked against a report (never asserted: they are read, not enforced).</summary>
public static class Targets
{
    public const double ListP99Ms = 250;
    public const double MinRatioToRawClicks = 0.5;
    public const double MinSteadyRatioToRawClicks = 0.25;
    public const double MinEncoderRatioBatch32 = 0.9;

    /// <summary>Issue #16: event → list at 1k events/s, two hops included, in every 1k events/s phase.</summary>
    public const double IssueListP50Ms = 50;
    public const double IssueListP99Ms = 150;

    /// <summary>Issue #12: the pipeline with the item side at most 20 % slower than without it.</summary>
    public const double MinItemSideRatio = 0.8;

    public static IReadOnlyList<TargetCheck> Evaluate(JsonNode? encoder, PipelineBenchResult? pipeline)
    {
        var checks = new List<TargetCheck>();
        var at1k = pipeline?.Phases.FirstOrDefault(p => p.OfferedRate is 1000);
        checks.Add(at1k?.Latency is { } l
            ? new TargetCheck($"event-to-list p99 < {ListP99Ms:F0} ms at 1k events/s", F($"{l.P99:F1} ms (p50 {l.P50:F1}, p95 {l.P95:F1}; achieved {at1k.EventsPerSecond:F0} events/s)"), l.P99 < ListP99Ms && at1k.Completed)
            : new TargetCheck($"event-to-list p99 < {ListP99Ms:F0} ms at 1k events/s", "not measured", null));

        // The same target on consumers with a short fetch wait, closer to what a real broker gives (see docs/benchmarks.md).
        if (pipeline?.Phases.FirstOrDefault(p => p.OfferedRate is 1000 && p.Name.Contains("fetchwait", StringComparison.Ordinal)) is { Latency: { } s } shortWait)
        {
            checks.Add(new TargetCheck($"event-to-list p99 < {ListP99Ms:F0} ms at 1k events/s, {shortWait.Name}", F($"{s.P99:F1} ms (p50 {s.P50:F1}, p95 {s.P95:F1}; achieved {shortWait.EventsPerSecond:F0} events/s)"), s.P99 < ListP99Ms && shortWait.Completed));
        }

        var clicks = pipeline?.Phases.FirstOrDefault(p => p.Name == "max-clicks");
        checks.Add(clicks?.RatioToRaw is { } ratio
            ? new TargetCheck($"pipeline >= {MinRatioToRawClicks:F1} x raw consumption (clicks)", F($"{ratio:F3} ({clicks.EventsPerSecond:F0} vs {clicks.RawEventsPerSecond:F0} events/s)"), ratio >= MinRatioToRawClicks)
            : new TargetCheck($"pipeline >= {MinRatioToRawClicks:F1} x raw consumption (clicks)", "not measured", null));

        // Issue #16's restatement of the same goal, on a backlog drained at steady state rather than a short burst; read
        // only when the steady-state runs ran (they can be skipped).
        if (pipeline?.Steady.FirstOrDefault(p => p.Name == SteadyBench.SteadyClicks) is { } steady)
        {
            var target = $"steady-state clicks >= {MinSteadyRatioToRawClicks:F2} x raw consumption";
            checks.Add(steady.RatioToRaw is { } steadyRatio
                ? new TargetCheck(target, F($"{steadyRatio:F3} ({steady.EventsPerSecond:F0} vs {steady.RawEventsPerSecond:F0} events/s; {steady.CpuUsPerEvent:F1} µs CPU per event)"), steadyRatio >= MinSteadyRatioToRawClicks && steady.Completed)
                : new TargetCheck(target, "not measured", null));
        }

        // Issue #12's cost of the item side, from the clicks backlog of MovieLens's fan-out drained with and without it.
        if (pipeline?.Steady.FirstOrDefault(p => p.Name == SteadyBench.FanOutClicks) is { } with
            && pipeline.Steady.FirstOrDefault(p => p.Name == SteadyBench.FanOutClicks + SteadyBench.WithoutItemSide) is { } without)
        {
            var target = $"item side: steady clicks at MovieLens's fan-out >= {MinItemSideRatio:F2} x without it";
            checks.Add(with.EventsPerSecond is { } on && without.EventsPerSecond is { } off && off > 0
                ? new TargetCheck(target, F($"{on / off:F2} ({on:F0} vs {off:F0} events/s; CPU {with.CpuUsPerEvent:F1} vs {without.CpuUsPerEvent:F1} µs per event)"), on / off >= MinItemSideRatio && with.Completed && without.Completed)
                : new TargetCheck(target, "not measured", null));
        }

        var batch32 = EncoderRows(encoder).Where(r => r.Batch == 32).ToArray();
        checks.Add(batch32.Length > 0
            ? new TargetCheck($"encoder >= {MinEncoderRatioBatch32:F2} x bare ORT at batch 32", string.Join(", ", batch32.Select(r => F($"{r.Texts} {r.Ratio:F3}"))), batch32.All(r => r.Ratio >= MinEncoderRatioBatch32))
            : new TargetCheck($"encoder >= {MinEncoderRatioBatch32:F2} x bare ORT at batch 32", "not measured", null));

        // Issue #16's latency goal is stricter than the original p99 < 250 ms and holds for every 1k events/s phase: the one
        // after the full-speed phase, the short fetch wait's, and those on fresh state with and without the item side.
        var target16 = $"event-to-list p50 <= {IssueListP50Ms:F0} and p99 <= {IssueListP99Ms:F0} ms in every 1k events/s phase (issue #16)";
        var phases1k = pipeline?.Phases.Where(p => p.OfferedRate is 1000 && p.Latency is not null).ToArray() ?? [];
        checks.Add(phases1k.Length > 0
            ? new TargetCheck(
                target16,
                string.Join("; ", phases1k.Select(p => F($"{p.Name} p50 {p.Latency!.P50:F1} / p99 {p.Latency.P99:F1} ms"))),
                phases1k.All(p => p.Latency!.P50 <= IssueListP50Ms && p.Latency.P99 <= IssueListP99Ms && p.Completed))
            : new TargetCheck(target16, "not measured", null));
        return checks;
    }

    /// <summary>The rows of <c>streamrec model bench --json</c> (snake_case), tolerant of fields it does not know.</summary>
    public static IEnumerable<(string Texts, int Batch, double TokensPerText, double Encoder, double Bare, double Ratio)> EncoderRows(JsonNode? encoder)
    {
        if (encoder?["rows"] is not JsonArray rows)
        {
            yield break;
        }

        foreach (var row in rows.OfType<JsonObject>())
        {
            yield return (
                row["texts"]?.GetValue<string>() ?? "?",
                Number(row["batch"]) is { } b ? (int)b : 0,
                Number(row["tokens_per_text"]) ?? double.NaN,
                Number(row["encoder_texts_per_second"]) ?? double.NaN,
                Number(row["bare_ort_texts_per_second"]) ?? double.NaN,
                Number(row["ratio"]) ?? double.NaN);
        }
    }

    internal static double? Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) ? d
        : node is JsonValue i && i.TryGetValue<long>(out var l) ? l
        : null;

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
