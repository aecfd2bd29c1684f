using System.Globalization;

namespace StreamRec.Encoding.Quantization;

/// <summary>How far a quantized model's vectors agree with its source model's on the same texts.</summary>
/// <param name="MeanCosine">Mean over the texts of cos(fp32 vector, int8 vector).</param>
/// <param name="MinCosine">The lowest of those cosines.</param>
/// <param name="WorstText">The text with the lowest cosine.</param>
/// <param name="Queries">How many texts were queries in the neighbour check.</param>
/// <param name="RecallAt10">Mean share of each query's 10 nearest texts under fp32 that are also among its 10 nearest under int8.</param>
public sealed record AgreementFigures(int Texts, double MeanCosine, double MinCosine, string WorstText, int Queries, double RecallAt10)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Texts} texts: cosine mean {MeanCosine:F4}, min {MinCosine:F4}; nearest-neighbour recall@10 {RecallAt10:F3} over {Queries} queries");
}

/// <summary>Lowest mean cosine, lowest single cosine and lowest recall@10 a quantized model may show.</summary>
public sealed record AgreementThresholds(double MeanCosine, double MinCosine, double RecallAt10);

/// <summary>
/// The quality gate a quantized model must pass before it is written: its vectors agree with the source model's to mean
/// cosine ≥ 0.99 and min ≥ 0.95, and the nearest neighbours of a sample of texts agree (recall@10 ≥ 0.9). The
/// thresholds are those of issue 17: what dynamic int8 quantization of a MiniLM-class model is commonly reported to
/// keep; a model that loses more than that would change recommendations, not just their cost.
/// </summary>
public static class AgreementGate
{
    public const double MinMeanCosine = 0.99;
    public const double MinMinCosine = 0.95;
    public const double MinRecallAt10 = 0.9;
    public const int Neighbours = 10;

    /// <summary>Every <c>QueryStride</c>-th text is a query of the neighbour check (100 queries among 600 texts).</summary>
    public const int QueryStride = 6;

    /// <summary>Compares unit vectors <paramref name="reference"/>[i] and <paramref name="candidate"/>[i] of the same <paramref name="texts"/>.</summary>
    public static AgreementFigures Measure(IReadOnlyList<string> texts, float[][] reference, float[][] candidate)
    {
        if (reference.Length != texts.Count || candidate.Length != texts.Count || texts.Count <= Neighbours)
        {
            throw new ArgumentException($"Need one reference and one candidate vector for each of more than {Neighbours} texts.");
        }

        var sum = 0.0;
        var min = double.MaxValue;
        var worst = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            var cos = Cosine(reference[i], candidate[i]);
            sum += cos;
            if (cos < min)
            {
                (min, worst) = (cos, i);
            }
        }

        var queries = 0;
        var recall = 0.0;
        for (var q = 0; q < texts.Count; q += QueryStride)
        {
            var expected = Nearest(reference, q);
            var actual = Nearest(candidate, q);
            recall += expected.Intersect(actual).Count() / (double)Neighbours;
            queries++;
        }

        return new AgreementFigures(texts.Count, sum / texts.Count, min, texts[worst], queries, recall / queries);
    }

    /// <summary>The gate's thresholds (tests pass others to see a refusal).</summary>
    public static AgreementThresholds Default { get; } = new(MinMeanCosine, MinMinCosine, MinRecallAt10);

    /// <summary>Why <paramref name="figures"/> fail the gate (<see cref="Default"/> thresholds unless given); empty when they pass.</summary>
    public static IReadOnlyList<string> Failures(AgreementFigures figures, AgreementThresholds? thresholds = null)
    {
        var gate = thresholds ?? Default;
        var failures = new List<string>();
        if (!(figures.MeanCosine >= gate.MeanCosine))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"mean cosine {figures.MeanCosine:F4} < {gate.MeanCosine}"));
        }

        if (!(figures.MinCosine >= gate.MinCosine))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"min cosine {figures.MinCosine:F4} < {gate.MinCosine} (\"{figures.WorstText}\")"));
        }

        if (!(figures.RecallAt10 >= gate.RecallAt10))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"recall@10 {figures.RecallAt10:F3} < {gate.RecallAt10}"));
        }

        return failures;
    }

    private static int[] Nearest(float[][] vectors, int query) =>
        Enumerable.Range(0, vectors.Length)
            .Where(i => i != query)
            .OrderByDescending(i => Cosine(vectors[query], vectors[i]))
            .ThenBy(i => i)
            .Take(Neighbours)
            .ToArray();

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return na > 0 && nb > 0 ? dot / Math.Sqrt(na * nb) : 0;
    }
}
