using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using StreamRec.Encoding;
using StreamRec.Encoding.Provisioning;

namespace StreamRec.Cli.Commands;

/// <summary>
/// <c>streamrec model bench</c>: encoder throughput against bare <c>InferenceSession.Run</c> on the same session and the
/// same pre-tokenized, equally padded tensors, so the ratio is exactly what tokenization, batching, pooling and
/// normalisation cost on top of the model.
/// </summary>
internal static class ModelBench
{
    private static readonly int[] BatchSizes = [1, 8, 32, 128];

    // A fixed vocabulary of plain words so the texts (and so the token counts) are the same on every run.
    private static readonly string[] Words =
        ("the a movie story film about young old man woman city night love war friends family house music dark light " +
         "journey detective murder mystery comedy drama action space ship planet alien robot future past history king " +
         "queen battle sea island forest mountain river road car train school teacher student life death dream secret " +
         "power money crime police lawyer doctor hospital small big strange funny sad happy beautiful dangerous lost " +
         "found returns escape chase fight together alone home world country village summer winter spring autumn " +
         "brother sister father mother son daughter wedding party game team sport champion hero villain magic dragon " +
         "ghost zombie vampire monster island desert ocean storm fire water earth sky star sun moon animal dog cat horse")
        .Split(' ');

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model name (all-MiniLM-L6-v2, arctic-embed-xs, synthetic, ...) or ONNX file or folder. Default: all-MiniLM-L6-v2." };
        var seconds = new Option<double>("--seconds") { Description = "Measuring time per row (encoder and bare ORT together).", DefaultValueFactory = _ => 4 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads.", DefaultValueFactory = _ => new EncoderOptions().IntraOpThreads };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file." };
        var compare = new Option<string?>("--compare")
        {
            Description = "A second model (e.g. all-MiniLM-L6-v2-int8) measured on the same texts, batches and threads, its texts/s printed beside the first " +
                          "model's instead of bare ONNX Runtime's. Default: none.",
        };
        var modelsDir = ModelCommand.ModelsDirectoryOption();
        var command = new Command("bench", "Encoder throughput (texts/s) for short and long texts at batch 1, 8, 32, 128, beside bare ONNX Runtime (or beside a second model with --compare).")
        {
            model, seconds, threads, json, modelsDir, compare,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return parse.GetValue(compare) is { Length: > 0 } other
                    ? await CompareAsync(parse.GetValue(model), other, parse.GetValue(seconds), parse.GetValue(threads), parse.GetValue(json), parse.GetValue(modelsDir)!, ct)
                    : await RunAsync(parse.GetValue(model), parse.GetValue(seconds), parse.GetValue(threads), parse.GetValue(json), parse.GetValue(modelsDir)!, ct);
            }
            catch (EncodingException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(string? modelPath, double seconds, int threads, string? jsonPath, string modelsDir, CancellationToken ct)
    {
        var maxBatch = BatchSizes.Max();
        var options = new EncoderOptions { ModelsDirectory = modelsDir, IntraOpThreads = threads, MaxBatchSize = maxBatch }.SelectModel(modelPath);
        var resolved = new ModelProvisioner(options, new ModelConsoleLogger<ModelProvisioner>(LogLevel.Warning)).Resolve();
        var rows = new List<BenchRow>();
        using var encoder = new OnnxTextEncoder(resolved, options, new ModelConsoleLogger<OnnxTextEncoder>(LogLevel.Warning));
        Console.WriteLine($"model {encoder.Info.ModelName} ({resolved.ModelPath}), provider {encoder.Info.ExecutionProvider}, dim {encoder.Dimension}, " +
                          $"max tokens {options.MaxTokens}, intra-op threads {threads}, {Environment.ProcessorCount} cores, {seconds:F1} s per row");
        Console.WriteLine();
        Console.WriteLine($"{"texts",-6} {"batch",5} {"tokens/text",11} {"encoder texts/s",16} {"bare ORT texts/s",17} {"ratio",6}");
        foreach (var (kind, words) in new[] { ("short", 12), ("long", 120) })
        {
            var texts = MakeTexts(words, maxBatch * 4, seed: words);
            foreach (var batch in BatchSizes)
            {
                ct.ThrowIfCancellationRequested();
                var row = await MeasureAsync(encoder, kind, texts, batch, seconds, ct);
                rows.Add(row);
                Console.WriteLine($"{row.Texts,-6} {row.Batch,5} {row.TokensPerText,11:F1} {row.EncoderTextsPerSecond,16:F1} {row.BareOrtTextsPerSecond,17:F1} {row.Ratio,6:F3}");
            }
        }

        Console.WriteLine();
        Console.WriteLine("ratio = encoder / bare ORT on the same padded tensors (1.0 = no overhead; target >= 0.9 at batch 32).");
        if (!encoder.Info.SemanticallyTrained)
        {
            Console.WriteLine("note: synthetic weights with the real architecture: speed is representative, vectors are not semantically trained.");
        }

        if (jsonPath is not null)
        {
            var report = new BenchReport(encoder.Info.ModelName, resolved.ModelPath, encoder.Info.ExecutionProvider, encoder.Dimension,
                options.MaxTokens, threads, Environment.ProcessorCount, seconds, rows);
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(report, BenchJsonContext.Default.BenchReport), ct);
            Console.WriteLine($"wrote {jsonPath}");
        }

        return 0;
    }

    /// <summary>
    /// Two models side by side (fp32 vs int8): the same texts, batch sizes, thread count and encoder settings, measured
    /// in alternation so drift and other load on the machine hit both alike.
    /// </summary>
    private static async Task<int> CompareAsync(string? modelA, string modelB, double seconds, int threads, string? jsonPath, string modelsDir, CancellationToken ct)
    {
        var maxBatch = BatchSizes.Max();
        OnnxTextEncoder Load(string? nameOrPath, out string path)
        {
            var options = new EncoderOptions { ModelsDirectory = modelsDir, IntraOpThreads = threads, MaxBatchSize = maxBatch }.SelectModel(nameOrPath);
            var resolved = new ModelProvisioner(options, new ModelConsoleLogger<ModelProvisioner>(LogLevel.Warning)).Resolve();
            path = resolved.ModelPath;
            return new OnnxTextEncoder(resolved, options, new ModelConsoleLogger<OnnxTextEncoder>(LogLevel.Warning));
        }

        using var a = Load(modelA, out var pathA);
        using var b = Load(modelB, out var pathB);
        Console.WriteLine($"A: {a.Info.ModelName} ({pathA}, {new FileInfo(pathA).Length / 1e6:F1} MB)");
        Console.WriteLine($"B: {b.Info.ModelName} ({pathB}, {new FileInfo(pathB).Length / 1e6:F1} MB)");
        Console.WriteLine($"provider {a.Info.ExecutionProvider}, max tokens {new EncoderOptions().MaxTokens}, intra-op threads {threads} for both, " +
                          $"{Environment.ProcessorCount} cores, {seconds:F1} s per row");
        Console.WriteLine();
        Console.WriteLine($"{"texts",-6} {"batch",5} {"tokens/text",11} {"A texts/s",12} {"B texts/s",12} {"B/A",6}");
        var rows = new List<CompareRow>();
        foreach (var (kind, words) in new[] { ("short", 12), ("long", 120) })
        {
            var texts = MakeTexts(words, maxBatch * 4, seed: words);
            foreach (var batch in BatchSizes)
            {
                ct.ThrowIfCancellationRequested();
                var batches = Enumerable.Range(0, Math.Max(1, Math.Min(8, texts.Length / batch)))
                    .Select(i => texts.Skip(i * batch).Take(batch).ToArray())
                    .ToArray();
                var tokensPerText = batches.SelectMany(x => x).Average(t => a.Tokenize(t).Length);
                var (i, j) = (0, 0);
                Func<int> runA = () => a.EncodeAsync(batches[i++ % batches.Length], ct).GetAwaiter().GetResult().Length;
                Func<int> runB = () => b.EncodeAsync(batches[j++ % batches.Length], ct).GetAwaiter().GetResult().Length;
                Measure(runA, 0);
                Measure(runB, 0);
                double textsA = 0, secondsA = 0, textsB = 0, secondsB = 0;
                for (var round = 0; round < 2; round++)
                {
                    var (ta, sa) = Measure(runA, seconds / 4);
                    var (tb, sb) = Measure(runB, seconds / 4);
                    (textsA, secondsA, textsB, secondsB) = (textsA + ta, secondsA + sa, textsB + tb, secondsB + sb);
                    await Task.Yield();
                }

                var row = new CompareRow(kind, batch, Math.Round(tokensPerText, 1), Math.Round(textsA / secondsA, 1), Math.Round(textsB / secondsB, 1),
                    Math.Round(textsB / secondsB / (textsA / secondsA), 3));
                rows.Add(row);
                Console.WriteLine($"{row.Texts,-6} {row.Batch,5} {row.TokensPerText,11:F1} {row.ATextsPerSecond,12:F1} {row.BTextsPerSecond,12:F1} {row.Speedup,6:F2}");
            }
        }

        Console.WriteLine();
        Console.WriteLine("B/A = B's texts/s over A's (encoder end to end: tokenization, inference, pooling), measured in alternation.");
        if (jsonPath is not null)
        {
            var report = new CompareReport(a.Info.ModelName, pathA, b.Info.ModelName, pathB, a.Info.ExecutionProvider, threads, Environment.ProcessorCount, seconds, rows);
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(report, BenchJsonContext.Default.CompareReport), ct);
            Console.WriteLine($"wrote {jsonPath}");
        }

        return 0;
    }

    private static async Task<BenchRow> MeasureAsync(OnnxTextEncoder encoder, string kind, string[] texts, int batch, double seconds, CancellationToken ct)
    {
        // Several different batches, cycled, so neither side benefits from one hot set of inputs.
        var batches = Enumerable.Range(0, Math.Max(1, Math.Min(8, texts.Length / batch)))
            .Select(b => texts.Skip(b * batch).Take(batch).ToArray())
            .ToArray();
        var tensors = batches.Select(b => BareInputs.Create(encoder, b)).ToArray();
        try
        {
            var tokensPerText = tensors.Average(t => t.RealTokens / (double)t.Rows);
            var i = 0;
            var j = 0;
            Func<int> bare = () => tensors[i++ % tensors.Length].Run(encoder);
            Func<int> full = () => encoder.EncodeAsync(batches[j++ % batches.Length], ct).GetAwaiter().GetResult().Length;

            // Warm both paths (ONNX Runtime allocates its arena and picks kernels on the first runs).
            var (bareTexts, bareSeconds) = Measure(bare, 0);
            var (fullTexts, fullSeconds) = Measure(full, 0);
            if (bareSeconds + fullSeconds < seconds / 2)
            {
                // Fast rows: discard the warm-up and interleave two rounds so drift (thermal, other load) hits both
                // sides alike. Slow rows (one batch of 128 long texts takes seconds) keep the warm-up run as their
                // measurement: its one-off allocation is noise next to seconds of compute, and the default run
                // stays near a minute and a half.
                bareTexts = bareSeconds = fullTexts = fullSeconds = 0;
                for (var round = 0; round < 2; round++)
                {
                    var (bt, bs) = Measure(bare, seconds / 4);
                    var (ft, fs) = Measure(full, seconds / 4);
                    bareTexts += bt;
                    bareSeconds += bs;
                    fullTexts += ft;
                    fullSeconds += fs;
                    await Task.Yield();
                }
            }

            var bareRate = bareTexts / bareSeconds;
            var fullRate = fullTexts / fullSeconds;
            return new BenchRow(kind, batch, Math.Round(tokensPerText, 1), Math.Round(fullRate, 1), Math.Round(bareRate, 1), Math.Round(fullRate / bareRate, 3));
        }
        finally
        {
            foreach (var t in tensors)
            {
                t.Dispose();
            }
        }
    }

    private static (double Texts, double Seconds) Measure(Func<int> step, double seconds)
    {
        var texts = 0;
        var iterations = 0;
        var watch = Stopwatch.StartNew();
        while (iterations == 0 || watch.Elapsed.TotalSeconds < seconds)
        {
            texts += step();
            iterations++;
        }

        return (texts, watch.Elapsed.TotalSeconds);
    }

    private static string[] MakeTexts(int words, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ =>
            {
                // +-25% words, so a batch has texts of different lengths to pad, as real traffic does.
                var n = Math.Max(1, words + random.Next(-words / 4, (words / 4) + 1));
                return string.Join(' ', Enumerable.Range(0, n).Select(_ => Words[random.Next(Words.Length)]));
            })
            .ToArray();
    }

    /// <summary>Pre-tokenized, padded inputs for one batch, padded exactly as the encoder pads them.</summary>
    private sealed class BareInputs : IDisposable
    {
        private readonly OrtValue[] _values;
        private readonly string[] _names;

        private BareInputs(OrtValue[] values, string[] names, int rows, long realTokens)
        {
            _values = values;
            _names = names;
            Rows = rows;
            RealTokens = realTokens;
        }

        public int Rows { get; }

        public long RealTokens { get; }

        public static BareInputs Create(OnnxTextEncoder encoder, string[] texts)
        {
            var tokens = texts.Select(encoder.Tokenize).ToArray();
            var seq = tokens.Max(t => t.Length);
            var ids = new long[texts.Length * seq];
            var mask = new long[texts.Length * seq];
            for (var r = 0; r < tokens.Length; r++)
            {
                for (var c = 0; c < tokens[r].Length; c++)
                {
                    ids[(r * seq) + c] = tokens[r][c];
                    mask[(r * seq) + c] = 1;
                }
            }

            long[] shape = [texts.Length, seq];
            var values = new List<OrtValue>
            {
                OrtValue.CreateTensorValueFromMemory(ids, shape),
                OrtValue.CreateTensorValueFromMemory(mask, shape),
            };
            var names = new List<string> { OnnxTextEncoder.InputIds, OnnxTextEncoder.AttentionMask };
            if (encoder.FeedsTokenTypeIds)
            {
                values.Add(OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape));
                names.Add(OnnxTextEncoder.TokenTypeIds);
            }

            return new BareInputs([.. values], [.. names], texts.Length, tokens.Sum(t => (long)t.Length));
        }

        public int Run(OnnxTextEncoder encoder)
        {
            using var runOptions = new RunOptions();
            using var outputs = encoder.Session.Run(runOptions, _names, _values, [encoder.OutputName]);
            return Rows;
        }

        public void Dispose()
        {
            foreach (var v in _values)
            {
                v.Dispose();
            }
        }
    }
}

internal sealed record BenchRow(string Texts, int Batch, double TokensPerText, double EncoderTextsPerSecond, double BareOrtTextsPerSecond, double Ratio);

internal sealed record BenchReport(
    string Model, string ModelPath, string Provider, int Dimension, int MaxTokens, int IntraOpThreads, int ProcessorCount, double SecondsPerRow,
    IReadOnlyList<BenchRow> Rows);

internal sealed record CompareRow(string Texts, int Batch, double TokensPerText, double ATextsPerSecond, double BTextsPerSecond, double Speedup);

internal sealed record CompareReport(
    string ModelA, string ModelAPath, string ModelB, string ModelBPath, string Provider, int IntraOpThreads, int ProcessorCount, double SecondsPerRow,
    IReadOnlyList<CompareRow> Rows);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchReport))]
[JsonSerializable(typeof(CompareReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
