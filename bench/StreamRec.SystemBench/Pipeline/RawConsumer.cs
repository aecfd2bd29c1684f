using Confluent.Kafka;

namespace StreamRec.SystemBench.Pipeline;

/// <summary>
/// The baseline: a bare Confluent.Kafka consumer reading exactly the messages a phase produced, from the same broker,
/// doing nothing with them. The pipeline's events/s divided by this is what StreamRec's work costs on top of reading
/// the topics at all.
/// </summary>
internal static class RawConsumer
{
    /// <summary>How many times the messages are read: the best pass counts.</summary>
    public const int Passes = 3;

    /// <summary>Messages per second reading [from, to) of every partition, or what the broker still retains of it; timed
    /// from the first message to the last; the best of <see cref="Passes"/> passes, each with a new consumer. The
    /// retained part of a steady backlog is read in a fraction of a second, so one stall of the machine in a single
    /// pass showed up as a bare consumer seven times slower than in the runs around it (104,973 against 700,000-odd
    /// messages/s, 2026-12-07) and a ratio to it seven times too good; the best pass is what the consumer can do, and
    /// the ratio to it errs on the low side.</summary>
    public static double? MessagesPerSecond(string bootstrapServers, IReadOnlyDictionary<TopicPartition, long> from, IReadOnlyDictionary<TopicPartition, long> to, TimeProvider time)
    {
        double? best = null;
        for (var pass = 0; pass < Passes; pass++)
        {
            if (OnePass(bootstrapServers, from, to, time) is { } rate && (best is null || rate > best))
            {
                best = rate;
            }
        }

        return best;
    }

    private static double? OnePass(string bootstrapServers, IReadOnlyDictionary<TopicPartition, long> from, IReadOnlyDictionary<TopicPartition, long> to, TimeProvider time)
    {
        var ranges = from.Where(kv => to[kv.Key] > kv.Value).ToDictionary(kv => kv.Key, kv => (Start: kv.Value, End: to[kv.Key]));
        var total = ranges.Values.Sum(r => r.End - r.Start);
        if (total < 2)
        {
            return null;
        }

        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "streamrec-bench-raw-" + Guid.NewGuid().ToString("N")[..8],
            EnableAutoCommit = false,
            // The dev broker keeps about 5 MB per partition: of a large backlog only the newest part is still there after
            // the drain, and a start below the log's beginning would otherwise jump to its end and read nothing.
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Assign(ranges.Select(r => new TopicPartitionOffset(r.Key, new Offset(r.Value.Start))));
        var remaining = ranges.ToDictionary(r => r.Key, r => r.Value.End);
        long read = 0;
        long? first = null;
        long last = 0;
        var started = time.GetTimestamp();
        while (remaining.Count > 0 && time.GetElapsedTime(started) < TimeSpan.FromMinutes(2))
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            var now = time.GetTimestamp();
            first ??= now;
            last = now;
            if (remaining.TryGetValue(result.TopicPartition, out var end) && result.Offset.Value < end)
            {
                read++;
                if (result.Offset.Value + 1 >= end)
                {
                    remaining.Remove(result.TopicPartition);
                }
            }
        }

        consumer.Close();
        // The first message is the clock's start, so it is not counted in the rate.
        return first is { } f && last > f ? (read - 1) / time.GetElapsedTime(f, last).TotalSeconds : null;
    }
}
