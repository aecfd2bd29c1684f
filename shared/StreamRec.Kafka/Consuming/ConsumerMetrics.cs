using System.Globalization;
using Confluent.Kafka;
using StreamRec.Observability;

namespace StreamRec.Kafka.Consuming;

/// <summary>Every metric the consume loop writes, in one place (the series are process-wide; labels are the topic, and
/// the partition for lag). Whether a group counts its topic's events at all is <see cref="ITopicEventsPolicy"/>'s call.</summary>
internal static class ConsumerMetrics
{
    public static void PartitionAssigned(TopicPartition tp)
    {
        StreamRecMetrics.PartitionsAssigned.WithLabels(tp.Topic).Inc();
        StreamRecMetrics.PartitionsPaused.WithLabels(tp.Topic); // exported at 0 before the first pause
    }

    /// <summary>Revoked or lost: no longer counted, and its lag series goes away.</summary>
    public static void PartitionUnassigned(TopicPartition tp)
    {
        StreamRecMetrics.PartitionsAssigned.WithLabels(tp.Topic).Dec();
        StreamRecMetrics.ConsumerLag.RemoveLabelled(tp.Topic, PartitionLabel(tp));
    }

    /// <summary>Still held when the consumer closed.</summary>
    public static void PartitionReleased(TopicPartition tp) => StreamRecMetrics.PartitionsAssigned.WithLabels(tp.Topic).Dec();

    public static void PartitionPaused(TopicPartition tp) => StreamRecMetrics.PartitionsPaused.WithLabels(tp.Topic).Inc();

    public static void PartitionResumed(TopicPartition tp) => StreamRecMetrics.PartitionsPaused.WithLabels(tp.Topic).Dec();

    public static void BatchObserved(string topic, int count) => StreamRecMetrics.BatchSize.WithLabels(topic).Observe(count);

    /// <summary>
    /// Where a batch's first message (the one that waited longest) spent its time before the handler: from its
    /// timestamp to the poll that returned it (producer linger, broker, fetch wait), then from that poll to now (the
    /// channel and the batch window). Once per batch: a histogram observation per message would cost more than it tells.
    /// </summary>
    public static void BatchStarting(Envelope first, DateTimeOffset now)
    {
        if (first.ReceivedAt == default)
        {
            return;
        }

        var topic = first.Message.Topic;
        if (first.Message.Timestamp > DateTimeOffset.UnixEpoch)
        {
            StreamRecMetrics.FetchDelay.WithLabels(topic).Observe(Math.Max(0, (first.ReceivedAt - first.Message.Timestamp).TotalSeconds));
        }

        StreamRecMetrics.BatchWait.WithLabels(topic).Observe(Math.Max(0, (now - first.ReceivedAt).TotalSeconds));
    }

    public static void EventsConsumed(string topic, int count) => StreamRecMetrics.EventsConsumed.WithLabels(topic).Inc(count);

    public static void EventProcessed(string topic, string outcome) => StreamRecMetrics.EventsProcessed.WithLabels(topic, outcome).Inc();

    /// <summary>Exported at 0 before the first dead letter, so "dead letters (1h)" reads 0, not "no data".</summary>
    public static void ExportDeadLetterSeries(IEnumerable<string> topics)
    {
        foreach (var topic in topics)
        {
            StreamRecMetrics.DeadLetters.WithLabels(topic);
        }
    }

    /// <summary>Sets the lag gauge of each of <paramref name="assignment"/>: high watermark minus position, plus what
    /// <paramref name="parkedCount"/> says is parked (consumed but not done: it waits, so it counts as lag).</summary>
    public static void RefreshLag(IConsumer<byte[]?, byte[]> consumer, IEnumerable<TopicPartition> assignment, Func<TopicPartition, long> parkedCount)
    {
        foreach (var tp in assignment)
        {
            try
            {
                // Cached from fetch responses: no broker round trip.
                var watermarks = consumer.GetWatermarkOffsets(tp);
                var position = consumer.Position(tp);
                if (watermarks.High.Value >= 0 && position.Value >= 0)
                {
                    StreamRecMetrics.ConsumerLag.WithLabels(tp.Topic, PartitionLabel(tp))
                        .Set(Math.Max(0, watermarks.High.Value - position.Value) + parkedCount(tp));
                }
            }
            catch (KafkaException)
            {
                // Not fetched yet or just revoked: the next refresh will tell.
            }
        }
    }

    private static string PartitionLabel(TopicPartition tp) => tp.Partition.Value.ToString(CultureInfo.InvariantCulture);
}
