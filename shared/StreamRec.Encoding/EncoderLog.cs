using Microsoft.Extensions.Logging;

namespace StreamRec.Encoding;

/// <summary>Log messages of the encoding library; event ids 3000-3099.</summary>
internal static partial class EncoderLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information,
        Message = "Encoder loaded: model {Model} ({Path}), provider {Provider}, dimension {Dimension}, pooling {Pooling}, max tokens {MaxTokens}, semantically trained {Trained}")]
    public static partial void EncoderLoaded(ILogger logger, string model, string path, string provider, int dimension, PoolingMode pooling, int maxTokens, bool trained);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning,
        Message = "CUDA execution provider requested (device {DeviceId}) but it could not be loaded ({Reason}); falling back to the CPU. Build with -p:StreamRecGpu=true on a machine with the CUDA runtime to use the GPU.")]
    public static partial void CudaFallback(ILogger logger, int deviceId, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "Synthesized {Model} at {Path} (seed {Seed}). Its vectors are NOT semantically trained: they reflect shared words, not meaning. Run 'streamrec model fetch all-MiniLM-L6-v2' on a machine with internet for a real model.")]
    public static partial void ModelSynthesized(ILogger logger, string model, string path, ulong seed);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Using model {Model} at {Path} with vocabulary {Vocab}")]
    public static partial void ModelResolved(ILogger logger, string model, string path, string vocab);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Fetched {Model} into {Directory}")]
    public static partial void ModelFetched(ILogger logger, string model, string directory);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Text {Index} of the batch could not be tokenized ({Reason}); encoding it as empty text")]
    public static partial void TokenizationFailed(ILogger logger, int index, string reason);
}
