using Confluent.Kafka;
using StreamRec.Contracts;

namespace StreamRec.SystemBench.Pipeline;

/// <summary>
/// Tells when the pipeline has finished everything produced so far, from the outside: every group watched has
/// committed up to the end of its topics (the profile-updater of clicks and reviews, the recommender of user-vectors,
/// the item side of engagements ...). The services commit only what they finished (store written, output acked), so
/// drained groups mean every list has been published and every row written. Auto-commit runs every second, so this
/// answers up to a second late; the measured time ends at the last list received, not here.
/// </summary>
internal sealed class GroupProgress : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, (IConsumer<Ignore, Ignore> Consumer, TopicPartition[] Partitions)> _groups = new(StringComparer.Ordinal);

    /// <summary>Any groups, each with the topics it consumes.</summary>
    public GroupProgress(string bootstrapServers, int partitions, IReadOnlyDictionary<string, string[]> groups)
    {
        // Committed() and QueryWatermarkOffsets() need no subscription, so these never join (or disturb) the groups.
        foreach (var (group, topics) in groups)
        {
            _groups[group] = (Build(bootstrapServers, group), [.. topics.SelectMany(t => Enumerable.Range(0, partitions).Select(p => new TopicPartition(t, p)))]);
        }
    }

    /// <summary>True when every group has committed up to the end of its topics.</summary>
    public bool Drained() => _groups.Keys.All(CaughtUp);

    /// <summary>True when <paramref name="group"/> has committed up to the end of its topics.</summary>
    public bool CaughtUp(string group)
    {
        var (consumer, partitions) = _groups[group];
        var committed = CommittedOffsets(consumer, partitions);
        foreach (var tp in partitions)
        {
            var high = consumer.QueryWatermarkOffsets(tp, Timeout).High.Value;
            if (committed.GetValueOrDefault(tp) < high)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Messages <paramref name="group"/> has committed over all its partitions (offsets start at 0 on the dev broker).</summary>
    public long Committed(string group)
    {
        var (consumer, partitions) = _groups[group];
        return CommittedOffsets(consumer, partitions).Values.Sum();
    }

    /// <summary>The end of <paramref name="group"/>'s topics: the sum of their high watermarks.</summary>
    public long End(string group)
    {
        var (consumer, partitions) = _groups[group];
        return partitions.Sum(tp => consumer.QueryWatermarkOffsets(tp, Timeout).High.Value);
    }

    /// <summary>The groups watched.</summary>
    public IReadOnlyCollection<string> Groups => _groups.Keys;

    private static Dictionary<TopicPartition, long> CommittedOffsets(IConsumer<Ignore, Ignore> consumer, TopicPartition[] partitions) =>
        consumer.Committed(partitions, Timeout).ToDictionary(c => c.TopicPartition, c => Math.Max(0, c.Offset.Value));

    private static IConsumer<Ignore, Ignore> Build(string bootstrapServers, string groupId) =>
        new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = groupId, EnableAutoCommit = false }).Build();

    public void Dispose()
    {
        foreach (var (consumer, _) in _groups.Values)
        {
            consumer.Dispose();
        }
    }
}
