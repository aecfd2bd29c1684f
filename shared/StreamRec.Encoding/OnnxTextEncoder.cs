using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using StreamRec.Encoding.Provisioning;
using StreamRec.Encoding.Synthesis;
using StreamRec.Encoding.Tokenization;
using StreamRec.Observability;
using StreamRec.Ports;

namespace StreamRec.Encoding;

/// <summary>
/// Sentence embeddings from a BERT-family ONNX model (sentence-transformers / Optimum export): WordPiece tokens in,
/// pooled and L2-normalised vectors out. Texts are grouped by token length so each batch pads only to its own longest
/// text. Safe to call from several threads: ONNX Runtime sessions allow concurrent Run calls.
/// </summary>
public sealed class OnnxTextEncoder : ITextEncoder, IDisposable
{
    public const string InputIds = "input_ids";
    public const string AttentionMask = "attention_mask";
    public const string TokenTypeIds = "token_type_ids";

    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly BertTextTokenizer _tokenizer;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly int _maxBatchSize;
    private readonly int _maxTokens;
    private readonly bool _feedTokenTypes;
    private readonly string _outputName;
    private readonly bool _outputIsPooled;
    private readonly PoolingMode _pooling;
    private int _disposed;

    public OnnxTextEncoder(ResolvedModel model, EncoderOptions options, ILogger<OnnxTextEncoder>? logger = null, TimeProvider? timeProvider = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _maxBatchSize = options.MaxBatchSize;
        _maxTokens = options.MaxTokens;
        ModelPath = model.ModelPath;
        _tokenizer = BertTextTokenizer.Load(model.VocabPath, model.TokenizerConfigPath);

        _sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
            EnableCpuMemArena = options.EnableCpuMemArena,
        };
        var provider = "cpu";
        if (options.Provider == ExecutionProviderKind.Cuda)
        {
            try
            {
                _sessionOptions.AppendExecutionProvider_CUDA(options.DeviceId);
                provider = "cuda";
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or InvalidOperationException)
            {
                var reason = string.Join(" ", ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                EncoderLog.CudaFallback(_logger, options.DeviceId, CudaProviderProbe.Explain(reason));
            }
        }

        try
        {
            _session = new InferenceSession(model.ModelPath, _sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            _sessionOptions.Dispose();
            throw new EncodingException($"ONNX Runtime could not load the model {model.ModelPath}: {ex.Message}", ex);
        }

        try
        {
            var inputs = _session.InputMetadata;
            if (!inputs.ContainsKey(InputIds) || !inputs.ContainsKey(AttentionMask))
            {
                throw new EncodingException(
                    $"Model {model.ModelPath} has inputs [{string.Join(", ", inputs.Keys)}]; a BERT encoder needs '{InputIds}' and '{AttentionMask}'.");
            }

            _feedTokenTypes = inputs.ContainsKey(TokenTypeIds);
            (_outputName, _outputIsPooled) = ChooseOutput(_session);
            var metadata = _session.ModelMetadata.CustomMetadataMap;
            _pooling = model.Pooling
                ?? (metadata.TryGetValue(ModelSynthesizer.MetadataKeys.Pooling, out var p) && Enum.TryParse<PoolingMode>(p, true, out var parsed) ? parsed : PoolingMode.Mean);
            var trained = !(metadata.TryGetValue(ModelSynthesizer.MetadataKeys.SemanticallyTrained, out var t) && t == "false");
            var name = model.Name
                ?? (metadata.TryGetValue(ModelSynthesizer.MetadataKeys.ModelName, out var n) ? n : Path.GetFileNameWithoutExtension(model.ModelPath));
            Dimension = ReadDimension();
            Info = new EncoderInfo(name, provider, Dimension, _maxTokens, trained);
            Pooling = _pooling;
            Inputs = inputs.Select(kv => $"{kv.Key} {kv.Value.ElementDataType} [{string.Join(",", kv.Value.Dimensions)}]").ToArray();
            Outputs = _session.OutputMetadata.Select(kv => $"{kv.Key} {kv.Value.ElementDataType} [{string.Join(",", kv.Value.Dimensions)}]").ToArray();
            Metadata = new Dictionary<string, string>(metadata);
        }
        catch
        {
            _session.Dispose();
            _sessionOptions.Dispose();
            throw;
        }

        StreamRecMetrics.EncoderInfo.WithLabels(Info.ModelName, Info.ExecutionProvider).Set(1);
        EncoderLog.EncoderLoaded(_logger, Info.ModelName, ModelPath, provider, Dimension, _pooling, _maxTokens, Info.SemanticallyTrained);
    }

    public int Dimension { get; }

    public EncoderInfo Info { get; }

    public string ModelPath { get; }

    public PoolingMode Pooling { get; }

    /// <summary>Model inputs as "name type [dims]" (for <c>streamrec model info</c>).</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Model outputs as "name type [dims]".</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The model's metadata_props.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tokenizer in use (exposed for benchmarks that pre-tokenize).</summary>
    public BertTextTokenizer Tokenizer => _tokenizer;

    /// <summary>The underlying session (exposed for benchmarks comparing against bare ONNX Runtime).</summary>
    public InferenceSession Session => _session;

    /// <summary>Whether the model declares token_type_ids (and so is fed them).</summary>
    public bool FeedsTokenTypeIds => _feedTokenTypes;

    public string OutputName => _outputName;

    public Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        if (texts.Count == 0)
        {
            return Task.FromResult(Array.Empty<float[]>());
        }

        // Inference is CPU-bound and synchronous in ONNX Runtime; keep it off the caller's consume loop.
        return Task.Run(() => Encode(texts, cancellationToken), cancellationToken);
    }

    /// <summary>Synchronous form of <see cref="EncodeAsync"/>; result[i] belongs to texts[i].</summary>
    public float[][] Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var started = _time.GetTimestamp();
        var tokens = new int[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            tokens[i] = Tokenize(texts[i], i);
        }

        var tokenizeSeconds = _time.GetElapsedTime(started).TotalSeconds;
        var results = new float[texts.Count][];
        var order = SortByLength(tokens);
        var batches = (order.Length + _maxBatchSize - 1) / _maxBatchSize;
        long tokenCount = 0;
        for (var start = 0; start < order.Length; start += _maxBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batchStarted = _time.GetTimestamp();
            var batch = order.AsSpan(start, Math.Min(_maxBatchSize, order.Length - start));
            tokenCount += RunBatch(tokens, batch, results);
            // Tokenization happened up front for the whole call; each batch carries its share of it.
            StreamRecMetrics.EncoderBatchDuration.Observe(_time.GetElapsedTime(batchStarted).TotalSeconds + (tokenizeSeconds / batches));
        }

        StreamRecMetrics.EncoderTexts.Inc(texts.Count);
        StreamRecMetrics.EncoderTokens.Inc(tokenCount);
        return results;
    }

    /// <summary>Token ids for one text, [CLS] ... [SEP], truncated to the configured maximum.</summary>
    public int[] Tokenize(string? text) => _tokenizer.Encode(text ?? "", _maxTokens);

    /// <summary>Indices of <paramref name="tokens"/> ordered by length (stable), so batches pad as little as possible.</summary>
    public static int[] SortByLength(int[][] tokens)
    {
        var order = new int[tokens.Length];
        var keys = new long[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            order[i] = i;
            // Length in the high bits, index in the low: an unstable sort on this key is stable by index.
            keys[i] = ((long)tokens[i].Length << 32) | (uint)i;
        }

        Array.Sort(keys, order);
        return order;
    }

    private int[] Tokenize(string? text, int index)
    {
        try
        {
            return Tokenize(text);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            // One malformed text must not fail the batch of everyone else's.
            EncoderLog.TokenizationFailed(_logger, index, ex.Message);
            return Tokenize("");
        }
    }

    private long RunBatch(int[][] tokens, ReadOnlySpan<int> batch, float[][] results)
    {
        var rows = batch.Length;
        var seqLen = 0;
        long real = 0;
        foreach (var i in batch)
        {
            seqLen = Math.Max(seqLen, tokens[i].Length);
            real += tokens[i].Length;
        }

        var ids = new long[rows * seqLen];
        var mask = new long[rows * seqLen];
        for (var r = 0; r < rows; r++)
        {
            var t = tokens[batch[r]];
            var offset = r * seqLen;
            for (var j = 0; j < t.Length; j++)
            {
                ids[offset + j] = t[j];
                mask[offset + j] = 1;
            }

            // Padding ids are [PAD] (usually 0) with mask 0: never attended to, never pooled.
            if (_tokenizer.PadId != 0)
            {
                Array.Fill(ids, _tokenizer.PadId, offset + t.Length, seqLen - t.Length);
            }
        }

        long[] shape = [rows, seqLen];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = _feedTokenTypes ? OrtValue.CreateTensorValueFromMemory(new long[rows * seqLen], shape) : null;
        var names = _feedTokenTypes ? new[] { InputIds, AttentionMask, TokenTypeIds } : [InputIds, AttentionMask];
        var values = _feedTokenTypes ? new[] { idsValue, maskValue, typesValue! } : [idsValue, maskValue];
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, names, values, [_outputName]);
        var output = outputs[0].GetTensorDataAsSpan<float>();
        var dim = Dimension;
        for (var r = 0; r < rows; r++)
        {
            var vector = new float[dim];
            if (_outputIsPooled)
            {
                output.Slice(r * dim, dim).CopyTo(vector);
            }
            else if (_pooling == PoolingMode.Cls)
            {
                EmbeddingPooling.ClsPool(output.Slice(r * seqLen * dim, seqLen * dim), dim, vector);
            }
            else
            {
                EmbeddingPooling.MeanPool(output.Slice(r * seqLen * dim, seqLen * dim), mask.AsSpan(r * seqLen, seqLen), seqLen, dim, vector);
            }

            EmbeddingPooling.L2Normalize(vector);
            results[batch[r]] = vector;
        }

        return real;
    }

    private static (string Name, bool Pooled) ChooseOutput(InferenceSession session)
    {
        var outputs = session.OutputMetadata;
        if (outputs.TryGetValue("sentence_embedding", out var se) && se.Dimensions.Length == 2)
        {
            return ("sentence_embedding", true);
        }

        if (outputs.TryGetValue("last_hidden_state", out var lhs) && lhs.Dimensions.Length == 3)
        {
            return ("last_hidden_state", false);
        }

        foreach (var (name, meta) in outputs)
        {
            if (meta.ElementType == typeof(float) && meta.Dimensions.Length is 2 or 3)
            {
                return (name, meta.Dimensions.Length == 2);
            }
        }

        throw new EncodingException(
            $"Model has outputs [{string.Join(", ", outputs.Keys)}]; expected 'last_hidden_state' [batch, seq, hidden], 'sentence_embedding' [batch, dim] or another float 2-D/3-D output.");
    }

    private int ReadDimension()
    {
        var declared = _session.OutputMetadata[_outputName].Dimensions[^1];
        if (declared > 0)
        {
            return declared;
        }

        // A symbolic last dimension: ask the model itself with a two-token input.
        long[] shape = [1, 2];
        using var ids = OrtValue.CreateTensorValueFromMemory(new long[] { _tokenizer.ClsId, _tokenizer.SepId }, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(new long[] { 1, 1 }, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(new long[2], shape);
        using var runOptions = new RunOptions();
        using var outputs = _feedTokenTypes
            ? _session.Run(runOptions, [InputIds, AttentionMask, TokenTypeIds], [ids, mask, types], [_outputName])
            : _session.Run(runOptions, [InputIds, AttentionMask], [ids, mask], [_outputName]);
        var outShape = outputs[0].GetTensorTypeAndShape().Shape;
        return checked((int)outShape[^1]);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Info.ModelName} ({Info.ExecutionProvider}, dim {Dimension})");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _session.Dispose();
        _sessionOptions.Dispose();
    }
}
