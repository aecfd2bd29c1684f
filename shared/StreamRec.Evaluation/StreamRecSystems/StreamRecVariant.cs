using System.Globalization;
using StreamRec.Domain;

namespace StreamRec.Evaluation.StreamRecSystems;

/// <summary>A StreamRec configuration under test: its name and the profile, ranking and co-engagement options the engines get.</summary>
public sealed record StreamRecVariant(string Name, ProfileOptions Profile, RankingOptions Ranking, CoEngagementOptions CoEngagement);

/// <summary>StreamRec with its defaults, and the ablations that each switch one idea off.</summary>
public static class StreamRecVariants
{
    public const string Default = "streamrec";
    public const string NoDecay = "streamrec-no-decay";
    public const string ShortTermOnly = "streamrec-short-only";
    public const string LongTermOnly = "streamrec-long-only";
    public const string NoMmr = "streamrec-no-mmr";
    public const string NoFreshness = "streamrec-no-freshness";
    public const string TextOnly = "streamrec-text-only";
    public const string CoEngagementOnly = "streamrec-co-only";
    public const string NoRecencyWeighting = "streamrec-no-recency";
    public const string NoPairDistance = "streamrec-no-pair-distance";
    public const string NoText = "streamrec-no-text";
    public const string NoTrending = "streamrec-no-trending";
    public const string QueryPositiveOnly = "streamrec-query-positive";
    public const string NoRatingWeights = "streamrec-no-rating-weights";

    /// <summary>The λ values of the diversity sweep.</summary>
    public static readonly IReadOnlyList<double> SweepLambdas = [0, 0.25, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.85, 1];

    /// <summary>Every ablation name, in report order.</summary>
    public static readonly IReadOnlyList<string> AblationNames =
        [TextOnly, CoEngagementOnly, NoRecencyWeighting, NoPairDistance, QueryPositiveOnly, NoRatingWeights, NoText, NoTrending, NoDecay, ShortTermOnly, LongTermOnly, NoMmr, NoFreshness];

    /// <summary>
    /// The services' defaults, with one evaluation-only change: the seen filter remembers every item (the services keep
    /// the last 200), because the protocol excludes everything a user has seen for every system alike.
    /// </summary>
    public static StreamRecVariant Create(ProfileOptions? profile = null, RankingOptions? ranking = null, CoEngagementOptions? coEngagement = null) =>
        new(Default, WithFullSeenHistory(Copy(profile ?? new ProfileOptions())), Copy(ranking ?? new RankingOptions()), (coEngagement ?? new CoEngagementOptions()).Clone());

    /// <summary>The named ablation of <paramref name="baseline"/>.</summary>
    public static StreamRecVariant Ablation(StreamRecVariant baseline, string name)
    {
        var p = Copy(baseline.Profile);
        var r = Copy(baseline.Ranking);
        var c = baseline.CoEngagement.Clone();
        switch (name)
        {
            case TextOnly:
                // The system before co-engagement: text-nearest candidates, freshness and trend only.
                r.CoEngagementWeight = 0;
                r.TrendingCandidates = 0;
                break;
            case CoEngagementOnly:
                r.TextWeight = 0;
                r.FreshnessWeight = 0;
                r.TrendWeight = 0;
                r.TrendingCandidates = 0;
                break;
            case NoRecencyWeighting:
                c.QueryHalfLifePositions = 0;
                break;
            case NoPairDistance:
                c.PairHalfLifePositions = 0;
                break;
            case QueryPositiveOnly:
                // The co-engagement query only from the items the user engaged with positively.
                c.NotPositiveQueryWeight = 0;
                break;
            case NoRatingWeights:
                // Low ratings count like high ones, in the pairs and in the query.
                c.NotPositivePairWeight = 1;
                c.NotPositiveQueryWeight = 1;
                break;
            case NoText:
                r.TextWeight = 0;
                break;
            case NoTrending:
                r.TrendWeight = 0;
                r.TrendingCandidates = 0;
                break;
            case NoDecay:
                // Decay.Factor treats MaxValue as "never decays": both sums become plain sums.
                p.ShortTermHalfLife = TimeSpan.MaxValue;
                p.LongTermHalfLife = TimeSpan.MaxValue;
                break;
            case ShortTermOnly:
                p.ShortTermWeight = 1;
                break;
            case LongTermOnly:
                p.ShortTermWeight = 0;
                break;
            case NoMmr:
                r.MmrLambda = 1;
                break;
            case NoFreshness:
                r.FreshnessWeight = 0;
                break;
            default:
                throw new ArgumentException($"unknown ablation '{name}'; known: {string.Join(", ", AblationNames)}", nameof(name));
        }

        return new StreamRecVariant(name, p, r, c);
    }

    /// <summary><paramref name="baseline"/> with MMR λ = <paramref name="lambda"/>, named <c>streamrec-mmr-0.25</c>.</summary>
    public static StreamRecVariant WithLambda(StreamRecVariant baseline, double lambda)
    {
        var r = Copy(baseline.Ranking);
        r.MmrLambda = lambda;
        return new StreamRecVariant(string.Create(CultureInfo.InvariantCulture, $"{Default}-mmr-{lambda:0.##}"), Copy(baseline.Profile), r, baseline.CoEngagement.Clone());
    }

    /// <summary>
    /// A variant from <c>NAME:Section:Key=Value;Section:Key=Value</c> (sections <c>Ranking</c>, <c>Profile</c>,
    /// <c>CoEngagement</c>; keys are the options' property names), starting from <paramref name="baseline"/>. How
    /// settings are compared on the validation period without editing code.
    /// </summary>
    public static StreamRecVariant Parse(string spec, StreamRecVariant baseline)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new ArgumentException($"variant '{spec}': expected NAME:Section:Key=Value[;Section:Key=Value...]", nameof(spec));
        }

        var p = Copy(baseline.Profile);
        var r = Copy(baseline.Ranking);
        var c = baseline.CoEngagement.Clone();
        foreach (var setting in spec[(colon + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = setting.Split('=', 2, StringSplitOptions.TrimEntries);
            var key = parts[0].Split(':', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || key.Length != 2)
            {
                throw new ArgumentException($"variant '{spec}': '{setting}' is not Section:Key=Value", nameof(spec));
            }

            object target = key[0].ToUpperInvariant() switch
            {
                "RANKING" => r,
                "PROFILE" => p,
                "COENGAGEMENT" => c,
                _ => throw new ArgumentException($"variant '{spec}': unknown section '{key[0]}' (Ranking, Profile, CoEngagement)", nameof(spec)),
            };
            var property = target.GetType().GetProperty(key[1], System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase)
                ?? throw new ArgumentException($"variant '{spec}': {key[0]} has no option '{key[1]}'", nameof(spec));
            var converter = System.ComponentModel.TypeDescriptor.GetConverter(property.PropertyType);
            property.SetValue(target, converter.ConvertFromInvariantString(parts[1]));
        }

        return new StreamRecVariant(spec[..colon], p, r, c);
    }

    public static ProfileOptions Copy(ProfileOptions o) => o.Clone();

    public static RankingOptions Copy(RankingOptions o) => o.Clone();

    private static ProfileOptions WithFullSeenHistory(ProfileOptions p)
    {
        p.SeenHistory = 10_000;
        return p;
    }
}
