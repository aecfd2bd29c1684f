using StreamRec.Domain;
using StreamRec.Ports;

namespace StreamRec.TestSupport;

/// <summary>A deterministic bag-of-words encoder for engine tests: each word adds a fixed random direction.</summary>
public sealed class HashingEncoder(int dimension = 32) : ITextEncoder
{
    public int Dimension { get; } = dimension;

    public EncoderInfo Info => new("hashing-test-encoder", "cpu", Dimension, 128, SemanticallyTrained: false);

    public int Calls { get; private set; }

    public Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        Calls++;
        return Task.FromResult(texts.Select(Encode).ToArray());
    }

    private float[] Encode(string text)
    {
        var v = new float[Dimension];
        foreach (var word in text.ToLowerInvariant().Split([' ', ',', '.'], StringSplitOptions.RemoveEmptyEntries))
        {
            var rng = new Random(StableHash(word));
            for (var i = 0; i < v.Length; i++)
            {
                v[i] += (float)(rng.NextDouble() * 2 - 1);
            }
        }

        VectorMath.NormalizeInPlace(v);
        return v;
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            var h = 17;
            foreach (var c in s)
            {
                h = h * 31 + c;
            }

            return h;
        }
    }
}
