using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StreamRec.Encoding;
using StreamRec.Encoding.Provisioning;
using StreamRec.Encoding.Synthesis;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec model</c>: synthesize, fetch, list, inspect and benchmark text encoder models.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var command = new Command("model", "Text encoder models: synth, fetch, list, info, bench.");
        command.Subcommands.Add(Synth());
        command.Subcommands.Add(Fetch());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Info());
        command.Subcommands.Add(ModelBench.Create());
        return command;
    }

    internal static Option<string> ModelsDirectoryOption() => new("--models-dir")
    {
        Description = "Models directory (StreamRec:Encoder:ModelsDirectory).",
        DefaultValueFactory = _ => new EncoderOptions().ModelsDirectory,
    };

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

    private static Command Fetch()
    {
        var name = new Argument<string>("NAME") { Description = $"Model to download: {string.Join(", ", ModelCatalog.Models.Select(m => m.Name))}." };
        var dir = new Option<string?>("--dir") { Description = "Target folder. Default: <models-dir>/NAME." };
        var modelsDir = ModelsDirectoryOption();
        var hub = new Option<string>("--hub") { Description = "Hub base URL (StreamRec:Encoder:ModelHubUrl).", DefaultValueFactory = _ => new EncoderOptions().ModelHubUrl };
        var timeout = new Option<int>("--connect-timeout") { Description = "Connect timeout in seconds.", DefaultValueFactory = _ => new EncoderOptions().FetchConnectTimeoutSeconds };
        var command = new Command("fetch", "Download a known model (ONNX, vocab, tokenizer and model config) with checksum verification.")
        {
            name, dir, modelsDir, hub, timeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new EncoderOptions
            {
                ModelsDirectory = parse.GetValue(modelsDir)!,
                ModelHubUrl = parse.GetValue(hub)!,
                FetchConnectTimeoutSeconds = parse.GetValue(timeout),
            };
            using var http = ModelFetcher.CreateHttpClient(options);
            var fetcher = new ModelFetcher(http, options, new ModelConsoleLogger<ModelFetcher>());
            var progress = new ConsoleProgress();
            try
            {
                var folder = await fetcher.FetchAsync(parse.GetValue(name)!, parse.GetValue(dir), progress, ct);
                Console.WriteLine($"fetched into {folder}");
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
                var note = manifest?.Synthetic == true ? "synthesized, not semantically trained" : "local";
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

    private sealed class ConsoleProgress : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value)
        {
            var total = value.BytesTotal is { } t ? $"/{t / 1048576.0:F1} MiB ({100.0 * value.BytesDone / Math.Max(1, t):F0}%)" : "";
            Console.WriteLine($"  {value.File}: {value.BytesDone / 1048576.0:F1} MiB{total}");
        }
    }
}
