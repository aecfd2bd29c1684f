using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamRec.Encoding.Provisioning;

/// <summary>
/// <c>model.json</c>, written next to every fetched or synthesized model: where it came from, how to pool it, and the
/// size and SHA-256 of each file as verified (or, where no public checksum was pinned, as computed) at download.
/// </summary>
public sealed record ModelManifest
{
    public const string FileName = "model.json";

    public required string Name { get; init; }
    public string? Source { get; init; }
    public string? Revision { get; init; }
    /// <summary>Licence of the weights, e.g. Apache-2.0.</summary>
    public string? License { get; init; }
    /// <summary>Licence of the package the weights were taken from, when they came from one.</summary>
    public string? SourcePackageLicense { get; init; }
    public PoolingMode Pooling { get; init; } = PoolingMode.Mean;
    public bool Synthetic { get; init; }
    public bool SemanticallyTrained { get; init; } = true;
    public ulong? Seed { get; init; }
    public string? Architecture { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public IReadOnlyList<ManifestFile> Files { get; init; } = [];
    /// <summary>For a model made by <c>streamrec model quantize</c>: what it was made from, how, and how well it agreed.</summary>
    public ManifestQuantization? Quantization { get; init; }

    public static ModelManifest? TryRead(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ManifestJsonContext.Default.ModelManifest);
        }
        catch (JsonException ex)
        {
            throw new EncodingException($"{path} is not a valid model manifest: {ex.Message}", ex);
        }
    }

    public void Write(string directory)
    {
        var path = Path.Combine(directory, FileName);
        // A unique temporary name: two services starting at once may both write the manifest.
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, ManifestJsonContext.Default.ModelManifest));
        File.Move(temp, path, overwrite: true);
    }
}

/// <param name="Sha256Source">"pinned" when checked against a published checksum, "computed" when recorded at download.</param>
public sealed record ManifestFile(string Path, long Bytes, string Sha256, string Sha256Source);

/// <summary>How a quantized model was made: its source model and the source file's checksum, the method, and the figures
/// of the agreement gate it passed.</summary>
public sealed record ManifestQuantization(
    string Method,
    string SourceModel,
    string SourceFile,
    string SourceSha256,
    int NodesQuantized,
    int NodesLeftInFloat,
    int GateTexts,
    double MeanCosine,
    double MinCosine,
    double RecallAt10);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
