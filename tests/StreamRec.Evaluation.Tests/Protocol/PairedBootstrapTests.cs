using StreamRec.Evaluation.Protocol;

namespace StreamRec.Evaluation.Tests.Protocol;

public sealed class PairedBootstrapTests
{
    [Fact]
    public void Ratio_SystemTwiceTheReferenceOnEveryTarget_IsExactlyTwoWithANullWidthInterval()
    {
        var reference = Enumerable.Range(0, 200).Select(i => (i % 7) / 7.0 + 0.1).ToArray();
        var system = reference.Select(x => 2 * x).ToArray();

        var r = PairedBootstrap.Ratio("ref", system, reference, Enumerable.Range(0, 200).ToArray(), resamples: 500, seed: 1)!;

        Assert.Equal(2.0, r.Ratio, 12);
        Assert.Equal(2.0, r.Low, 9);
        Assert.Equal(2.0, r.High, 9);
    }

    [Fact]
    public void Ratio_NoisyDifference_IntervalContainsTheRatioAndExcludesOneWhenTheGapIsLarge()
    {
        var random = new Random(3);
        var reference = Enumerable.Range(0, 2_000).Select(_ => random.NextDouble() < 0.1 ? 1.0 : 0.0).ToArray();
        var system = Enumerable.Range(0, 2_000).Select(_ => random.NextDouble() < 0.2 ? 1.0 : 0.0).ToArray();

        var r = PairedBootstrap.Ratio("ref", system, reference, Enumerable.Range(0, 2_000).ToArray(), resamples: 1_000, seed: 1)!;

        Assert.InRange(r.Ratio, r.Low, r.High);
        Assert.True(r.Low > 1.0, $"[{r.Low}, {r.High}]");
        Assert.True(r.High - r.Low < 1.0);
    }

    [Fact]
    public void Ratio_ReferenceScoresOnAFewTargetsOnly_UpperEndIsUnboundedNotNaN()
    {
        // The reference scores on 3 targets of 100: about 5 % of resamples draw none of them (0.97^100), an infinite
        // ratio; the 97.5th percentile then lies among them.
        var reference = Enumerable.Range(0, 100).Select(i => i < 3 ? 1.0 : 0.0).ToArray();
        var system = Enumerable.Range(0, 100).Select(i => i % 10 == 0 ? 1.0 : 0.0).ToArray();

        var r = PairedBootstrap.Ratio("ref", system, reference, Enumerable.Range(0, 100).ToArray(), resamples: 1_000, seed: 1)!;

        Assert.Equal(10.0 / 3, r.Ratio, 12);
        Assert.True(double.IsPositiveInfinity(r.High), $"high {r.High}");
        Assert.True(double.IsFinite(r.Low) && r.Low <= r.Ratio, $"low {r.Low}");
    }

    [Fact]
    public void Ratio_ReferenceScoresNothing_IsNull()
    {
        Assert.Null(PairedBootstrap.Ratio("ref", [1, 0], [0, 0], [0, 1], 100, 1));
    }

    [Fact]
    public void Ratio_Subset_UsesOnlyThoseTargets()
    {
        double[] system = [1, 0, 4];
        double[] reference = [1, 1, 1];

        var r = PairedBootstrap.Ratio("ref", system, reference, [2], 100, 1)!;

        Assert.Equal(4.0, r.Ratio, 12);
    }
}

public sealed class StreamRecVariantParseTests
{
    [Fact]
    public void Parse_SettingsOfEverySection_AreApplied()
    {
        var baseline = StreamRec.Evaluation.StreamRecSystems.StreamRecVariants.Create();

        var v = StreamRec.Evaluation.StreamRecSystems.StreamRecVariants.Parse(
            "mine:Ranking:CoEngagementWeight=2.5;CoEngagement:QueryHalfLifePositions=3;Profile:ShortTermWeight=0.25", baseline);

        Assert.Equal("mine", v.Name);
        Assert.Equal(2.5, v.Ranking.CoEngagementWeight);
        Assert.Equal(3, v.CoEngagement.QueryHalfLifePositions);
        Assert.Equal(0.25, v.Profile.ShortTermWeight);
        Assert.NotEqual(2.5, baseline.Ranking.CoEngagementWeight);
    }

    [Theory]
    [InlineData("noname")]
    [InlineData("x:Ranking:NoSuchKnob=1")]
    [InlineData("x:Nowhere:TextWeight=1")]
    [InlineData("x:Ranking:TextWeight")]
    public void Parse_Malformed_ThrowsNamingTheProblem(string spec)
    {
        var ex = Assert.Throws<ArgumentException>(() => StreamRec.Evaluation.StreamRecSystems.StreamRecVariants.Parse(spec, StreamRec.Evaluation.StreamRecSystems.StreamRecVariants.Create()));

        Assert.Contains(spec.Split(':')[0], ex.Message, StringComparison.Ordinal);
    }
}
