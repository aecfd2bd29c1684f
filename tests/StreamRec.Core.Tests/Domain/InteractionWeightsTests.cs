using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

public sealed class InteractionWeightsTests
{
    private static readonly ProfileOptions Defaults = new();

    [Theory]
    [InlineData(5.0, 1.0)]
    [InlineData(4.5, 0.75)]
    [InlineData(4.0, 0.5)]
    [InlineData(3.0, 0.0)]
    [InlineData(2.0, -0.5)]
    [InlineData(1.0, -1.0)]
    [InlineData(0.5, -1.0)]
    [InlineData(0.0, -1.0)]
    public void Review_WeighsTheRatingAroundTheNeutralThree(double rating, double expected) =>
        Assert.Equal(expected, InteractionWeights.Review(rating, Defaults), 12);

    [Fact]
    public void Review_WithoutRating_UsesUnratedReviewWeight()
    {
        Assert.Equal(1.0, InteractionWeights.Review(null, Defaults));
        Assert.Equal(0.8, InteractionWeights.Review(null, new ProfileOptions { UnratedReviewWeight = 0.8 }));
    }

    [Fact]
    public void Review_NeutralRatingOption_MovesTheZero()
    {
        var options = new ProfileOptions { NeutralRating = 2.5 };

        Assert.Equal(0.0, InteractionWeights.Review(2.5, options), 12);
        Assert.Equal(0.2, InteractionWeights.Review(3.0, options), 12);
        Assert.Equal(-1.0, InteractionWeights.Review(0.0, options), 12);
    }

    [Fact]
    public void Review_NeutralFive_LeavesOnlyPlusOrMinusOne()
    {
        var options = new ProfileOptions { NeutralRating = 5 };

        Assert.Equal(1.0, InteractionWeights.Review(5, options));
        Assert.Equal(-1.0, InteractionWeights.Review(4.5, options));
    }

    [Fact]
    public void ReviewVector_BlendsItemAndTextByBeta_ThenNormalizes()
    {
        var v = InteractionWeights.ReviewVector([1, 0], [0, 1], Defaults);

        // normalize(0.7·(1,0) + 0.3·(0,1)) = (0.7, 0.3) / √0.58
        var norm = Math.Sqrt(0.58);
        Assert.Equal(0.7 / norm, v[0], 5);
        Assert.Equal(0.3 / norm, v[1], 5);
    }

    [Fact]
    public void ReviewVector_WithBetaOne_IsTheItem()
    {
        var v = InteractionWeights.ReviewVector([0, 2], [1, 0], new ProfileOptions { ReviewItemBlend = 1 });

        Assert.Equal([0f, 1f], v);
    }

    [Fact]
    public void ReviewVector_WithoutAUsableTextVector_IsTheItemNormalized()
    {
        Assert.Equal([0.6f, 0.8f], InteractionWeights.ReviewVector([3, 4], [], Defaults));
        Assert.Equal([0.6f, 0.8f], InteractionWeights.ReviewVector([3, 4], [0, 0], Defaults));
        Assert.Equal([0.6f, 0.8f], InteractionWeights.ReviewVector([3, 4], [1, 0, 0], Defaults));
    }
}
