using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamRec.Kafka.Configuration;

namespace StreamRec.Kafka.Admin;

/// <summary>Creates topics through the Kafka admin API (real clusters). The dev broker does not
/// implement CreateTopics; create its topics with <c>MockKafkaCluster.CreateTopic</c> (StreamRec.DevBroker).</summary>
public static class TopicAdmin
{
    /// <summary>Creates every missing topic with <paramref name="partitions"/> partitions and the given
    /// replication factor; topics that already exist are left as they are. Returns the topics created.</summary>
    public static async Task<IReadOnlyList<string>> EnsureTopicsAsync(
        KafkaOptions options,
        IEnumerable<string> topics,
        int partitions,
        short replication,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var wanted = topics.Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0)
        {
            return [];
        }

        using var admin = new AdminClientBuilder(KafkaConfigFactory.Admin(options)).SetLogHandler((_, _) => { }).Build();
        var specs = wanted.Select(t => new TopicSpecification { Name = t, NumPartitions = partitions, ReplicationFactor = replication }).ToList();
        try
        {
            // The admin client has no cancellation support; bound the wait instead of abandoning the call.
            await admin.CreateTopicsAsync(specs, new CreateTopicsOptions { OperationTimeout = TimeSpan.FromSeconds(30), RequestTimeout = TimeSpan.FromSeconds(30) })
                .WaitAsync(cancellationToken);
            return wanted;
        }
        catch (CreateTopicsException e)
        {
            var failed = e.Results.Where(r => r.Error.IsError && r.Error.Code != ErrorCode.TopicAlreadyExists).ToList();
            if (failed.Count > 0)
            {
                throw new KafkaException(new Error(failed[0].Error.Code,
                    $"could not create topics: {string.Join("; ", failed.Select(r => $"{r.Topic}: {r.Error.Reason}"))}"));
            }

            return [.. e.Results.Where(r => !r.Error.IsError).Select(r => r.Topic)];
        }
    }
}
