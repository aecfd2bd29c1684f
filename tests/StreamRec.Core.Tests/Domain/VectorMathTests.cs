using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

public sealed class VectorMathTests
{
    [Fact]
    public void IntraListDiversity_HandComputed()
    {
        var h = (float)Math.Sqrt(0.5);
        float[][] vectors = [[1, 0], [0, 1], [h, h]];

        // pairs: (e1,e2) 1 - 0 = 1; (e1,d) 1 - √½; (e2,d) 1 - √½ → mean (3 - 2·√½) / 3 = (3 - √2) / 3
        Assert.Equal((3 - Math.Sqrt(2)) / 3, VectorMath.IntraListDiversity(vectors), 6);
    }

    [Fact]
    public void IntraListDiversity_OppositeVectors_IsTwo_IdenticalIsZero()
    {
        Assert.Equal(2.0, VectorMath.IntraListDiversity([[1, 0], [-1, 0]]), 6);
        Assert.Equal(0.0, VectorMath.IntraListDiversity([[0, 1], [0, 1], [0, 1]]), 6);
    }

    [Fact]
    public void IntraListDiversity_FewerThanTwoVectors_IsZero()
    {
        Assert.Equal(0.0, VectorMath.IntraListDiversity([]));
        Assert.Equal(0.0, VectorMath.IntraListDiversity([[1, 0]]));
    }

    [Fact]
    public void NormalizeInPlace_ScalesToUnitLength()
    {
        float[] v = [3, 4];

        Assert.True(VectorMath.NormalizeInPlace(v));

        Assert.Equal([0.6f, 0.8f], v);
    }

    [Fact]
    public void NormalizeInPlace_ZeroOrNonFinite_GivesZerosAndFalse()
    {
        float[] zero = [0, 0];
        float[] nan = [float.NaN, 1];
        float[] inf = [float.PositiveInfinity, 1];

        Assert.False(VectorMath.NormalizeInPlace(zero));
        Assert.False(VectorMath.NormalizeInPlace(nan));
        Assert.False(VectorMath.NormalizeInPlace(inf));
        Assert.Equal([0f, 0f], zero);
        Assert.Equal([0f, 0f], nan);
        Assert.Equal([0f, 0f], inf);
    }

    [Fact]
    public void Normalized_LeavesTheInputAlone()
    {
        float[] v = [0, 2];

        var unit = VectorMath.Normalized(v);

        Assert.Equal([0f, 1f], unit);
        Assert.Equal([0f, 2f], v);
    }

    [Fact]
    public void Cosine_OfArbitraryVectors_AndZeroWithoutDirection()
    {
        Assert.Equal(0.6f, VectorMath.Cosine([3, 4], [1, 0]), 6);
        Assert.Equal(-1f, VectorMath.Cosine([2, 2], [-5, -5]), 6);
        Assert.Equal(0f, VectorMath.Cosine([0, 0], [1, 0]));
    }

    [Fact]
    public void ScaleAndAdd_IsTargetTimesScalePlusWeightTimesX()
    {
        float[] target = [1, 2];

        VectorMath.ScaleAndAdd(target, 0.5f, [4, -2], 0.25f);

        Assert.Equal([1.5f, 0.5f], target);
    }

    [Fact]
    public void IsFinite_SpotsNaNAndInfinity()
    {
        Assert.True(VectorMath.IsFinite([0, -1, 3.5f]));
        Assert.False(VectorMath.IsFinite([0, float.NaN]));
        Assert.False(VectorMath.IsFinite([float.NegativeInfinity]));
    }
}
