using System.Text;
using StreamRec.Ports;

namespace StreamRec.Evaluation;

/// <summary>
/// A deterministic bag-of-words encoder: each lower-cased word adds ±1 to a hashed dimension, then the vector is
/// L2-normalised. Texts sharing words get similar vectors, which is all the synthesized ONNX model offers too, at
/// a millionth of the cost: used by tests and by <c>streamrec evaluate --encoder hashing</c> for quick runs.
/// </summary>
public sealed class HashingTextEncoder : ITextEncoder
{
    public HashingTextEncoder(int dimension = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 2);
        Dimension = dimension;
        Info = new EncoderInfo("hashing-bow", "cpu", dimension, int.MaxValue, SemanticallyTrained: false);
    }

    public int Dimension { get; }

    public EncoderInfo Info { get; }

    public Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var result = new float[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            result[i] = Encode(texts[i]);
        }

        return Task.FromResult(result);
    }

    private float[] Encode(string text)
    {
        var v = new float[Dimension];
        foreach (var word in Words(text))
        {
            var hash = Fnv1a(word);
            v[(int)(hash % (ulong)Dimension)] += (hash >> 63) == 0 ? 1f : -1f;
        }

        Domain.VectorMath.NormalizeInPlace(v);
        return v;
    }

    /// <summary>64-bit FNV-1a over UTF-16 code units: stable across processes, unlike string.GetHashCode.</summary>
    private static ulong Fnv1a(string s)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in s)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        // Fold the high bits down: FNV's low bits alone mix poorly for short words.
        return hash ^ (hash >> 29);
    }

    private static IEnumerable<string> Words(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (sb.Length > 0)
            {
                yield return sb.ToString();
                sb.Clear();
            }
        }

        if (sb.Length > 0)
        {
            yield return sb.ToString();
        }
    }
}
