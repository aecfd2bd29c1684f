using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StreamRec.VectorStore.Embedded.Internal;

/// <summary>
/// Dot products of one query with a block of rows (an array each), the scan's inner loop. Four rows at a time share each
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

    /// <summary>scores[r] = query · rows[r] for every r below scores.Length; every row has the query's length.</summary>
    public static void Dots(ReadOnlySpan<float> query, ReadOnlySpan<float[]> rows, Span<float> scores)
    {
        var count = scores.Length;
        var dim = query.Length;
        if (count > rows.Length)
        {
            throw new ArgumentException($"{rows.Length} rows do not hold the {count} scores asked for");
        }

        for (var i = 0; i < count; i++)
        {
            if (rows[i].Length != dim)
            {
                throw new ArgumentException($"row {i} has {rows[i].Length} values, the query {dim}");
            }
        }

        var r = 0;
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported && dim % Width == 0)
        {
            ref var q = ref MemoryMarshal.GetReference(query);
            for (; r + RowsAtOnce <= count; r += RowsAtOnce)
            {
                ref var a = ref MemoryMarshal.GetArrayDataReference(rows[r]);
                ref var b = ref MemoryMarshal.GetArrayDataReference(rows[r + 1]);
                ref var c = ref MemoryMarshal.GetArrayDataReference(rows[r + 2]);
                ref var d = ref MemoryMarshal.GetArrayDataReference(rows[r + 3]);
                Vector256<float> sa = default, sb = default, sc = default, sd = default;
                for (nuint i = 0; i < (nuint)dim; i += Width)
                {
                    var x = Vector256.LoadUnsafe(ref q, i);
                    sa = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref a, i), sa);
                    sb = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref b, i), sb);
                    sc = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref c, i), sc);
                    sd = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref d, i), sd);
                }

                scores[r] = Vector256.Sum(sa);
                scores[r + 1] = Vector256.Sum(sb);
                scores[r + 2] = Vector256.Sum(sc);
                scores[r + 3] = Vector256.Sum(sd);
            }
        }

        for (; r < count; r++)
        {
            scores[r] = TensorPrimitives.Dot(query, rows[r]);
        }
    }
}
