using BenchmarkDotNet.Attributes;
using StreamRec.Encoding;

namespace StreamRec.MicroBenchmarks;

/// <summary>
/// The encoder's post-processing per batch: attention-mask-aware mean pooling of [batch, seq, 384] token vectors and
/// L2 normalisation, for a batch of 32 texts padded to 64 tokens with about three quarters real tokens.
/// </summary>
[MemoryDiagnoser]
public class PoolingBenchmarks
{
    private const int Hidden = 384;
    private float[] _tokens = [];
    private long[] _mask = [];
    private float[] _output = [];

    [Params(32)]
    public int Batch { get; set; }

    [Params(64)]
    public int SeqLen { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _tokens = new float[Batch * SeqLen * Hidden];
        for (var i = 0; i < _tokens.Length; i++)
        {
            _tokens[i] = (float)(random.NextDouble() * 2 - 1);
        }

        _mask = new long[Batch * SeqLen];
        for (var b = 0; b < Batch; b++)
        {
            // Texts of different lengths, as a real padded batch has.
            var real = SeqLen / 2 + random.Next(0, SeqLen / 2 + 1);
            for (var t = 0; t < real; t++)
            {
                _mask[b * SeqLen + t] = 1;
            }
        }

        _output = new float[Batch * Hidden];
    }

    [Benchmark(Description = "MeanPool + L2Normalize, batch 32 x 64 tokens x 384")]
    public float MeanPoolBatch()
    {
        for (var b = 0; b < Batch; b++)
        {
            var destination = _output.AsSpan(b * Hidden, Hidden);
            EmbeddingPooling.MeanPool(
                _tokens.AsSpan(b * SeqLen * Hidden, SeqLen * Hidden),
                _mask.AsSpan(b * SeqLen, SeqLen),
                SeqLen,
                Hidden,
                destination);
            EmbeddingPooling.L2Normalize(destination);
        }

        return _output[0];
    }
}
