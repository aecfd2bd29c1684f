namespace StreamRec.Ports;

/// <summary>
/// Turns text into L2-normalised sentence vectors. Implementations batch internally, so callers
/// should hand in as many texts as they have at once.
/// </summary>
public interface ITextEncoder
{
    /// <summary>Output dimension, read from the model (never hard-coded).</summary>
    int Dimension { get; }

    /// <summary>Describes the loaded model and execution provider, for logs and metrics.</summary>
    EncoderInfo Info { get; }

    /// <summary>Encodes every text; result[i] belongs to texts[i] and has <see cref="Dimension"/> floats with unit norm
    /// (an all-zero vector only for a text that yields no tokens at all).</summary>
    Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken);
}

/// <param name="ModelName">Model identifier, e.g. "all-MiniLM-L6-v2" or "synthetic-minilm-l6".</param>
/// <param name="ExecutionProvider">"cpu" or "cuda".</param>
/// <param name="SemanticallyTrained">False for the synthesized model: its vectors carry word overlap, not meaning.</param>
public sealed record EncoderInfo(string ModelName, string ExecutionProvider, int Dimension, int MaxTokens, bool SemanticallyTrained);
