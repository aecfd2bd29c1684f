using System.ComponentModel.DataAnnotations;

namespace StreamRec.Kafka.Configuration;

/// <summary>How StreamRec talks to Kafka. Bound from <see cref="SectionName"/>, e.g. the environment
/// variable <c>StreamRec__Kafka__BootstrapServers</c>.</summary>
public sealed class KafkaOptions
{
    public const string SectionName = "StreamRec:Kafka";

    /// <summary>Comma-separated host:port list. Default <c>127.0.0.1:9092</c>; <c>streamrec broker</c> prints the dev broker's.</summary>
    [Required]
    [MinLength(1)]
    public string BootstrapServers { get; set; } = "127.0.0.1:9092";

    /// <summary>librdkafka properties passed verbatim to every producer, consumer and admin client,
    /// after StreamRec's own settings so they can override them: SASL/TLS (<c>security.protocol</c>,
    /// <c>sasl.mechanism</c>, <c>sasl.username</c>, <c>sasl.password</c>, <c>ssl.ca.location</c>) and any tuning.
    /// Default empty. Values of keys containing password, secret or key are masked in logs.</summary>
    public Dictionary<string, string> Client { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Prefix of consumer group ids: group = <c>{GroupIdPrefix}.{group}</c>. Default <c>streamrec</c>.</summary>
    [Required]
    [MinLength(1)]
    public string GroupIdPrefix { get; set; } = "streamrec";

    /// <summary>Most messages handed to a handler at once. Default 256.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>How long a batch waits to fill once its first message arrived. Default 5 ms (each consumer hop of a
    /// list waits this at most; at 1k events/s 20 ms put event-to-list p50 at 74 ms, 10 ms with a 10 ms fetch wait at
    /// 45 ms, and 5 ms with a 1 ms <see cref="ProducerLinger"/> took 10–21 ms more off p50 in every 1k phase of the
    /// bench, with no throughput loss on a full-speed backlog, whose batches fill anyway: docs/benchmarks.md).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Messages buffered per consumer between the poll thread and the handler; when full the
    /// consumer pauses its partitions until it drains to half. Default 2048.</summary>
    [Range(1, 1_000_000)]
    public int ChannelCapacity { get; set; } = 2048;

    /// <summary>Largest message value (bytes) a handler is given; larger ones go to the DLQ as too large. Default 1 MiB (1048576).</summary>
    [Range(1, int.MaxValue)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Consumer group session timeout (<c>session.timeout.ms</c>). Default 45 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>Consumer <c>max.poll.interval.ms</c>. The poll thread never stops polling, so only a stuck
    /// poll thread trips it. Default 300 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Budget for a graceful stop: drain in-flight work, commit, leave the group, flush producers. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First back-off after a transient handler failure; it doubles per consecutive failure, with jitter. Default 200 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan TransientRetryMinBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Cap of the transient back-off. Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan TransientRetryMaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often consumer lag is refreshed from cached watermarks. Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan LagRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Consumer <c>fetch.wait.max.ms</c>: how long the broker may hold a fetch that found no data. Lower is
    /// fresher and costs more idle fetch requests. Default 10 ms (librdkafka's own default is 500 ms; see
    /// <see cref="MaxBatchWait"/> for what 10 ms bought).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan FetchWaitMax { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Producer <c>linger.ms</c>: how long the producer waits to fill a batch. Default 1 ms (every list crosses
    /// two produces, each waiting this; at full speed batches fill before it passes).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan ProducerLinger { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Producer <c>compression.type</c>. Default <c>Lz4</c>: StreamRec's messages are JSON, and the item side's
    /// engagement messages (one click touches up to 51 items' rows) shrink several times over for little CPU.</summary>
    public Confluent.Kafka.CompressionType ProducerCompression { get; set; } = Confluent.Kafka.CompressionType.Lz4;

    /// <summary>Where a consumer group without committed offsets starts. Default <c>Earliest</c>, so
    /// events produced before a service's first start are not skipped.</summary>
    public Confluent.Kafka.AutoOffsetReset AutoOffsetReset { get; set; } = Confluent.Kafka.AutoOffsetReset.Earliest;

    /// <summary>A copy with one consumer group's own batching (<paramref name="batching"/> null: this instance).</summary>
    public KafkaOptions With(Consuming.ConsumerBatching? batching)
    {
        if (batching is null)
        {
            return this;
        }

        var copy = (KafkaOptions)MemberwiseClone();
        copy.MaxBatchSize = batching.MaxBatchSize;
        copy.MaxBatchWait = batching.MaxBatchWait;
        copy.ChannelCapacity = Math.Max(ChannelCapacity, 2 * batching.MaxBatchSize);
        return copy;
    }
}
