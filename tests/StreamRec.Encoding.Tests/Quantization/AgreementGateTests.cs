using StreamRec.Encoding.Quantization;

namespace StreamRec.Encoding.Tests.Quantization;

public sealed class AgreementGateTests
{
    private static readonly IReadOnlyList<string> Texts = GateTexts.Create(60);

    private static float[][] RandomUnitVectors(int count, int dimension, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var v = Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return v.Select(x => x / norm).ToArray();
        }).ToArray();
    }

    [Fact]
    public void Measure_SameVectors_AgreeFullyAndPass()
    {
        var vectors = RandomUnitVectors(Texts.Count, 16, 1);

        var figures = AgreementGate.Measure(Texts, vectors, vectors.Select(v => v.ToArray()).ToArray());

        Assert.Equal(1.0, figures.MeanCosine, 6);
        Assert.Equal(1.0, figures.MinCosine, 6);
        Assert.Equal(1.0, figures.RecallAt10);
        Assert.Equal(10, figures.Queries);
        Assert.Empty(AgreementGate.Failures(figures));
    }

    [Fact]
    public void Measure_OneVectorFlipped_FailsOnTheMinimumAndNamesItsText()
    {
        var reference = RandomUnitVectors(Texts.Count, 16, 2);
        var candidate = reference.Select(v => v.ToArray()).ToArray();
        candidate[7] = candidate[7].Select(x => -x).ToArray();

        var figures = AgreementGate.Measure(Texts, reference, candidate);
        var failures = AgreementGate.Failures(figures);

        Assert.Equal(-1.0, figures.MinCosine, 6);
        Assert.Equal(Texts[7], figures.WorstText);
        Assert.Contains(failures, f => f.StartsWith("min cosine", StringComparison.Ordinal) && f.Contains(Texts[7], StringComparison.Ordinal));
    }

    [Fact]
    public void Measure_UnrelatedVectors_FailEveryThreshold()
    {
        var figures = AgreementGate.Measure(Texts, RandomUnitVectors(Texts.Count, 16, 3), RandomUnitVectors(Texts.Count, 16, 4));

        Assert.True(figures.RecallAt10 < 0.5, $"recall {figures.RecallAt10}");
        Assert.Equal(3, AgreementGate.Failures(figures).Count);
    }
}
