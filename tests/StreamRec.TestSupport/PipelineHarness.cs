using System.Collections.Concurrent;

using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamRec.Contracts;
using StreamRec.Hosting;
using StreamRec.Kafka.Consuming;
using StreamRec.DevBroker;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.TestSupport;

/// <summary>
/// A dev broker (librdkafka mock cluster over TCP), an embedded vector store in a temp file, and helpers to run
/// the all-in-one StreamRec host against them, produce events and read what it publishes.
/// </summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    private readonly IProducer<string, byte[]> _producer;
    private readonly List<WebApplication> _hosts = [];

    public PipelineHarness(int partitions = 2)
    {
        if (!TestPaths.HasVocab)
        {
            Assert.Skip($"the BERT vocabulary is not at {TestPaths.SharedModels} (set STREAMREC_SHARED)");
        }

        Cluster = MockKafkaCluster.Start(brokers: 1);
        // A new group's first rebalance at once, not after the mock's default 3 s: every host start waited for it.
        Cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        foreach (var topic in Topics.All)
        {
            Cluster.CreateTopic(topic, partitions);
        }

        Directory = TestPaths.NewTempDir("streamrec-pipeline");
        StorePath = Path.Combine(Directory, "vectors.db");
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = Cluster.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 1,
        }).Build();
    }

    public MockKafkaCluster Cluster { get; }

    public string Directory { get; }

    public string StorePath { get; }

    /// <summary>Starts the all-in-one host (or the given <paramref name="roles"/>) and waits until its consumers have partitions.</summary>
    public async Task<WebApplication> StartHostAsync(Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null, Roles roles = Roles.All)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var config = new Dictionary<string, string?>
        {
            ["StreamRec:Kafka:BootstrapServers"] = Cluster.BootstrapServers,
            ["StreamRec:Kafka:MaxBatchWait"] = "00:00:00.005",
            ["StreamRec:Kafka:TransientRetryMinBackoff"] = "00:00:00.020",
            ["StreamRec:Kafka:TransientRetryMaxBackoff"] = "00:00:00.200",
            ["StreamRec:Kafka:ShutdownTimeout"] = "00:00:05",
            // With librdkafka's mock broker a host started after another stopped got its partitions 44 s later under the
            // default 45 s session timeout: the mock waited for the old members' sessions to expire although they had
            // left (a Kafka broker acts on the leave at once). 10 s: that restart test takes 20 s instead of 55.
            ["StreamRec:Kafka:SessionTimeout"] = "00:00:10",
            ["StreamRec:Http:Port"] = "0",
            ["StreamRec:Http:BindAddress"] = "127.0.0.1",
            ["StreamRec:VectorStore:Embedded:Path"] = StorePath,
            ["StreamRec:Encoder:ModelPath"] = TinyModel.Path,
            ["StreamRec:Encoder:IntraOpThreads"] = "1",
            ["StreamRec:Ranking:ListSize"] = "5",
            ["StreamRec:ProfileUpdater:ItemNotReadyMaxAttempts"] = "3",
            ["StreamRec:ProfileUpdater:ParkedRetryMinBackoff"] = "00:00:00.020",
            ["StreamRec:ProfileUpdater:ParkedRetryMaxBackoff"] = "00:00:00.200",
            ["StreamRec:ProfileUpdater:ParkedSweepInterval"] = "00:00:00.020",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(Enum.Parse<LogLevel>(Environment.GetEnvironmentVariable("STREAMREC_TEST_LOGLEVEL") ?? "Warning"));
        builder.AddStreamRecDefaults(defaultPort: 0).AddRoles(roles);
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapStreamRecEndpoints();
        await app.StartAsync(TestContext.Current.CancellationToken);
        _hosts.Add(app);
        var consumers = app.Services.GetServices<IHostedService>().OfType<KafkaConsumerService>().ToArray();
        await Task.WhenAll(consumers.Select(c => c.FirstAssignment)).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        return app;
    }

    public async Task StopHostAsync(WebApplication app, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        await app.StopAsync(cts.Token);
        await app.DisposeAsync();
        _hosts.Remove(app);
    }

    public async Task ProduceAsync(params IStreamRecEvent[] events)
    {
        foreach (var e in events)
        {
            await _producer.ProduceAsync(e.Topic, new Message<string, byte[]> { Key = e.Key, Value = EventParser.Serialize(e) }, TestContext.Current.CancellationToken);
        }
    }

    public Task ProduceRawAsync(string topic, string key, byte[] value) =>
        _producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = value }, TestContext.Current.CancellationToken);

    /// <summary>Reads a topic from the start until <paramref name="until"/> holds for what was read, or the timeout passes.</summary>
    public List<ConsumeResult<string, byte[]>> ReadUntil(string topic, Func<IReadOnlyList<ConsumeResult<string, byte[]>>, bool> until, TimeSpan? timeout = null)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = Cluster.BootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var read = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline && !until(read))
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r is not null && !r.IsPartitionEOF)
            {
                read.Add(r);
            }
        }

        consumer.Close();
        return read;
    }

    /// <summary>The newest list published for each user so far.</summary>
    public static Dictionary<string, RecommendationList> LatestLists(IEnumerable<ConsumeResult<string, byte[]>> read)
    {
        var latest = new Dictionary<string, RecommendationList>(StringComparer.Ordinal);
        foreach (var r in read)
        {
            if (EventParser.Parse(r.Message.Value).Event is RecommendationList list)
            {
                latest[list.UserId] = list;
            }
        }

        return latest;
    }

    /// <summary>Waits until the newest list of <paramref name="userId"/> satisfies <paramref name="predicate"/>; returns it (or the last one seen).</summary>
    public RecommendationList? WaitForList(string userId, Func<RecommendationList, bool> predicate, TimeSpan? timeout = null)
    {
        RecommendationList? last = null;
        ReadUntil(Topics.Recommendations, read =>
        {
            LatestLists(read).TryGetValue(userId, out last);
            return last is not null && predicate(last);
        }, timeout);
        return last;
    }

    /// <summary>Opens the store file (after the hosts stopped) and returns the users' vectors and payloads.</summary>
    public async Task<Dictionary<string, VectorPoint>> ReadUsersAsync(IEnumerable<string> userIds)
    {
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = StorePath });
        var points = await store.GetAsync("users", userIds.ToArray(), withVectors: true, withPayload: true, TestContext.Current.CancellationToken);
        return points.ToDictionary(p => p.Id, StringComparer.Ordinal);
    }

    public static string Header(ConsumeResult<string, byte[]> r, string name) =>
        r.Message.Headers.TryGetLastBytes(name, out var bytes) ? System.Text.Encoding.UTF8.GetString(bytes) : "";

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _hosts.ToArray())
        {
            try
            {
                await StopHostAsync(app, TimeSpan.FromSeconds(5));
            }
            catch (OperationCanceledException)
            {
            }
        }

        _producer.Dispose();
        Cluster.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
