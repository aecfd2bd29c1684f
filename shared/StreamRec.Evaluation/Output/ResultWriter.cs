using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamRec.Evaluation.Protocol;

namespace StreamRec.Evaluation.Output;

/// <summary>Writes a report as JSON (everything), CSV (one row per system and slice) and a markdown table.</summary>
public static class ResultWriter
{
    public const string JsonFileName = "results.json";
    public const string CsvFileName = "results.csv";
    public const string WindowsCsvFileName = "windows.csv";
    public const string MarkdownFileName = "results.md";

    /// <summary>Writes every file into <paramref name="directory"/> (created) and returns their paths.</summary>
    public static async Task<IReadOnlyList<string>> WriteAllAsync(EvaluationReport report, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var json = Path.Combine(directory, JsonFileName);
        var csv = Path.Combine(directory, CsvFileName);
        var windows = Path.Combine(directory, WindowsCsvFileName);
        var markdown = Path.Combine(directory, MarkdownFileName);
        await File.WriteAllTextAsync(json, ToJson(report), cancellationToken);
        await File.WriteAllTextAsync(csv, ToCsv(report), cancellationToken);
        await File.WriteAllTextAsync(windows, ToWindowsCsv(report), cancellationToken);
        await File.WriteAllTextAsync(markdown, ToMarkdown(report), cancellationToken);
        return [json, csv, windows, markdown];
    }

    public static string ToJson(EvaluationReport report) => JsonSerializer.Serialize(report, EvaluationJsonContext.Default.EvaluationReport);

    /// <summary>One row per system and slice (overall, cold_users, cold_items); beyond-accuracy columns on every row of a system.</summary>
    public static string ToCsv(EvaluationReport report)
    {
        var k = report.Settings.ListSize;
        var r = report.Settings.RecallListSize;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"system,slice,targets,hit_rate@{k},ndcg@{k},recall@{r},mrr@{r},coverage,diversity,novelty_bits,mean_age_days,exclusion_violations,observe_s,recommend_s\n");
        foreach (var s in report.Systems)
        {
            foreach (var (slice, m) in new[] { ("overall", s.Overall), ("cold_users", s.ColdUsers), ("cold_items", s.ColdItems) })
            {
                sb.Append(CultureInfo.InvariantCulture,
                    $"{s.Name},{slice},{m.Targets},{m.HitRate:0.######},{m.Ndcg:0.######},{m.Recall:0.######},{m.Mrr:0.######},{s.Coverage:0.######},{s.Diversity:0.######},{s.Novelty:0.####},{s.MeanAgeDays:0.#},{s.ExclusionViolations},{s.ObserveSeconds:0.###},{s.RecommendSeconds:0.###}\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>One row per system and time window.</summary>
    public static string ToWindowsCsv(EvaluationReport report)
    {
        var k = report.Settings.ListSize;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"system,window,start,targets,hit_rate@{k},ndcg@{k},recall@{report.Settings.RecallListSize},mrr\n");
        foreach (var s in report.Systems)
        {
            foreach (var w in s.Windows)
            {
                var m = w.Metrics;
                sb.Append(CultureInfo.InvariantCulture, $"{s.Name},{w.Window},{w.Start:yyyy-MM-dd},{m.Targets},{m.HitRate:0.######},{m.Ndcg:0.######},{m.Recall:0.######},{m.Mrr:0.######}\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Validation and test NDCG, and each system's NDCG, HitRate and cold-item NDCG over the best baseline's with paired-bootstrap 95 %
    /// intervals: settings are chosen on the validation period, results read on the test period.
    /// </summary>
    public static string IntervalsMarkdown(EvaluationReport report)
    {
        var k = report.Settings.ListSize;
        var reference = report.Systems.Select(s => s.NdcgVsBest?.Reference).FirstOrDefault(r => r is not null) ?? "?";
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"Validation = targets before {report.Summary.TestStart:yyyy-MM-dd}, test = from then on; ratios are over **{reference}** (the best baseline), [95 % paired-bootstrap interval].\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"| system | validation NDCG@{k} | test NDCG@{k} | NDCG ÷ {reference} | test NDCG ÷ {reference} | HR@{k} ÷ {reference} | cold-item NDCG ÷ {reference} | validation diversity | test diversity | validation cold-item NDCG@{k} |\n");
        sb.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var s in report.Systems)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"| {s.Name} | {s.Validation?.Ndcg:0.0000} ({s.Validation?.Targets}) | {s.Test?.Ndcg:0.0000} ({s.Test?.Targets}) | {Ratio(s.NdcgVsBest)} | {Ratio(s.TestNdcgVsBest)} | {Ratio(s.HitRateVsBest)} | {Ratio(s.ColdItemNdcgVsBest)} | {s.ValidationDiversity:0.000} | {s.TestDiversity:0.000} | {s.ValidationColdItems?.Ndcg:0.0000} ({s.ValidationColdItems?.Targets}) |\n");
        }

        return sb.ToString();
    }

    private static string Ratio(RatioInterval? r) =>
        r is null ? "–" : string.Create(CultureInfo.InvariantCulture, $"{r.Ratio:0.00} [{r.Low:0.00}, {(double.IsPositiveInfinity(r.High) ? "∞" : r.High.ToString("0.00", CultureInfo.InvariantCulture))}]");

    /// <summary>The summary table as markdown (for docs/results and the README).</summary>
    public static string ToMarkdown(EvaluationReport report)
    {
        var k = report.Settings.ListSize;
        var r = report.Settings.RecallListSize;
        var d = report.Summary;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Dataset: **{report.Dataset}**, encoder `{report.Encoder}`. {d.Events:N0} events, {d.Items:N0} items, {d.Users:N0} users, {d.Clicks:N0} clicks; ");
        sb.Append(CultureInfo.InvariantCulture, $"warm-up until {d.WarmupEnd:yyyy-MM-dd}; {d.ScoredTargets:N0} of {d.EligibleTargets:N0} target clicks scored (seed {report.Settings.Seed}).\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"| system | HR@{k} | NDCG@{k} | Recall@{r} | MRR@{r} | cold-user NDCG@{k} | cold-item NDCG@{k} | coverage | diversity | novelty (bits) | mean age (days) |\n");
        sb.Append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var s in report.Systems)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"| {s.Name} | {s.Overall.HitRate:0.0000} | {s.Overall.Ndcg:0.0000} | {s.Overall.Recall:0.0000} | {s.Overall.Mrr:0.0000} | {s.ColdUsers.Ndcg:0.0000} ({s.ColdUsers.Targets}) | {s.ColdItems.Ndcg:0.0000} ({s.ColdItems.Targets}) | {s.Coverage:0.000} | {s.Diversity:0.000} | {s.Novelty:0.00} | {s.MeanAgeDays:0} |\n");
        }

        sb.Append('\n').Append(IntervalsMarkdown(report));

        if (report.LambdaSweep is { Count: > 0 } sweep)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"\nMMR λ sweep:\n\n| λ | NDCG@{k} | diversity | validation NDCG@{k} | validation diversity | test NDCG@{k} | test diversity |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            foreach (var p in sweep)
            {
                sb.Append(CultureInfo.InvariantCulture,
                    $"| {p.Lambda:0.##} | {p.Ndcg:0.0000} | {p.Diversity:0.000} | {p.ValidationNdcg:0.0000} | {p.ValidationDiversity:0.000} | {p.TestNdcg:0.0000} | {p.TestDiversity:0.000} |\n");
            }

            if (report.ChosenLambda is { } chosen)
            {
                sb.Append(chosen.FloorMet
                    ? string.Create(CultureInfo.InvariantCulture, $"\nChosen on the validation period: **λ = {chosen.Lambda:0.##}**, the best validation NDCG among the λ whose validation diversity reaches {chosen.Reference}'s ({chosen.DiversityFloor:0.000}).\n")
                    : string.Create(CultureInfo.InvariantCulture, $"\nNo λ reaches {chosen.Reference}'s validation diversity ({chosen.DiversityFloor:0.000}); the most diverse is λ = {chosen.Lambda:0.##}.\n"));
            }
        }

        return sb.ToString();
    }
}
