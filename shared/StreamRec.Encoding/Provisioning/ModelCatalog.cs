namespace StreamRec.Encoding.Provisioning;

/// <summary>One file of a catalog model: its path in the hub repository and its name locally.</summary>
/// <param name="Sha256">Published checksum to verify against, or null when none was pinned (then the computed one is
/// recorded in model.json).</param>
public sealed record CatalogFile(string RemotePath, string LocalName, string? Sha256 = null, long? Bytes = null);

/// <summary>A model <c>streamrec model fetch</c> knows how to download.</summary>
public sealed record CatalogModel(
    string Name,
    string Repository,
    string Revision,
    PoolingMode Pooling,
    int Dimension,
    string Description,
    IReadOnlyList<CatalogFile> Files);

/// <summary>Models known by name. The ONNX exports are the ones the model authors publish in their repositories.</summary>
public static class ModelCatalog
{
    // Revisions are the branch, not a commit: no commit id could be verified from a public source while writing this,
    // so the fetcher records the size and SHA-256 it computed in model.json and later fetches are checked against it.
    private static readonly CatalogFile[] BertFiles =
    [
        new("onnx/model.onnx", "model.onnx"),
        new("vocab.txt", "vocab.txt"),
        new("tokenizer_config.json", "tokenizer_config.json"),
        new("config.json", "config.json"),
    ];

    public static IReadOnlyList<CatalogModel> Models { get; } =
    [
        new("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "main", PoolingMode.Mean, 384,
            "sentence-transformers, 6 layers, 384 dims, mean pooling (the default StreamRec is shaped for)", BertFiles),
        new("bge-small-en-v1.5", "BAAI/bge-small-en-v1.5", "main", PoolingMode.Cls, 384,
            "BAAI bge small English v1.5, 12 layers, 384 dims, CLS pooling", BertFiles),
    ];

    public static CatalogModel? Find(string name) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}
