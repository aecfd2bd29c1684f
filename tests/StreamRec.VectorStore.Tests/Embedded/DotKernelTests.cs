using StreamRec.VectorStore.Embedded.Internal;

namespace StreamRec.VectorStore.Tests.Embedded;

/// <summary>The scan's dot products against a sum in double precision, on every path: four rows at a time (dimensions
/// a multiple of 8, on processors with AVX2 and FMA), the rows left over (counts not a multiple of 4), and dimensions
/// the vector path does not take (5, 3).</summary>
public sealed class DotKernelTests
{
    [Theory]
    [InlineData(384, 64)]
    [InlineData(384, 7)]
    [InlineData(16, 4)]
    [InlineData(24, 9)]
    [InlineData(8, 5)]
    [InlineData(5, 6)]
    [InlineData(3, 1)]
    [InlineData(32, 0)]
    public void Dots_EqualTheExactSums(int dim, int rows)
    {
        var random = new Random(dim * 100 + rows);
        var query = Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        // One row and one score more than asked for: the kernel writes only the scores of the rows it was given.
        var data = Enumerable.Range(0, rows + 1).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()).ToArray();
        var scores = new float[rows + 1];
        scores[rows] = 42f;

        DotKernel.Dots(query, data.AsSpan(0, rows), scores.AsSpan(0, rows));

        for (var r = 0; r < rows; r++)
        {
            var exact = 0.0;
            for (var i = 0; i < dim; i++)
            {
                exact += (double)query[i] * data[r][i];
            }

            Assert.True(Math.Abs(exact - scores[r]) < 1e-5, $"row {r} of {rows} (dim {dim}): {scores[r]} vs {exact}");
        }

        Assert.Equal(42f, scores[rows]);
    }

    [Fact]
    public void Dots_RowsShorterThanTheQueryOrFewerThanAsked_ThrowInsteadOfReadingPastThem()
    {
        var query = new float[16];
        float[][] rows = [new float[16], new float[16], new float[16], new float[15]];
        Assert.Throws<ArgumentException>(() => DotKernel.Dots(query, rows, new float[4]));
        Assert.Throws<ArgumentException>(() => DotKernel.Dots(new float[15], rows[..3], new float[3]));
        Assert.Throws<ArgumentException>(() => DotKernel.Dots(query, rows[..3], new float[4]));
    }
}
