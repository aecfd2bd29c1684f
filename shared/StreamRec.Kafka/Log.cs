using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace StreamRec.Kafka;

/// <summary>Kafka plumbing logs; event ids 4000-4099.</summary>
internal static partial class Log
{
    [LoggerMessage(4000, LogLevel.Information, "Kafka producer {ClientId} created for {BootstrapServers} (client settings: {Settings})")]
    public static partial void ProducerCreated(ILogger logger, string clientId, string bootstrapServers, string settings);

    [LoggerMessage(4001, LogLevel.Warning, "Kafka client {ClientId} error {Code}: {Reason}")]
    public static partial void ClientError(ILogger logger, string clientId, ErrorCode code, string reason);

    [LoggerMessage(4002, LogLevel.Warning, "Kafka producer flush did not finish within {Timeout}; {Pending} messages may be lost")]
    public static partial void FlushIncomplete(ILogger logger, TimeSpan timeout, int pending);

    [LoggerMessage(4010, LogLevel.Warning, "Dead-lettered {Topic}[{Partition}]@{Offset} ({Kind}) from {Service}: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string topic, int partition, long offset, string kind, string service, string reason);

    [LoggerMessage(4011, LogLevel.Warning, "Dead letter for {Topic}[{Partition}]@{Offset} is too large for the dead-letter topic ({Size} bytes: {Reason}); keeping its first 64 KiB")]
    public static partial void DeadLetterTruncated(ILogger logger, string topic, int partition, long offset, int size, string reason);

    [LoggerMessage(4020, LogLevel.Information, "Consumer {Group} of {Service} subscribing to {Topics} at {BootstrapServers} (client settings: {Settings})")]
    public static partial void ConsumerStarting(ILogger logger, string group, string service, string topics, string bootstrapServers, string settings);

    [LoggerMessage(4021, LogLevel.Information, "Consumer {Group} assigned {Partitions}")]
    public static partial void PartitionsAssigned(ILogger logger, string group, string partitions);

    [LoggerMessage(4022, LogLevel.Information, "Consumer {Group} revoked {Partitions}; committed {Offsets}")]
    public static partial void PartitionsRevoked(ILogger logger, string group, string partitions, string offsets);

    [LoggerMessage(4023, LogLevel.Warning, "Consumer {Group} lost {Partitions}; their uncommitted work will be redelivered to the new owner")]
    public static partial void PartitionsLost(ILogger logger, string group, string partitions);

    [LoggerMessage(4024, LogLevel.Warning, "Consumer {Group}: transient failure #{Attempt} on a batch of {Count}; partitions paused, retrying in {Delay}")]
    public static partial void TransientFailure(ILogger logger, Exception exception, string group, int attempt, int count, TimeSpan delay);

    [LoggerMessage(4025, LogLevel.Warning, "Consumer {Group}: batch of {Count} failed; retrying its messages one by one to isolate the poison ones")]
    public static partial void IsolatingPoison(ILogger logger, Exception exception, string group, int count);

    [LoggerMessage(4026, LogLevel.Debug, "Consumer {Group} paused {Count} partitions ({Reason})")]
    public static partial void Paused(ILogger logger, string group, int count, string reason);

    [LoggerMessage(4027, LogLevel.Debug, "Consumer {Group} resumed {Count} partitions")]
    public static partial void Resumed(ILogger logger, string group, int count);

    [LoggerMessage(4028, LogLevel.Warning, "Consumer {Group}: commit failed: {Reason}")]
    public static partial void CommitFailed(ILogger logger, string group, string reason);

    [LoggerMessage(4029, LogLevel.Warning, "Consumer {Group}: consume error {Code}: {Reason}")]
    public static partial void ConsumeError(ILogger logger, string group, ErrorCode code, string reason);

    [LoggerMessage(4030, LogLevel.Critical, "Consumer {Group}: fatal Kafka error {Code}: {Reason}; stopping this consumer")]
    public static partial void FatalError(ILogger logger, string group, ErrorCode code, string reason);

    [LoggerMessage(4031, LogLevel.Information, "Consumer {Group} stopped")]
    public static partial void ConsumerStopped(ILogger logger, string group);

    [LoggerMessage(4032, LogLevel.Warning, "Consumer {Group}: in-flight work did not finish within {Timeout}; its offsets are not stored and it will be redelivered")]
    public static partial void DrainTimedOut(ILogger logger, string group, TimeSpan timeout);

    [LoggerMessage(4033, LogLevel.Error, "Consumer {Group}: unexpected failure in the poll loop")]
    public static partial void PollLoopFailed(ILogger logger, Exception exception, string group);

    [LoggerMessage(4034, LogLevel.Warning, "Consumer {Group}: could not store offset {Offset}: {Reason}")]
    public static partial void StoreFailed(ILogger logger, string group, string offset, string reason);
}

internal static partial class ConsumerLog
{
    [LoggerMessage(4035, LogLevel.Warning, "librdkafka {Name} {Facility}: {Message}")]
    public static partial void Librdkafka(ILogger logger, string name, string facility, string message);

    [LoggerMessage(4036, LogLevel.Error, "Consumer {Group}: handler callback {Callback} failed")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, string group, string callback);

    [LoggerMessage(4038, LogLevel.Warning, "Consumer {Group}: retrying parked messages failed; they stay parked and the next round retries them")]
    public static partial void ParkedRetryFailed(ILogger logger, Exception exception, string group);

    [LoggerMessage(4037, LogLevel.Warning, "Consumer {Group}: handler returned poison index {Index} outside a batch of {Count}; ignored")]
    public static partial void BadPoisonIndex(ILogger logger, string group, int index, int count);
}
