using System.ComponentModel.DataAnnotations;

namespace StreamRec.Evaluation;

/// <summary>The replay protocol's knobs (docs/evaluation.md). Section <c>StreamRec:Evaluation</c>.</summary>
public sealed class EvaluationOptions
{
    public const string SectionName = "StreamRec:Evaluation";

    /// <summary>Share of the timeline (by time, from the first to the last event) that only trains: no targets there. Default 0.2.</summary>
    [Range(0.0, 0.99)]
    public double WarmupFraction { get; set; } = 0.2;

    /// <summary>Seed of the target sampling (used only when there are more targets than <see cref="MaxTargets"/>). Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Score at most this many targets, drawn uniformly with <see cref="Seed"/>; null = every target. Default null.</summary>
    [Range(1, int.MaxValue)]
    public int? MaxTargets { get; set; }

    /// <summary>k of HitRate@k and NDCG@k, and the list used for coverage, diversity, novelty and freshness. Default 10.</summary>
    [Range(1, 1000)]
    public int ListSize { get; set; } = 10;

    /// <summary>k of Recall@k and MRR@k: the length of the list each system is asked for (≥ <see cref="ListSize"/>). Default 20.</summary>
    [Range(1, 1000)]
    public int RecallListSize { get; set; } = 20;

    /// <summary>Recall counts the user's next clicks within this window after the target (the target included). Default 7 days.</summary>
    public TimeSpan RecallWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A target is in the cold-user slice when its user had fewer prior interactions (distinct items) than this. Default 5.</summary>
    [Range(1, 1000)]
    public int ColdUserThreshold { get; set; } = 5;

    /// <summary>A target is in the cold-item slice when its item had fewer prior interacting users than this. Default 5.</summary>
    [Range(1, 1000)]
    public int ColdItemThreshold { get; set; } = 5;

    /// <summary>Length of the time windows metrics are also reported over, in months (3 = quarters, 12 = years). Default 12.</summary>
    [Range(1, 120)]
    public int WindowMonths { get; set; } = 12;

    /// <summary>Texts per encoder call when the evaluator encodes the catalogue. Default 64.</summary>
    [Range(1, 4096)]
    public int EncodeBatchSize { get; set; } = 64;

    /// <summary>The systems every other one is compared with: the best of them (by overall NDCG) is the reference of
    /// the ratio intervals. Default most-popular, recent-popular, item-knn.</summary>
    public IReadOnlyList<string> Baselines { get; set; } = ["most-popular", "recent-popular", "item-knn"];

    /// <summary>Paired bootstrap resamples behind each ratio interval. Default 1,000.</summary>
    [Range(100, 100_000)]
    public int BootstrapResamples { get; set; } = 1_000;
}
