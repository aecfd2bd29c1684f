using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamRec.Contracts;
using StreamRec.Messaging;
using StreamRec.Observability;

namespace StreamRec.Kafka.Producing;

/// <summary>
/// Sends messages that can never succeed to the dead-letter topic, so one bad event never blocks a
/// partition. The original key and value bytes are kept untouched (the message can be fixed and
/// replayed); why and where it came from travel in headers. A value too large for the dead-letter topic
/// (the producer's or the broker's size limit) is cut to its first <see cref="TruncatedValueBytes"/> bytes,
/// marked by the <c>truncated</c> and <c>original-size</c> headers, rather than stopping the consumer.
/// The <c>error-kind</c> header is one of <see cref="DeadLetterKinds"/>.
/// </summary>
public sealed class DeadLetterPublisher : IDeadLetterSink
{
    /// <summary>The dead-letter topic.</summary>
    public const string Topic = Topics.DeadLetter;

    /// <summary>Header names written on every dead letter.</summary>
    public static class Headers
    {
        public const string Error = "error";
        public const string ErrorKind = "error-kind";
        public const string SourceTopic = "source-topic";
        public const string SourcePartition = "source-partition";
        public const string SourceOffset = "source-offset";
        public const string Service = "service";
        public const string Truncated = "truncated";
        public const string OriginalSize = "original-size";
    }

    /// <summary>How much of a value too large to dead-letter whole is kept: 64 KiB.</summary>
    public const int TruncatedValueBytes = 64 * 1024;

    private static readonly HashSet<string> OwnHeaders =
        [Headers.Error, Headers.ErrorKind, Headers.SourceTopic, Headers.SourcePartition, Headers.SourceOffset, Headers.Service, Headers.Truncated, Headers.OriginalSize];

    private readonly KafkaProducer _producer;
    private readonly ILogger<DeadLetterPublisher> _logger;

    public DeadLetterPublisher(KafkaProducer producer, ILogger<DeadLetterPublisher> logger)
    {
        _producer = producer;
        _logger = logger;
    }

    /// <summary>Produces <paramref name="message"/> to <see cref="Topic"/> and waits for the ack. The original
    /// headers are kept, except ones named like the dead-letter headers, which are replaced.</summary>
    public async Task PublishAsync(ConsumedMessage message, string reason, string errorKind, string service, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var headers = new List<KeyValuePair<string, byte[]>>(message.Headers.Count + 6);
        headers.AddRange(message.Headers.Where(h => !OwnHeaders.Contains(h.Key)));
        headers.Add(Header(Headers.Error, reason));
        headers.Add(Header(Headers.ErrorKind, errorKind));
        headers.Add(Header(Headers.SourceTopic, message.Topic));
        headers.Add(Header(Headers.SourcePartition, message.Partition.ToString(CultureInfo.InvariantCulture)));
        headers.Add(Header(Headers.SourceOffset, message.Offset.ToString(CultureInfo.InvariantCulture)));
        headers.Add(Header(Headers.Service, service));

        var key = message.RawKey ?? (message.Key is null ? null : System.Text.Encoding.UTF8.GetBytes(message.Key));
        try
        {
            await _producer.ProduceAsync(Topic, key, message.Value, headers, cancellationToken);
        }
        catch (ProduceException<byte[]?, byte[]> e) when (IsTooLarge(e.Error.Code) && message.Value.Length > TruncatedValueBytes)
        {
            Log.DeadLetterTruncated(_logger, message.Topic, message.Partition, message.Offset, message.Value.Length, e.Error.Reason);
            headers.Add(Header(Headers.Truncated, "true"));
            headers.Add(Header(Headers.OriginalSize, message.Value.Length.ToString(CultureInfo.InvariantCulture)));
            await _producer.ProduceAsync(Topic, key, message.Value[..TruncatedValueBytes], headers, cancellationToken);
        }

        StreamRecMetrics.DeadLetters.WithLabels(message.Topic).Inc();
        StreamRecMetrics.EventsProcessed.WithLabels(message.Topic, StreamRecMetrics.Outcomes.DeadLettered).Inc();
        Log.DeadLettered(_logger, message.Topic, message.Partition, message.Offset, errorKind, service, reason);
    }

    // librdkafka uses the broker's MSG_SIZE_TOO_LARGE code for its own message.max.bytes check as well.
    private static bool IsTooLarge(ErrorCode code) => code == ErrorCode.MsgSizeTooLarge;

    private static KeyValuePair<string, byte[]> Header(string name, string value) => KeyValuePair.Create(name, System.Text.Encoding.UTF8.GetBytes(value));
}
