using System.ComponentModel.DataAnnotations;

namespace StreamRec.Encoding.Synthesis;

/// <summary>
/// Shape of a BERT encoder. <see cref="MiniLmL6"/> is all-MiniLM-L6-v2's config.json; tests use much smaller shapes.
/// </summary>
public sealed record BertArchitecture
{
    /// <summary>The all-MiniLM-L6-v2 shape: 6 layers, hidden 384, 12 heads, intermediate 1536.</summary>
    public static BertArchitecture MiniLmL6 { get; } = new();

    [Range(1, 48)] public int Layers { get; init; } = 6;
    [Range(2, 4096)] public int Hidden { get; init; } = 384;
    [Range(1, 64)] public int Heads { get; init; } = 12;
    [Range(1, 16384)] public int Intermediate { get; init; } = 1536;
    [Range(1, 8192)] public int MaxPositions { get; init; } = 512;
    [Range(1, 16)] public int TypeVocabSize { get; init; } = 2;
    [Range(1, 1_000_000)] public int VocabSize { get; init; } = 30522;
    public float LayerNormEpsilon { get; init; } = 1e-12f;
    public float InitializerRange { get; init; } = 0.02f;

    /// <summary>Export variant: whether the model declares a <c>token_type_ids</c> input (BERT exports do; some others do not).</summary>
    public bool TokenTypeIdsInput { get; init; } = true;

    /// <summary>Export variant: also output a mask-aware mean-pooled <c>sentence_embedding</c> [batch, hidden].</summary>
    public bool SentenceEmbeddingOutput { get; init; }

    /// <summary>Throws when the shape cannot form a valid multi-head attention.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (Hidden % Heads != 0)
        {
            throw new ArgumentException($"Hidden size {Hidden} must be divisible by the number of heads {Heads}.");
        }
    }

    /// <summary>Weights in the synthesized model (embeddings, layers; no pooler).</summary>
    public long ParameterCount =>
        ((long)VocabSize + MaxPositions + TypeVocabSize) * Hidden + (2L * Hidden)
        + Layers * ((4L * Hidden * Hidden) + (4L * Hidden) + (2L * Hidden * Intermediate) + Intermediate + Hidden + (4L * Hidden));

    public override string ToString() =>
        $"layers={Layers} hidden={Hidden} heads={Heads} intermediate={Intermediate} max_positions={MaxPositions} " +
        $"type_vocab={TypeVocabSize} vocab={VocabSize} ln_eps={LayerNormEpsilon:R} init_range={InitializerRange:R}" +
        (TokenTypeIdsInput ? "" : " token_type_ids=no") + (SentenceEmbeddingOutput ? " sentence_embedding=yes" : "");
}
