using Confluent.Kafka;
using StreamRec.Contracts;

namespace StreamRec.Chaos;

/// <summary>Kafka plumbing of crash and chaos runs: produce in order, read whole topics, compare committed offsets with high watermarks.</summary>
public sealed class ChaosKafka : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private readonly IProducer<string, byte[]> _producer;
    private bool _hasItemSide;

    public ChaosKafka(string bootstrapServers, int partitions)
    {
        BootstrapServers = bootstrapServers;
        Partitions = partitions;
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 2,
            // Same partitioner as the services' producer, so a user's events land where a real app would put them.
            Partitioner = Partitioner.Murmur2Random,
            MessageSendMaxRetries = int.MaxValue,
            MessageTimeoutMs = 120_000,
            // Hostile-input runs send messages up to 10 MB; librdkafka's default (1,000,000) would refuse them before the broker sees them.
            MessageMaxBytes = 16 * 1024 * 1024,
        }).Build();
    }

    public string BootstrapServers { get; }

    public int Partitions { get; }

    /// <summary>The consumer groups whose committed offsets must reach the end of their topics, and those topics.</summary>
    /// <param name="prefix">The services' <c>StreamRec:Kafka:GroupIdPrefix</c> (default <c>streamrec</c>).</param>
    public static IReadOnlyList<(string Group, string[] Topics)> ServiceGroups(string prefix = "streamrec", bool itemSide = false) =>
    [
        ($"{prefix}.item-indexer", [Topics.Items]),
        ($"{prefix}.profile-updater", [Topics.UserEvents]),
        ($"{prefix}.recommender", [Topics.UserVectors]),
        .. itemSide ? [($"{prefix}.co-engagement-updater", new[] { Topics.Engagements })] : Array.Empty<(string, string[])>(),
    ];

    /// <summary>True when the profile-updater published engagements: the item side's group must then consume them too.
    /// Once true it stays true (a high watermark never goes down), so the commit polls stop asking.</summary>
    public bool HasItemSide()
    {
        if (_hasItemSide)
        {
            return true;
        }

        try
        {
            return _hasItemSide = HighWatermarks([Topics.Engagements]).Values.Sum() > 0;
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition)
        {
            return false; // a run without the topic has no item side
        }
    }

    /// <summary>The service groups in the order their offsets must be read: a group after the groups that feed it. Whether
    /// the item side takes part is asked only after the profile-updater's offsets were read: once those cover every
    /// event, every engagement it published for them is already in the topic (it publishes before it commits). Asked
    /// first, a batch published and committed in between made a poll see no item side and all committed, while the item
    /// side had not read a message (a crash test failed so on CI).</summary>
    private IEnumerable<(string Group, string[] Topics)> Groups(string prefix)
    {
        foreach (var group in ServiceGroups(prefix, itemSide: true))
        {
            if (group.Topics.Contains(Topics.Engagements) && !HasItemSide())
            {
                yield break;
            }

            yield return group;
        }
    }

    /// <summary>Produces the events in order (per partition, the idempotent producer keeps that order through retries) and waits for every ack.</summary>
    public void Produce(IEnumerable<IStreamRecEvent> events)
    {
        Exception? failure = null;
        foreach (var e in events)
        {
            _producer.Produce(e.Topic, new Message<string, byte[]> { Key = e.Key, Value = EventParser.Serialize(e) }, report =>
            {
                if (report.Error.IsError)
                {
                    failure ??= new KafkaException(report.Error);
                }
            });
        }

        _producer.Flush(TimeSpan.FromMinutes(3));
        if (failure is not null)
        {
            throw new InvalidOperationException("producing the workload failed", failure);
        }
    }

    /// <summary>Produces raw bytes (hostile input) and waits for the ack.</summary>
    public Task<DeliveryResult<string, byte[]>> ProduceRawAsync(string topic, string? key, byte[] value, CancellationToken cancellationToken) =>
        _producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key!, Value = value }, cancellationToken);

    /// <summary>Every message of the topic, partition by partition, in offset order.</summary>
    public List<ConsumeResult<string, byte[]>> ReadAll(string topic)
    {
        using var consumer = NewConsumer(null);
        var result = new List<ConsumeResult<string, byte[]>>();
        for (var p = 0; p < Partitions; p++)
        {
            var tp = new TopicPartition(topic, p);
            var high = consumer.QueryWatermarkOffsets(tp, RequestTimeout).High.Value;
            if (high <= 0)
            {
                continue;
            }

            consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
            var deadline = Environment.TickCount64 + 60_000;
            while (Environment.TickCount64 < deadline)
            {
                var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (r is null || r.IsPartitionEOF)
                {
                    continue;
                }

                result.Add(r);
                if (r.Offset.Value >= high - 1)
                {
                    break;
                }
            }

            consumer.Unassign();
        }

        return result;
    }

    /// <summary>Partitions of <paramref name="topic"/> whose oldest messages are gone (low watermark above 0): the dev
    /// broker keeps about 5 MB per partition and drops the oldest beyond that, so a whole-topic read misses them.</summary>
    public long EvictedMessages(string topic)
    {
        using var consumer = NewConsumer(null);
        return Enumerable.Range(0, Partitions).Sum(p => Math.Max(0, consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), RequestTimeout).Low.Value));
    }

    /// <summary>Reads <see cref="Topics.Recommendations"/> from the beginning for as long as it lives, remembering which
    /// users got a list: lists the broker's retention drops later are still counted.</summary>
    public ListTail TailLists() => new(NewConsumer(null), Partitions);

    /// <summary>Replays <see cref="Topics.Engagements"/> into <paramref name="replay"/> as it is written, from the beginning.</summary>
    public EngagementTail TailEngagements(EngagementLogReplay replay) => new(NewConsumer(null), Partitions, replay);

    /// <summary>High watermark per partition of each topic.</summary>
    public Dictionary<TopicPartition, long> HighWatermarks(IEnumerable<string> topics)
    {
        using var consumer = NewConsumer(null);
        var result = new Dictionary<TopicPartition, long>();
        foreach (var topic in topics)
        {
            for (var p = 0; p < Partitions; p++)
            {
                var tp = new TopicPartition(topic, p);
                result[tp] = consumer.QueryWatermarkOffsets(tp, RequestTimeout).High.Value;
            }
        }

        return result;
    }

    /// <summary>The group's committed offset per partition (0 when nothing was committed).</summary>
    public Dictionary<TopicPartition, long> Committed(string group, IEnumerable<string> topics)
    {
        // A consumer that never subscribes does not join the group: it only reads its offsets.
        using var consumer = NewConsumer(group);
        var partitions = topics.SelectMany(t => Enumerable.Range(0, Partitions).Select(p => new TopicPartition(t, p))).ToList();
        return consumer.Committed(partitions, RequestTimeout).ToDictionary(o => o.TopicPartition, o => Math.Max(0, o.Offset.Value));
    }

    /// <summary>Messages not yet committed by the service groups: Σ (high watermark − committed). Zero when everything is done.</summary>
    public long Uncommitted(string prefix = "streamrec")
    {
        long total = 0;
        foreach (var (group, topics) in Groups(prefix))
        {
            var high = HighWatermarks(topics);
            var committed = Committed(group, topics);
            total += high.Sum(kv => Math.Max(0, kv.Value - committed.GetValueOrDefault(kv.Key)));
        }

        return total;
    }

    /// <summary>The partitions a service group has not finished, as <c>group topic[p] committed/high</c>, for failure messages.</summary>
    public string DescribeUncommitted(string prefix = "streamrec")
    {
        var parts = new List<string>();
        foreach (var (group, topics) in Groups(prefix))
        {
            var high = HighWatermarks(topics);
            var committed = Committed(group, topics);
            parts.AddRange(high.Where(kv => committed.GetValueOrDefault(kv.Key) < kv.Value)
                .Select(kv => $"{group} {kv.Key.Topic}[{kv.Key.Partition.Value}] {committed.GetValueOrDefault(kv.Key)}/{kv.Value}"));
        }

        return parts.Count == 0 ? "nothing uncommitted" : string.Join("; ", parts);
    }

    /// <summary>True when the group has committed at least <paramref name="target"/> on every partition listed there.</summary>
    public bool Covers(string group, IReadOnlyDictionary<TopicPartition, long> target)
    {
        var committed = Committed(group, target.Keys.Select(k => k.Topic).Distinct());
        return target.All(kv => committed.GetValueOrDefault(kv.Key) >= kv.Value);
    }

    /// <summary>Polls until no service group has uncommitted messages; false on timeout.</summary>
    public Task<bool> WaitUntilAllCommittedAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitUntilAllCommittedAsync(timeout, "streamrec", cancellationToken);

    /// <summary>Polls until the service groups with this prefix have no uncommitted messages; false on timeout.</summary>
    public async Task<bool> WaitUntilAllCommittedAsync(TimeSpan timeout, string prefix, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            if (TryUncommitted(prefix) == 0)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, cancellationToken);
        }

        return false;
    }

    /// <summary><see cref="Uncommitted"/>, or -1 while the broker does not answer (a fault is being injected).</summary>
    public long TryUncommitted(string prefix = "streamrec")
    {
        try
        {
            return Uncommitted(prefix);
        }
        catch (KafkaException)
        {
            return -1;
        }
    }

    private IConsumer<string, byte[]> NewConsumer(string? group) => new ConsumerBuilder<string, byte[]>(new ConsumerConfig
    {
        BootstrapServers = BootstrapServers,
        GroupId = group ?? "chaos-reader-" + Guid.NewGuid().ToString("N"),
        EnableAutoCommit = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnablePartitionEof = false,
    }).Build();

    public void Dispose() => _producer.Dispose();
}

/// <summary>A background reader of <see cref="Topics.Recommendations"/> collecting the users that got a list.</summary>
public sealed class ListTail : IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _users = new(StringComparer.Ordinal);
    private readonly TopicTail _tail;

    internal ListTail(IConsumer<string, byte[]> consumer, int partitions)
    {
        _tail = new TopicTail(consumer, Topics.Recommendations, partitions, "chaos-list-tail", value =>
        {
            if (EventParser.Parse(value).Event is RecommendationList list)
            {
                _users.TryAdd(list.UserId, 0);
            }
        });
    }

    /// <summary>Users seen in a list so far.</summary>
    public IReadOnlyCollection<string> Users => [.. _users.Keys];

    /// <summary>Waits until the tail has read up to <paramref name="highWatermarks"/> (of the recommendations topic); false on timeout.</summary>
    public Task<bool> CaughtUpAsync(IReadOnlyDictionary<TopicPartition, long> highWatermarks, TimeSpan timeout, CancellationToken cancellationToken) =>
        _tail.CaughtUpAsync(highWatermarks, timeout, cancellationToken);

    public void Dispose() => _tail.Dispose();
}

/// <summary>A background reader of <see cref="Topics.Engagements"/> replaying every message, as it is written, into an
/// <see cref="EngagementLogReplay"/>: a long run outgrows the dev broker's retention, so the log cannot be read back at
/// the end.</summary>
public sealed class EngagementTail : IDisposable
{
    private readonly TopicTail _tail;

    internal EngagementTail(IConsumer<string, byte[]> consumer, int partitions, EngagementLogReplay replay)
    {
        Replay = replay;
        _tail = new TopicTail(consumer, Topics.Engagements, partitions, "chaos-engagement-tail", value => replay.Apply(value));
    }

    public EngagementLogReplay Replay { get; }

    /// <summary>Waits until the tail has read up to <paramref name="highWatermarks"/> (of the engagements topic); false on timeout.</summary>
    public Task<bool> CaughtUpAsync(IReadOnlyDictionary<TopicPartition, long> highWatermarks, TimeSpan timeout, CancellationToken cancellationToken) =>
        _tail.CaughtUpAsync(highWatermarks, timeout, cancellationToken);

    public void Dispose() => _tail.Dispose();
}

/// <summary>Reads every partition of one topic from the beginning on a thread of its own, each message once, in offset
/// order per partition, handing each value to a callback.</summary>
internal sealed class TopicTail : IDisposable
{
    private readonly IConsumer<string, byte[]> _consumer;
    private readonly Action<byte[]> _onMessage;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, long> _next = new();

    public TopicTail(IConsumer<string, byte[]> consumer, string topic, int partitions, string name, Action<byte[]> onMessage)
    {
        _consumer = consumer;
        _onMessage = onMessage;
        _consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Waits until the tail has read up to <paramref name="highWatermarks"/>; false on timeout.</summary>
    public async Task<bool> CaughtUpAsync(IReadOnlyDictionary<TopicPartition, long> highWatermarks, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (highWatermarks.Any(kv => kv.Value > 0 && _next.GetValueOrDefault(kv.Key.Partition.Value) < kv.Value))
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cancellationToken);
        }

        return true;
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (_consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { Message.Value: { } value } result)
                {
                    continue;
                }

                _onMessage(value);
                _next[result.Partition.Value] = result.Offset.Value + 1;
            }
            catch (ConsumeException)
            {
                // A broker fault of the chaos run: keep reading.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _consumer.Close();
        _consumer.Dispose();
        _stop.Dispose();
    }
}
