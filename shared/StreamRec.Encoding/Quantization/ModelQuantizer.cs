using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamRec.Encoding.Provisioning;

namespace StreamRec.Encoding.Quantization;

/// <summary>What <see cref="ModelQuantizer.Quantize"/> did.</summary>
/// <param name="Folder">Where the int8 model was written, or null when it failed the gate (nothing was written).</param>
/// <param name="Failures">Why the gate refused it; empty when it passed.</param>
public sealed record QuantizeResult(
    string? Folder,
    string SourceName,
    string SourcePath,
    long SourceBytes,
    long Bytes,
    QuantizationReport Report,
    AgreementFigures Figures,
    IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;
}

/// <summary>
/// Makes the int8 variant of a provisioned model (<c>NAME-int8</c> next to it in the models directory): rewrites its
/// graph with <see cref="OnnxDynamicQuantizer"/>, then encodes <see cref="GateTexts"/> with both models and keeps the
/// result only if it passes <see cref="AgreementGate"/>. The new folder holds model.onnx, the source's vocabulary and
/// a model.json naming the source model, its checksum, the method, the date and the gate's figures. Everything is
/// written under a temporary name and renamed into place once it passed, so a refused or interrupted run leaves
/// nothing behind.
/// </summary>
public sealed class ModelQuantizer
{
    public const string Suffix = "-int8";

    private readonly EncoderOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AgreementThresholds _thresholds;

    public ModelQuantizer(EncoderOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(options, AgreementGate.Default, logger, timeProvider)
    {
    }

    /// <summary>With other gate thresholds: for tests that need to see a refusal.</summary>
    internal ModelQuantizer(EncoderOptions options, AgreementThresholds thresholds, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        _options = options;
        _thresholds = thresholds;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The folder name of <paramref name="sourceName"/>'s int8 variant.</summary>
    public static string QuantizedName(string sourceName) => sourceName + Suffix;

    /// <summary>
    /// Quantizes <paramref name="source"/> (a model name as <see cref="EncoderOptions.Model"/> takes it, or an ONNX file
    /// or model folder; null = the configured model) into <paramref name="outputDirectory"/> (null = the models
    /// directory's <c>NAME-int8</c>), replacing what is there only once the new model passed the gate. With
    /// <paramref name="replaceExisting"/> false (a service making the variant on first use), a variant another process
    /// finished in the meantime is kept and this one discarded, so nobody's model is moved away while it is being loaded.
    /// </summary>
    public QuantizeResult Quantize(string? source, string? outputDirectory, IProgress<string>? progress, bool replaceExisting, CancellationToken cancellationToken)
    {
        var provisioner = new ModelProvisioner(_options, NullLogger<ModelProvisioner>.Instance, _time);
        var resolved = ResolveSource(provisioner, source, cancellationToken);
        var sourceRoot = Path.GetDirectoryName(resolved.ModelPath)!;
        var sourceManifest = ModelManifest.TryRead(sourceRoot);
        var sourceName = resolved.Name ?? sourceManifest?.Name ?? Path.GetFileName(sourceRoot);
        if (sourceManifest?.Quantization is not null)
        {
            throw new EncodingException($"{resolved.ModelPath} is already quantized (from {sourceManifest.Quantization.SourceModel}): quantize the fp32 model.");
        }

        var target = Path.GetFullPath(outputDirectory ?? Path.Combine(provisioner.ModelsDirectory, QuantizedName(sourceName)));
        if (string.Equals(target, Path.GetFullPath(sourceRoot), StringComparison.Ordinal))
        {
            throw new ArgumentException($"The output folder {target} is the source model's own folder: choose another one.");
        }

        progress?.Report($"reading {resolved.ModelPath}");
        var bytes = File.ReadAllBytes(resolved.ModelPath);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var recorded = sourceManifest?.Files.FirstOrDefault(f => string.Equals(f.Path, Path.GetFileName(resolved.ModelPath), StringComparison.Ordinal));
        if (recorded is not null && !string.Equals(recorded.Sha256, sha, StringComparison.OrdinalIgnoreCase))
        {
            throw new EncodingException(
                $"{resolved.ModelPath} does not match the SHA-256 its model.json records ({sha} vs {recorded.Sha256}): the file was changed or damaged. " +
                $"Delete {sourceRoot} and provision it again.");
        }

        progress?.Report($"rewriting the graph ({bytes.Length / 1e6:F1} MB)");
        var (quantized, report) = OnnxDynamicQuantizer.Quantize(bytes, resolved.ModelPath, sha);
        bytes = [];
        progress?.Report(string.Create(CultureInfo.InvariantCulture,
            $"{report.Quantized} MatMul/Gemm nodes quantized ({report.BiasesFolded} with their bias folded in), {report.LeftInFloat.Count} left in fp32; " +
            $"weights {report.FloatWeightBytes / 1e6:F1} MB -> {report.QuantizedWeightBytes / 1e6:F1} MB; model {quantized.Length / 1e6:F1} MB"));

        var temp = target + ".tmp-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        try
        {
            var modelPath = Path.Combine(temp, "model.onnx");
            File.WriteAllBytes(modelPath, quantized);
            var vocab = CopyNextTo(resolved.VocabPath, temp, "vocab.txt")
                ?? throw new EncodingException($"The source model {resolved.ModelPath} has no vocabulary to copy next to its int8 variant.");
            var config = CopyNextTo(resolved.TokenizerConfigPath, temp, "tokenizer_config.json");
            var candidate = new ResolvedModel(modelPath, vocab, config, Path.GetFileName(target), resolved.Pooling, resolved.Synthetic);

            var texts = GateTexts.Create();
            var figures = CompareOnGate(resolved, candidate, texts, progress, cancellationToken);
            var failures = AgreementGate.Failures(figures, _thresholds);
            var result = new QuantizeResult(null, sourceName, resolved.ModelPath, new FileInfo(resolved.ModelPath).Length, quantized.Length, report, figures, failures);
            if (failures.Count > 0)
            {
                return result;
            }

            new ModelManifest
            {
                Name = Path.GetFileName(target),
                Source = $"quantized by StreamRec from {sourceName} ({sourceManifest?.Source ?? resolved.ModelPath})",
                Revision = sourceManifest?.Revision,
                License = sourceManifest?.License,
                SourcePackageLicense = sourceManifest?.SourcePackageLicense,
                Pooling = resolved.Pooling ?? sourceManifest?.Pooling ?? PoolingMode.Mean,
                Synthetic = resolved.Synthetic,
                SemanticallyTrained = sourceManifest?.SemanticallyTrained ?? !resolved.Synthetic,
                Seed = sourceManifest?.Seed,
                Architecture = sourceManifest?.Architecture,
                CreatedAt = _time.GetUtcNow(),
                Files = new[] { modelPath, vocab, config }.OfType<string>().Select(FileEntry).ToArray(),
                Quantization = new ManifestQuantization(OnnxDynamicQuantizer.Method, sourceName, resolved.ModelPath, sha, report.Quantized, report.LeftInFloat.Count,
                    figures.Texts, Math.Round(figures.MeanCosine, 5), Math.Round(figures.MinCosine, 5), Math.Round(figures.RecallAt10, 4)),
            }.Write(temp);

            if (!replaceExisting && ModelProvisioner.FindModelFile(target) is not null)
            {
                return result with { Folder = target };
            }

            Replace(temp, target);
            EncoderLog.ModelQuantized(_logger, sourceName, target, figures.MeanCosine, figures.MinCosine, figures.RecallAt10);
            return result with { Folder = target };
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private ResolvedModel ResolveSource(ModelProvisioner provisioner, string? source, CancellationToken cancellationToken)
    {
        var name = string.IsNullOrWhiteSpace(source) ? (_options.ModelPath.Length > 0 ? _options.ModelPath : _options.Model) : source.Trim();
        if (File.Exists(name) || Directory.Exists(name))
        {
            return provisioner.ResolveConfigured(name);
        }

        if (ModelProvisioner.IsSynthetic(name))
        {
            return provisioner.EnsureSynthesizedDefault();
        }

        if (name.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase))
        {
            throw new EncodingException($"'{name}' names an int8 model: give the fp32 model it is made from ({name[..^Suffix.Length]}).");
        }

        return provisioner.ResolveConfigured(provisioner.EnsureInstalled(name, progress: null, cancellationToken));
    }

    private AgreementFigures CompareOnGate(ResolvedModel source, ResolvedModel candidate, IReadOnlyList<string> texts, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        // The gate compares the models, not configurations: both get the same batch size, threads and truncation.
        var options = new EncoderOptions
        {
            IntraOpThreads = _options.IntraOpThreads,
            MaxBatchSize = 32,
            MaxTokens = _options.MaxTokens,
            SharedModelsPath = "",
        };
        float[][] Encode(ResolvedModel model, string label)
        {
            OnnxTextEncoder encoder;
            try
            {
                encoder = new OnnxTextEncoder(model, options);
            }
            catch (EncodingException ex)
            {
                throw new EncodingException($"The {label} model does not load in ONNX Runtime: {ex.Message}", ex);
            }

            using (encoder)
            {
                var vectors = new List<float[]>(texts.Count);
                const int chunk = 200;
                for (var i = 0; i < texts.Count; i += chunk)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    vectors.AddRange(encoder.EncodeAsync(texts.Skip(i).Take(chunk).ToArray(), cancellationToken).GetAwaiter().GetResult());
                    progress?.Report($"  {label}: {Math.Min(i + chunk, texts.Count)}/{texts.Count} texts encoded");
                }

                return [.. vectors];
            }
        }

        progress?.Report($"checking agreement on {texts.Count} fixed texts (titles and reviews)");
        var reference = Encode(source, "fp32");
        var quantized = Encode(candidate, "int8");
        return AgreementGate.Measure(texts, reference, quantized);
    }

    private static string? CopyNextTo(string? file, string folder, string name)
    {
        if (string.IsNullOrEmpty(file) || !File.Exists(file))
        {
            return null;
        }

        var target = Path.Combine(folder, name);
        File.Copy(file, target, overwrite: true);
        return target;
    }

    private static ManifestFile FileEntry(string path)
    {
        using var stream = File.OpenRead(path);
        return new ManifestFile(Path.GetFileName(path), stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)), "computed");
    }

    /// <summary>Moves <paramref name="temp"/> to <paramref name="target"/>, replacing an older variant only now that the new one is complete.</summary>
    private static void Replace(string temp, string target)
    {
        if (Directory.Exists(target))
        {
            var old = target + ".old-" + Guid.NewGuid().ToString("N");
            Directory.Move(target, old);
            Directory.Move(temp, target);
            Directory.Delete(old, recursive: true);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Directory.Move(temp, target);
        }
    }
}
