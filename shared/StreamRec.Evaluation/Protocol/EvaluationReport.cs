using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamRec.Evaluation.Protocol;

/// <summary>Accuracy over a set of targets (means over targets).</summary>
/// <param name="Targets">How many targets the means are over.</param>
/// <param name="HitRate">HitRate@ListSize (default @10).</param>
/// <param name="Ndcg">NDCG@ListSize with the single clicked item relevant.</param>
/// <param name="Recall">Recall@RecallListSize (default @20) over the user's next clicks within the window.</param>
/// <param name="Mrr">Mean reciprocal rank, cut at RecallListSize.</param>
public sealed record MetricSet(int Targets, double HitRate, double Ndcg, double Recall, double Mrr);

/// <param name="Window">Label, e.g. <c>2005</c> or <c>2005-Q3</c>.</param>
/// <param name="Start">First instant of the window.</param>
public sealed record WindowResult(string Window, DateTimeOffset Start, MetricSet Metrics);

/// <summary>Everything measured for one system.</summary>
/// <param name="Coverage">Distinct items in any top-ListSize list / items in the catalogue at the end.</param>
/// <param name="Diversity">Mean intra-list diversity (mean pairwise 1 − cos of the encoder's item vectors, same for every system).</param>
/// <param name="Novelty">Mean self-information (bits) of recommended items.</param>
/// <param name="MeanAgeDays">Mean age (days since published_at, at list time) of recommended items.</param>
/// <param name="ExclusionViolations">Lists that contained an item the user had already interacted with.</param>
/// <param name="ShortLists">Lists shorter than asked (fewer than ListSize items).</param>
/// <param name="ObserveSeconds">Wall time spent in ObserveAsync.</param>
/// <param name="RecommendSeconds">Wall time spent in RecommendAsync.</param>
public sealed record SystemResult(
    string Name,
    MetricSet Overall,
    MetricSet ColdUsers,
    MetricSet ColdItems,
    double Coverage,
    double Diversity,
    double Novelty,
    double MeanAgeDays,
    int ExclusionViolations,
    int ShortLists,
    double ObserveSeconds,
    double RecommendSeconds,
    IReadOnlyList<WindowResult> Windows)
{
    /// <summary>Targets in the first half of the scored period: where settings are chosen.</summary>
    public MetricSet? Validation { get; init; }

    /// <summary>Targets in the second half: where results are reported.</summary>
    public MetricSet? Test { get; init; }

    /// <summary><see cref="Diversity"/> over the validation period's lists only.</summary>
    public double? ValidationDiversity { get; init; }

    /// <summary><see cref="Diversity"/> over the test period's lists only.</summary>
    public double? TestDiversity { get; init; }

    /// <summary>Cold-item metrics over the validation period's cold-item targets only: how a setting's cost on new
    /// items is judged without looking at the test period.</summary>
    public MetricSet? ValidationColdItems { get; init; }

    /// <summary>NDCG over the best baseline's, all targets, with its paired-bootstrap 95 % interval.</summary>
    public RatioInterval? NdcgVsBest { get; init; }

    /// <summary>The same on the test period only.</summary>
    public RatioInterval? TestNdcgVsBest { get; init; }

    /// <summary>HitRate over the best baseline's, all targets.</summary>
    public RatioInterval? HitRateVsBest { get; init; }

    /// <summary>NDCG over the best baseline's on the cold-item targets (all periods): whether a sample's cold-item
    /// ratio can be told apart from a goal, with a few hundred such targets.</summary>
    public RatioInterval? ColdItemNdcgVsBest { get; init; }
}

/// <summary>A ratio of two systems' mean metric over the same targets, with the 2.5 and 97.5 percentiles of the ratio
/// over paired bootstrap resamples of the targets (both systems resampled together).</summary>
/// <param name="High">The upper end; <see cref="double.PositiveInfinity"/> when unbounded (the reference scored nothing on
/// more than 2.5 % of the resamples), written as null in the JSON.</param>
public sealed record RatioInterval(string Reference, double Ratio, double Low, [property: JsonConverter(typeof(UnboundedAsNullConverter))] double High);

/// <summary>A number that may be +∞ (unbounded) as JSON, which has no infinity: null stands for it, both ways.</summary>
public sealed class UnboundedAsNullConverter : JsonConverter<double>
{
    public override bool HandleNull => true;

    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.PositiveInfinity : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsPositiveInfinity(value))
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteNumberValue(value);
        }
    }
}

/// <summary>What was replayed.</summary>
public sealed record DatasetSummary(
    long Events,
    int Items,
    int Users,
    long Clicks,
    long Reviews,
    DateTimeOffset First,
    DateTimeOffset Last,
    DateTimeOffset WarmupEnd,
    int EligibleTargets,
    int ScoredTargets)
{
    /// <summary>Where the validation period ends and the test period begins (the middle of the scored period).</summary>
    public DateTimeOffset? TestStart { get; init; }
}

/// <summary>One point of the MMR λ sweep: over all targets, and on the validation period (where λ is chosen).</summary>
public sealed record SweepPoint(double Lambda, string System, double Ndcg, double Diversity)
{
    public double? ValidationNdcg { get; init; }

    public double? ValidationDiversity { get; init; }

    public double? TestNdcg { get; init; }

    public double? TestDiversity { get; init; }
}

/// <summary>
/// The MMR λ chosen on the validation period: the best validation NDCG among the λ whose validation diversity reaches
/// the best baseline's (<paramref name="DiversityFloor"/>); when none does, the most diverse one.
/// </summary>
public sealed record LambdaChoice(double Lambda, string System, double DiversityFloor, string Reference, bool FloorMet)
{
    /// <summary>Chooses from <paramref name="sweep"/> (points with validation figures) against <paramref name="reference"/>'s validation diversity.</summary>
    public static LambdaChoice? Choose(IReadOnlyList<SweepPoint> sweep, string reference, double diversityFloor)
    {
        var points = sweep.Where(p => p.ValidationNdcg is not null && p.ValidationDiversity is not null).ToArray();
        if (points.Length == 0)
        {
            return null;
        }

        var meeting = points.Where(p => p.ValidationDiversity >= diversityFloor).ToArray();
        var best = meeting.Length > 0
            ? meeting.OrderByDescending(p => p.ValidationNdcg).ThenByDescending(p => p.ValidationDiversity).First()
            : points.OrderByDescending(p => p.ValidationDiversity).First();
        return new LambdaChoice(best.Lambda, best.System, diversityFloor, reference, meeting.Length > 0);
    }
}

/// <summary>The whole run: settings, dataset summary and one result per system.</summary>
public sealed record EvaluationReport(
    string Dataset,
    string? Encoder,
    EvaluationSettings Settings,
    DatasetSummary Summary,
    IReadOnlyList<SystemResult> Systems)
{
    /// <summary>Filled by the caller when it ran the λ sweep.</summary>
    public IReadOnlyList<SweepPoint>? LambdaSweep { get; init; }

    /// <summary>The λ the sweep chose on the validation period (with the sweep).</summary>
    public LambdaChoice? ChosenLambda { get; init; }
}

/// <summary>The protocol settings a report was produced with (a copy of <see cref="EvaluationOptions"/>).</summary>
public sealed record EvaluationSettings(
    double WarmupFraction,
    int Seed,
    int? MaxTargets,
    int ListSize,
    int RecallListSize,
    double RecallWindowDays,
    int ColdUserThreshold,
    int ColdItemThreshold,
    int WindowMonths)
{
    public static EvaluationSettings From(EvaluationOptions o) => new(
        o.WarmupFraction, o.Seed, o.MaxTargets, o.ListSize, o.RecallListSize, o.RecallWindow.TotalDays, o.ColdUserThreshold, o.ColdItemThreshold, o.WindowMonths);
}

// Named literals ("NaN") for any other number that is not finite: a results file written after a long replay must
// not fail at the last step (the unbounded interval end above did, 2026-12-07).
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(EvaluationReport))]
public sealed partial class EvaluationJsonContext : JsonSerializerContext;
