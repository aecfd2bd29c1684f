namespace StreamRec.Evaluation.Protocol;

/// <summary>
/// Paired bootstrap of a ratio of means: the targets are resampled with replacement and both systems are scored on the
/// same resample, so the interval reflects the difference between the systems rather than how hard the targets were.
/// </summary>
public static class PairedBootstrap
{
    /// <summary>mean(a)/mean(b) over <paramref name="subset"/>, with the 2.5 and 97.5 percentiles over
    /// <paramref name="resamples"/> seeded resamples; null when the reference scores nothing there. A resample where
    /// the reference scores nothing has an infinite ratio: when more than 2.5 % of them do (a few hundred cold-item
    /// targets, a reference that finds a handful), the upper end is <see cref="double.PositiveInfinity"/>, unbounded.</summary>
    public static RatioInterval? Ratio(string reference, IReadOnlyList<double> a, IReadOnlyList<double> b, IReadOnlyList<int> subset, int resamples, int seed)
    {
        double sumA = 0, sumB = 0;
        foreach (var i in subset)
        {
            sumA += a[i];
            sumB += b[i];
        }

        if (subset.Count == 0 || sumB <= 0)
        {
            return null;
        }

        var random = new Random(seed);
        var ratios = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            double ra = 0, rb = 0;
            for (var k = 0; k < subset.Count; k++)
            {
                var i = subset[random.Next(subset.Count)];
                ra += a[i];
                rb += b[i];
            }

            ratios[r] = rb > 0 ? ra / rb : double.PositiveInfinity;
        }

        Array.Sort(ratios);
        return new RatioInterval(reference, sumA / sumB, Percentile(ratios, 0.025), Percentile(ratios, 0.975));
    }

    private static double Percentile(double[] sorted, double p)
    {
        var position = p * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        if (sorted[upper] == sorted[lower] || position == lower)
        {
            return sorted[lower]; // also keeps ∞ − ∞ (NaN) out when both neighbours are unbounded
        }

        return double.IsPositiveInfinity(sorted[upper]) ? double.PositiveInfinity : sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }
}
