using System.Globalization;
using StreamRec.Domain;

namespace StreamRec.Evaluation.StreamRecSystems;

/// <summary>A StreamRec configuration under test: its name and the profile and ranking options the engines get.</summary>
public sealed record StreamRecVariant(string Name, ProfileOptions Profile, RankingOptions Ranking);

/// <summary>StreamRec with its defaults, and the ablations that each switch one idea off.</summary>
public static class StreamRecVariants
{
    public const string Default = "streamrec";
    public const string NoDecay = "streamrec-no-decay";
    public const string ShortTermOnly = "streamrec-short-only";
    public const string LongTermOnly = "streamrec-long-only";
    public const string NoMmr = "streamrec-no-mmr";
    public const string NoFreshness = "streamrec-no-freshness";

    /// <summary>The λ values of the diversity sweep.</summary>
    public static readonly IReadOnlyList<double> SweepLambdas = [0, 0.25, 0.5, 0.7, 0.85, 1];

    /// <summary>Every ablation name, in report order.</summary>
    public static readonly IReadOnlyList<string> AblationNames = [NoDecay, ShortTermOnly, LongTermOnly, NoMmr, NoFreshness];

    /// <summary>
    /// The services' defaults, with one evaluation-only change: the seen filter remembers every item (the services keep
    /// the last 200), because the protocol excludes everything a user has seen for every system alike.
    /// </summary>
    public static StreamRecVariant Create(ProfileOptions? profile = null, RankingOptions? ranking = null) =>
        new(Default, WithFullSeenHistory(Copy(profile ?? new ProfileOptions())), Copy(ranking ?? new RankingOptions()));

    /// <summary>The named ablation of <paramref name="baseline"/>.</summary>
    public static StreamRecVariant Ablation(StreamRecVariant baseline, string name)
    {
        var p = Copy(baseline.Profile);
        var r = Copy(baseline.Ranking);
        switch (name)
        {
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

        return new StreamRecVariant(name, p, r);
    }

    /// <summary><paramref name="baseline"/> with MMR λ = <paramref name="lambda"/>, named <c>streamrec-mmr-0.25</c>.</summary>
    public static StreamRecVariant WithLambda(StreamRecVariant baseline, double lambda)
    {
        var r = Copy(baseline.Ranking);
        r.MmrLambda = lambda;
        return new StreamRecVariant(string.Create(CultureInfo.InvariantCulture, $"{Default}-mmr-{lambda:0.##}"), Copy(baseline.Profile), r);
    }

    public static ProfileOptions Copy(ProfileOptions o) => o.Clone();

    public static RankingOptions Copy(RankingOptions o) => o.Clone();

    private static ProfileOptions WithFullSeenHistory(ProfileOptions p)
    {
        p.SeenHistory = 10_000;
        return p;
    }
}
