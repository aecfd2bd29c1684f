using System.Collections.Concurrent;
using StreamRec.Ports;

namespace StreamRec.Evaluation.StreamRecSystems;

/// <summary>
/// Remembers every text's vector, so the evaluator's up-front catalogue encoding serves all StreamRec variants
/// (and the diversity measure) and the model runs once per distinct text. Misses are encoded in one batch.
/// </summary>
public sealed class CachingTextEncoder : ITextEncoder
{
    private readonly ITextEncoder _inner;
    private readonly ConcurrentDictionary<string, float[]> _cache = new(StringComparer.Ordinal);

    public CachingTextEncoder(ITextEncoder inner) => _inner = inner;

    public int Dimension => _inner.Dimension;

    public EncoderInfo Info => _inner.Info;

    /// <summary>Distinct texts encoded so far.</summary>
    public int Count => _cache.Count;

    public async Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var result = new float[texts.Count][];
        List<string>? misses = null;
        for (var i = 0; i < texts.Count; i++)
        {
            if (_cache.TryGetValue(texts[i], out var v))
            {
                result[i] = v;
            }
            else
            {
                (misses ??= []).Add(texts[i]);
            }
        }

        if (misses is null)
        {
            return result;
        }

        var distinct = misses.Distinct(StringComparer.Ordinal).ToArray();
        var encoded = await _inner.EncodeAsync(distinct, cancellationToken);
        for (var k = 0; k < distinct.Length; k++)
        {
            _cache[distinct[k]] = encoded[k];
        }

        for (var i = 0; i < texts.Count; i++)
        {
            result[i] ??= _cache[texts[i]];
        }

        return result;
    }
}
