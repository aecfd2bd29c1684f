namespace StreamRec.Encoding.Provisioning;

/// <summary>A model ready to load: ONNX file, vocabulary, and what its manifest says (null: ask the ONNX metadata).
/// <see cref="Synthetic"/> is true for a synthesized (not semantically trained) model.</summary>
public sealed record ResolvedModel(
    string ModelPath,
    string VocabPath,
    string? TokenizerConfigPath,
    string? Name = null,
    PoolingMode? Pooling = null,
    bool Synthetic = false);
