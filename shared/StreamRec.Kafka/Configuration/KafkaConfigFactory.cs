using System.Globalization;
using Confluent.Kafka;

namespace StreamRec.Kafka.Configuration;

/// <summary>Builds Confluent.Kafka configs from <see cref="KafkaOptions"/>. <see cref="KafkaOptions.Client"/>
/// is applied last so operators can override anything (security, tuning) without a code change.</summary>
public static class KafkaConfigFactory
{
    /// <summary>Config of the long-lived, idempotent producer: every write is acked by all in-sync replicas,
    /// and retries cannot duplicate or reorder a partition's messages.</summary>
    public static ProducerConfig Producer(KafkaOptions options, string? clientId = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = options.BootstrapServers,
            ClientId = clientId ?? "streamrec-producer",
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = options.ProducerLinger.TotalMilliseconds,
            CompressionType = options.ProducerCompression,
            MessageMaxBytes = Math.Max(options.MaxMessageBytes + 64 * 1024, 1_000_000),
            // Kafka's murmur2 keeps the same key on the same partition as Java producers do.
            Partitioner = Partitioner.Murmur2Random,
        };
        return Apply(config, options);
    }

    /// <summary>Config of a consumer in group <c>{GroupIdPrefix}.{group}</c>: offsets are stored by
    /// StreamRec only after processing and auto-committed from that store, partitions move cooperatively.</summary>
    public static ConsumerConfig Consumer(KafkaOptions options, string groupId, string? clientId = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = GroupId(options, groupId),
            ClientId = clientId ?? $"streamrec-{groupId}",
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 1000,
            // The whole point: auto-commit only commits what we stored after a message was handled.
            EnableAutoOffsetStore = false,
            AutoOffsetReset = options.AutoOffsetReset,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            SessionTimeoutMs = (int)options.SessionTimeout.TotalMilliseconds,
            MaxPollIntervalMs = (int)options.MaxPollInterval.TotalMilliseconds,
            EnablePartitionEof = false,
            // Freshness: a fetch that finds no data is held by the broker for up to this long. A busy real broker
            // answers as soon as data arrives anyway; librdkafka's mock cluster holds the full wait, which alone
            // added ~0.5 s per hop (and a list crosses two hops).
            FetchWaitMaxMs = (int)options.FetchWaitMax.TotalMilliseconds,
            // Larger messages still have to be fetched (to dead-letter them), so fetch limits are not lowered.
        };
        return Apply(config, options);
    }

    /// <summary>Config of an admin client.</summary>
    public static AdminClientConfig Admin(KafkaOptions options)
    {
        var config = new AdminClientConfig { BootstrapServers = options.BootstrapServers, ClientId = "streamrec-admin" };
        return Apply(config, options);
    }

    /// <summary>The full group id for a logical group name: prefix and name joined by a dot (no prefix when it is already there).</summary>
    public static string GroupId(KafkaOptions options, string groupId) =>
        groupId.StartsWith(options.GroupIdPrefix + ".", StringComparison.Ordinal)
            ? groupId
            : string.Create(CultureInfo.InvariantCulture, $"{options.GroupIdPrefix}.{groupId}");

    private static T Apply<T>(T config, KafkaOptions options)
        where T : ClientConfig
    {
        foreach (var (key, value) in options.Client)
        {
            config.Set(key, value);
        }

        return config;
    }
}
