using Confluent.Kafka;
using StreamRec.Contracts;

namespace StreamRec.Bench.Pipeline;

/// <summary>
/// Tells when the pipeline has finished everything produced so far, from the outside: the profile-updater group has
/// committed up to the end of clicks and reviews, and then the recommender group up to the end of user-vectors. The
/// services commit only what they finished (store written, output acked), so a drained pair of groups means every
/// list has been published. Auto-commit runs every second, so this answers up to a second late; the measured time
/// ends at the last list received, not here.
/// </summary>
internal sealed class GroupProgress : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly IConsumer<Ignore, Ignore> _profileUpdater;
    private readonly IConsumer<Ignore, Ignore> _recommender;
    private readonly TopicPartition[] _userEvents;
    private readonly TopicPartition[] _userVectors;

    public GroupProgress(string bootstrapServers, int partitions, string profileUpdaterGroup, string recommenderGroup)
    {
        // Committed() and QueryWatermarkOffsets() need no subscription, so these never join (or disturb) the groups.
        _profileUpdater = Build(bootstrapServers, profileUpdaterGroup);
        _recommender = Build(bootstrapServers, recommenderGroup);
        _userEvents = [.. Enumerable.Range(0, partitions).SelectMany(p => new[] { new TopicPartition(Topics.Clicks, p), new TopicPartition(Topics.Reviews, p) })];
        _userVectors = [.. Enumerable.Range(0, partitions).Select(p => new TopicPartition(Topics.UserVectors, p))];
    }

    public bool Drained() => CaughtUp(_profileUpdater, _userEvents) && CaughtUp(_recommender, _userVectors);

    private static bool CaughtUp(IConsumer<Ignore, Ignore> group, TopicPartition[] partitions)
    {
        var committed = group.Committed(partitions, Timeout).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        foreach (var tp in partitions)
        {
            var high = group.QueryWatermarkOffsets(tp, Timeout).High.Value;
            var done = committed.TryGetValue(tp, out var offset) && offset >= 0 ? offset : 0;
            if (done < high)
            {
                return false;
            }
        }

        return true;
    }

    private static IConsumer<Ignore, Ignore> Build(string bootstrapServers, string groupId) =>
        new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = groupId, EnableAutoCommit = false }).Build();

    public void Dispose()
    {
        _profileUpdater.Dispose();
        _recommender.Dispose();
    }
}
