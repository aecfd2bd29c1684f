using System.ComponentModel.DataAnnotations;

namespace StreamRec.Domain;

/// <summary>Retrieval and re-ranking knobs (DESIGN.md, "Ranking"). Section <c>StreamRec:Ranking</c>.</summary>
public sealed class RankingOptions
{
    public const string SectionName = "StreamRec:Ranking";

    /// <summary>K: candidates retrieved from the vector store per list. Default 200.</summary>
    [Range(1, 10_000)]
    public int Candidates { get; set; } = 200;

    /// <summary>N: items per published list. Default 10.</summary>
    [Range(1, 1_000)]
    public int ListSize { get; set; } = 10;

    /// <summary>λ of MMR: 1 = pure relevance, 0 = pure diversity. Default 0.5: chosen on the evaluation's validation
    /// period as the most accurate λ whose lists are at least as diverse as item-kNN's (docs/evaluation.md).</summary>
    [Range(0.0, 1.0)]
    public double MmrLambda { get; set; } = 0.5;

    /// <summary>w_t: weight of the text similarity <c>cos(q, v)</c> in the score. Default 1.</summary>
    [Range(0.0, 10.0)]
    public double TextWeight { get; set; } = 1.0;

    /// <summary>w_c: weight of the co-engagement score (normalised to [0, 1] over the candidates) in the score. Default 1;
    /// 0 leaves the co-engagement source out.</summary>
    [Range(0.0, 100.0)]
    public double CoEngagementWeight { get; set; } = 1.0;

    /// <summary>Candidates taken from the co-engagement source per list (besides the K text-nearest). Default 200.</summary>
    [Range(0, 10_000)]
    public int CoEngagementCandidates { get; set; } = 200;

    /// <summary>Candidates taken from the trending items per list. Default 20.</summary>
    [Range(0, 10_000)]
    public int TrendingCandidates { get; set; } = 20;

    /// <summary>How long the recommender keeps what it reads of a text candidate besides its vector (publication time
    /// and title), so a list's hits come from the store without payloads. A changed title or publication time shows in
    /// lists after at most this long; retired items are filtered by the store's query as before, and the co-engagement
    /// and trending candidates are read afresh with every list. Default 30; 0 reads each hit's payload with every list.</summary>
    [Range(0, 86_400)]
    public int ItemFactsCacheSeconds { get; set; } = 30;

    /// <summary>w_f: weight of freshness <c>2^(-age/FreshnessHalfLife)</c> in the score. Default 0.1.</summary>
    [Range(0.0, 10.0)]
    public double FreshnessWeight { get; set; } = 0.1;

    /// <summary>Age at which an item's freshness bonus halves. Default 30 days.</summary>
    public TimeSpan FreshnessHalfLife { get; set; } = TimeSpan.FromDays(30);

    /// <summary>w_p: weight of the trend score (normalised to [0, 1] over the candidates) in the score. Default 0.3 (chosen
    /// on MovieLens's validation period over 0.1, 0.2 and 0.5, once trending had its popularity prior).</summary>
    [Range(0.0, 10.0)]
    public double TrendWeight { get; set; } = 0.3;

    /// <summary>Half-life of the trending counts kept from the click stream. Default 6 hours.</summary>
    public TimeSpan TrendingHalfLife { get; set; } = TimeSpan.FromHours(6);

    /// <summary>K: the strength, in clicks, of the popularity prior trending is shrunk towards (an item scores its
    /// trending count plus K times its share of clicks over <see cref="TrendingPriorHalfLife"/>). With far more than K
    /// clicks per trending half-life the list follows what is trending; with fewer it stays close to what was popular.
    /// Default 100; 0 turns the prior off.</summary>
    [Range(0.0, 1e12)]
    public double TrendingPriorWeight { get; set; } = 100;

    /// <summary>Half-life of the popularity prior's counts. Default 90 days.</summary>
    public TimeSpan TrendingPriorHalfLife { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Items younger than this count as "fresh" in the served-list metrics and reasons. Default 7 days.</summary>
    public TimeSpan FreshHorizon { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A copy, for variants that change a knob or two.</summary>
    public RankingOptions Clone() => (RankingOptions)MemberwiseClone();
}
