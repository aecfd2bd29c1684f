namespace StreamRec.Encoding.Provisioning;

/// <summary>A model ready to load: ONNX file, vocabulary, and what its manifest says (null: ask the ONNX metadata).</summary>
public sealed record ResolvedModel(
    string ModelPath,
    string VocabPath,
    string? TokenizerConfigPath,
    string? Name = null,
    PoolingMode? Pooling = null,
    bool Synthesized = false);
