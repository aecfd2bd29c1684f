using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamRec.Contracts;
using StreamRec.DevBroker;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Producing;
using StreamRec.Kafka.Tests.Fixtures;
using StreamRec.Messaging;

[assembly: AssemblyFixture(typeof(MockClusterFixture))]

namespace StreamRec.Kafka.Tests.Fixtures;

/// <summary>One dev broker for the whole test assembly. Tests stay independent by using their own
/// topic names and group ids (see <see cref="NewTopic"/>).</summary>
public sealed class MockClusterFixture : IDisposable
{
    private int _counter;

    public MockClusterFixture()
    {
        Cluster = MockKafkaCluster.Start(3);
        Cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        foreach (var topic in Topics.All)
        {
            Cluster.CreateTopic(topic, 3);
        }
    }

    public MockKafkaCluster Cluster { get; }

    public string BootstrapServers => Cluster.BootstrapServers;

    /// <summary>Creates a topic with a unique name.</summary>
    public string NewTopic(string name, int partitions = 3)
    {
        var topic = $"test.{name}.{Interlocked.Increment(ref _counter)}.{Guid.NewGuid():N}";
        Cluster.CreateTopic(topic, partitions);
        return topic;
    }

    public void Dispose() => Cluster.Dispose();
}

/// <summary>Builds the plumbing against any broker (dev broker or a real one).</summary>
public sealed class KafkaTestKit(string bootstrapServers) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    // STREAMREC_TEST_LOG=1 shows the plumbing's logs on the console when a scenario needs explaining.
    private static readonly Microsoft.Extensions.Logging.ILoggerFactory Logs =
        Environment.GetEnvironmentVariable("STREAMREC_TEST_LOG") == "1"
            ? Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Debug))
            : NullLoggerFactory.Instance;

    public KafkaOptions Options(Action<KafkaOptions>? configure = null)
    {
        var options = new KafkaOptions
        {
            BootstrapServers = bootstrapServers,
            MaxBatchWait = TimeSpan.FromMilliseconds(10),
            SessionTimeout = TimeSpan.FromSeconds(6),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            TransientRetryMinBackoff = TimeSpan.FromMilliseconds(50),
            TransientRetryMaxBackoff = TimeSpan.FromMilliseconds(500),
            LagRefreshInterval = TimeSpan.FromMilliseconds(200),
            GroupIdPrefix = "test",
        };
        configure?.Invoke(options);
        return options;
    }

    public KafkaProducer Producer(KafkaOptions? options = null)
    {
        var producer = new KafkaProducer(Microsoft.Extensions.Options.Options.Create(options ?? Options()), Logs.CreateLogger<KafkaProducer>());
        _owned.Add(producer);
        return producer;
    }

    public KafkaConsumerService Consumer(IBatchHandler handler, string groupId, string topic, KafkaOptions? options = null, string service = "test-service")
    {
        options ??= Options();
        var deadLetters = new DeadLetterPublisher(Producer(options), Logs.CreateLogger<DeadLetterPublisher>());
        var consumer = new KafkaConsumerService(
            new ConsumerRegistration(service, groupId, [topic], handler),
            Microsoft.Extensions.Options.Options.Create(options),
            deadLetters,
            Logs.CreateLogger<KafkaConsumerService>(),
            TimeProvider.System);
        _owned.Add(consumer);
        return consumer;
    }

    /// <summary>Reads every message of <paramref name="topic"/> (all partitions, from the start, no group)
    /// until <paramref name="until"/> holds for what was read or the timeout passes.</summary>
    public async Task<List<ConsumeResult<byte[]?, byte[]>>> ReadAsync(string topic, Func<List<ConsumeResult<byte[]?, byte[]>>, bool> until, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        var partitions = metadata.Topics.Single().Partitions
            .Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)).ToList();
        consumer.Assign(partitions);
        var read = new List<ConsumeResult<byte[]?, byte[]>>();
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!until(read) && DateTimeOffset.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await Task.Run(() => consumer.Consume(TimeSpan.FromMilliseconds(100)), cancellationToken);
            if (result?.Message is not null)
            {
                read.Add(result);
            }
        }

        return read;
    }

    /// <summary>The group's committed offsets for the topic's partitions (Offset.Unset where none).</summary>
    public List<TopicPartitionOffset> Committed(string groupId, string topic, int partitions)
    {
        var config = new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = groupId };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    public static string Header(ConsumeResult<byte[]?, byte[]> result, string name) =>
        result.Message.Headers.TryGetLastBytes(name, out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : "<missing>";
}

/// <summary>Polls a condition: integration tests wait for effects, never for fixed times.</summary>
public static class Eventually
{
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20, cancellationToken);
        }

        return condition();
    }
}
