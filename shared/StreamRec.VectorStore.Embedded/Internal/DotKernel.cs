using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StreamRec.VectorStore.Embedded.Internal;

/// <summary>
/// Dot products of one query with consecutive rows of a segment, the scan's inner loop. Four rows at a time share each
/// load of the query and keep four sums in flight with fused multiply-adds (a dot product per row reloads the query for
/// every row and ends each row in its own call and horizontal sum); rows left over, dimensions that are not a multiple
/// of 8 and processors without AVX2 and FMA go through <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
/// Sums are taken in a fixed order, so the same inputs give the same scores on a machine; they may differ from
/// TensorPrimitives's, and between machines with and without fused multiply-add, in the last bits.
/// </summary>
internal static class DotKernel
{
    private const int RowsAtOnce = 4;
    private const int Width = 8; // floats in a Vector256

    /// <summary>scores[r] = query · rows[r·dim .. (r+1)·dim) for every r below scores.Length.</summary>
    public static void Dots(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dim, Span<float> scores)
    {
        var count = scores.Length;
        if (query.Length != dim || (long)count * dim > rows.Length)
        {
            throw new ArgumentException($"a query of {query.Length} dimensions and {rows.Length} row values do not hold {count} rows of {dim}");
        }

        var r = 0;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported && dim % Width == 0)
        {
            ref var q = ref MemoryMarshal.GetReference(query);
            ref var m = ref MemoryMarshal.GetReference(rows);
            for (; r + RowsAtOnce <= count; r += RowsAtOnce)
            {
                var a = (nuint)(r * dim);
                var b = a + (nuint)dim;
                var c = b + (nuint)dim;
                var d = c + (nuint)dim;
                Vector256<float> sa = default, sb = default, sc = default, sd = default;
                for (nuint i = 0; i < (nuint)dim; i += Width)
                {
                    var x = Vector256.LoadUnsafe(ref q, i);
                    sa = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref m, a + i), sa);
                    sb = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref m, b + i), sb);
                    sc = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref m, c + i), sc);
                    sd = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref m, d + i), sd);
                }

                scores[r] = Vector256.Sum(sa);
                scores[r + 1] = Vector256.Sum(sb);
                scores[r + 2] = Vector256.Sum(sc);
                scores[r + 3] = Vector256.Sum(sd);
            }
        }

        for (; r < count; r++)
        {
            scores[r] = TensorPrimitives.Dot(query, rows.Slice(r * dim, dim));
        }
    }
}
