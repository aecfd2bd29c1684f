using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamRec.SystemBench.Stats;
using StreamRec.Contracts;
using StreamRec.DevBroker;
using StreamRec.Encoding;
using StreamRec.Hosting;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Consuming;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Options;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.SystemBench.Pipeline;

/// <summary>What one measured phase of a pipeline run gave.</summary>
/// <param name="Name">Phase name (max, rate-1000, ...).</param>
/// <param name="OfferedRate">Events/s the producer was paced at; null = as fast as it could.</param>
/// <param name="Events">User events produced in the phase.</param>
/// <param name="Seconds">From the first event produced to the last list received.</param>
/// <param name="EventsPerSecond">Events / Seconds: throughput through the whole pipeline.</param>
/// <param name="RawEventsPerSecond">A bare Confluent.Kafka consumer reading the same messages from the same broker.</param>
/// <param name="RatioToRaw">EventsPerSecond / RawEventsPerSecond.</param>
/// <param name="Latency">Event-to-list latency (ms) of every list whose trigger is an event of the phase.</param>
/// <param name="Completed">False when the phase hit its time limit before the pipeline drained.</param>
public sealed record PhaseResult(
    string Name, double? OfferedRate, int Events, int Clicks, int Reviews, double Seconds, double EventsPerSecond,
    double? RawEventsPerSecond, double? RatioToRaw, LatencySummary? Latency, bool Completed);

/// <summary>
/// A dev broker, a vector store shared by every host (the embedded store lives in one process), and
/// <see cref="PipelineRigOptions.Instances"/> all-in-one StreamRec hosts in this process, plus the producer that replays
/// events and a reader that timestamps every published list. Items are indexed before anything is measured.
/// </summary>
public sealed class PipelineRig : IAsyncDisposable
{
    private readonly PipelineRigOptions _options;
    private readonly TimeProvider _time;
    private readonly IProgress<string> _progress;
    private readonly List<WebApplication> _hosts = [];
    private readonly MockKafkaCluster _cluster;
    private readonly EmbeddedVectorStore _store;
    private readonly IProducer<string, byte[]> _producer;
    private readonly ListReader? _reader;
    private readonly string _directory;
    private long _deliveryErrors;

    private PipelineRig(PipelineRigOptions options, TimeProvider time, IProgress<string> progress)
    {
        _options = options;
        _time = time;
        _progress = progress;
        _directory = Path.Combine(Path.GetTempPath(), "streamrec-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
        _cluster = MockKafkaCluster.Start(brokers: 1);
        _cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        foreach (var topic in Topics.All)
        {
            _cluster.CreateTopic(topic, options.Partitions);
        }

        // Persisted like `make run` (SQLite WAL, fsync per write batch) unless asked otherwise: the fsync is part of the cost.
        _store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions
        {
            Path = options.PersistStore ? Path.Combine(_directory, "vectors.db") : EmbeddedVectorStoreOptions.InMemory,
        });
        SharedStore = new InstrumentedVectorStore(_store, time);
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            ClientId = "streamrec-bench-producer",
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 2,
            QueueBufferingMaxMessages = 1_000_000,
        }).Build();
        _reader = options.ReadLists ? new ListReader(_cluster.BootstrapServers, time) : null;
    }

    /// <summary>The store every host of this rig writes to.</summary>
    public IVectorStore SharedStore { get; }

    public int Partitions => _options.Partitions;

    /// <summary>The dev broker's bootstrap address.</summary>
    public string BootstrapServers => _cluster.BootstrapServers;

    public int Instances => _options.Instances;

    /// <summary>Starts the broker, the store (optionally preloaded with indexed items) and the hosts, and waits until
    /// every consumer group is settled with its partitions spread over the instances.</summary>
    public static async Task<PipelineRig> StartAsync(
        PipelineRigOptions options, OnnxTextEncoder encoder, IReadOnlyList<VectorPoint>? preloadItems, TimeProvider time, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var rig = await CreateAsync(options, encoder.Dimension, preloadItems, time, progress, cancellationToken);
        try
        {
            await rig.StartHostsAsync(encoder, waitUntilBalanced: true, cancellationToken);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>The broker and the store (optionally preloaded with indexed items), without any host yet: a backlog can be
    /// produced before the services start (<see cref="StartHostsAsync"/>).</summary>
    public static async Task<PipelineRig> CreateAsync(
        PipelineRigOptions options, int dimension, IReadOnlyList<VectorPoint>? preloadItems, TimeProvider time, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var rig = new PipelineRig(options, time, progress);
        try
        {
            if (preloadItems is { Count: > 0 })
            {
                await rig.SharedStore.EnsureCollectionAsync(Collections.ItemsSpec(dimension), cancellationToken);
                foreach (var chunk in preloadItems.Chunk(2000))
                {
                    await rig.SharedStore.UpsertAsync(Collections.Items, chunk, cancellationToken);
                }
            }

            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <see cref="PipelineRigOptions.Instances"/> all-in-one hosts and, when asked, waits until every
    /// consumer group is settled with its partitions spread over the instances.</summary>
    public async Task StartHostsAsync(OnnxTextEncoder encoder, bool waitUntilBalanced, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _options.Instances; i++)
        {
            await StartHostAsync(encoder, cancellationToken);
        }

        if (waitUntilBalanced)
        {
            await WaitForBalancedGroupsAsync(cancellationToken);
        }
    }

    private async Task StartHostAsync(OnnxTextEncoder encoder, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var settings = new Dictionary<string, string?>
        {
            ["StreamRec:Kafka:BootstrapServers"] = _cluster.BootstrapServers,
            ["StreamRec:Kafka:SessionTimeout"] = "00:00:10",
            ["StreamRec:Kafka:ShutdownTimeout"] = "00:00:10",
            ["StreamRec:Http:Port"] = "0",
            ["StreamRec:Http:BindAddress"] = "127.0.0.1",
            ["StreamRec:VectorStore:Embedded:Path"] = EmbeddedVectorStoreOptions.InMemory,
            ["StreamRec:Encoder:ModelPath"] = encoder.ModelPath,
        };
        if (_options.FetchWaitMaxMs is { } fetchWait)
        {
            settings["StreamRec:Kafka:Client:fetch.wait.max.ms"] = fetchWait.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (!_options.ItemSide)
        {
            settings["StreamRec:ProfileUpdater:PublishEngagements"] = "false";
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(_options.LogLevel);
        // One encoder session for every in-process instance: identical compute, a fraction of the memory.
        // Registered before the roles, whose TryAdd then keeps these.
        builder.Services.AddSingleton(encoder);
        builder.Services.AddSingleton<ITextEncoder>(encoder);
        builder.AddStreamRecDefaults(defaultPort: 0).AddRoles(_options.ItemSide ? Roles.All : Roles.All & ~Roles.CoEngagementUpdater);
        // Registered after the roles so this one wins: every host shares the rig's store.
        builder.Services.AddSingleton(SharedStore);
        var app = builder.Build();
        app.MapStreamRecEndpoints();
        await app.StartAsync(cancellationToken);
        _hosts.Add(app);
    }

    /// <summary>The Kafka group ids of every consumer the hosts run (empty before <see cref="StartHostsAsync"/>).</summary>
    public IReadOnlyList<string> ConsumerGroups => [.. Consumers.Select(c => c.GroupId).Distinct(StringComparer.Ordinal)];

    private IEnumerable<KafkaConsumerService> Consumers =>
        _hosts.SelectMany(h => h.Services.GetServices<IHostedService>().OfType<KafkaConsumerService>());

    private async Task WaitForBalancedGroupsAsync(CancellationToken cancellationToken)
    {
        var expected = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            [GroupId("item-indexer")] = _options.Partitions,
            [GroupId("profile-updater")] = _options.Partitions,
            [GroupId("recommender")] = _options.Partitions,
        };
        var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(90);
        while (true)
        {
            var consumers = Consumers.Where(c => expected.ContainsKey(c.GroupId)).ToArray();
            var balanced = consumers.Length == expected.Count * _options.Instances
                && expected.All(g =>
                {
                    var members = consumers.Where(c => c.GroupId == g.Key).ToArray();
                    var assigned = members.Sum(m => m.Assignment.Count);
                    // Each member holds a share when there are enough partitions; none is left idle by a half-done rebalance.
                    var everyoneBusy = _options.Instances > _options.Partitions || members.All(m => m.Assignment.Count > 0);
                    return assigned == g.Value && everyoneBusy;
                });
            if (balanced)
            {
                return;
            }

            if (_time.GetUtcNow() > deadline)
            {
                throw new TimeoutException("the consumer groups did not settle within 90 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken);
        }
    }

    internal static string GroupId(string name) => KafkaConfigFactory.GroupId(new KafkaOptions(), name);

    /// <summary>Produces the catalogue and waits until every item is in the store. Not part of any measured phase.</summary>
    public async Task<double> IndexItemsAsync(IReadOnlyList<ItemUpserted> items, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        foreach (var item in items)
        {
            Produce(item.Topic, item.Key, EventParser.Serialize(item));
        }

        _producer.Flush(cancellationToken);
        var lastReport = _time.GetTimestamp();
        while (true)
        {
            var count = await CountAsync(Collections.Items, cancellationToken);
            if (count >= items.Count)
            {
                break;
            }

            if (_time.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(10))
            {
                _progress.Report($"  indexing items: {count}/{items.Count}");
                lastReport = _time.GetTimestamp();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _time, cancellationToken);
        }

        return items.Count / _time.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>Points in a collection, 0 while it does not exist yet.</summary>
    public async Task<long> CountAsync(string collection, CancellationToken cancellationToken)
    {
        try
        {
            return await SharedStore.CountAsync(collection, cancellationToken);
        }
        catch (VectorStoreException)
        {
            return 0;
        }
    }

    /// <summary>Every indexed item, to preload the next rig's store.</summary>
    public async Task<IReadOnlyList<VectorPoint>> ReadItemsAsync(IEnumerable<string> ids, CancellationToken cancellationToken) =>
        await SharedStore.GetAsync(Collections.Items, ids.ToArray(), withVectors: true, withPayload: true, cancellationToken);

    /// <summary>
    /// Replays <paramref name="events"/> (paced at <paramref name="rate"/> events/s, or as fast as possible when null),
    /// waits until the profile-updater and the recommender have committed everything, and measures.
    /// </summary>
    public async Task<PhaseResult> RunPhaseAsync(string name, IReadOnlyList<IStreamRecEvent> events, double? rate, bool measureRaw, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_reader is null)
        {
            throw new InvalidOperationException("this rig does not read lists (PipelineRigOptions.ReadLists is false)");
        }

        var payloads = events.Select(e => (e.Topic, e.Key, e.EventId, Value: EventParser.Serialize(e))).ToArray();
        var userTopics = new[] { Topics.UserEvents };
        var before = Watermarks(userTopics);
        var produced = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var phase = _reader.BeginPhase(produced);
        _progress.Report($"  {name}: {events.Count} events{(rate is { } r ? $" at {r:F0}/s" : " as fast as possible")}");

        var first = _time.GetTimestamp();
        void Send(long i)
        {
            var (topic, key, eventId, value) = payloads[i];
            produced[eventId] = _time.GetTimestamp();
            Produce(topic, key, value);
        }

        if (rate is { } paced)
        {
            await new RatePacer(paced, payloads.Length).RunAsync(_time, Send, cancellationToken);
        }
        else
        {
            for (long i = 0; i < payloads.Length; i++)
            {
                Send(i);
            }
        }

        _producer.Flush(cancellationToken);
        var completed = await WaitUntilDrainedAsync(name, phase, events.Count, first, timeout, cancellationToken);
        // Lists acked before the commit may still be in flight to the reader.
        await Task.Delay(TimeSpan.FromMilliseconds(300), _time, cancellationToken);
        _reader.EndPhase();

        var seconds = phase.LastMatched is { } last ? _time.GetElapsedTime(first, last).TotalSeconds : double.NaN;
        var eventsPerSecond = seconds > 0 ? events.Count / seconds : double.NaN;
        double? raw = null;
        if (measureRaw)
        {
            var after = Watermarks(userTopics);
            raw = RawConsumer.MessagesPerSecond(_cluster.BootstrapServers, before, after, _time);
        }

        return new PhaseResult(
            name,
            rate,
            events.Count,
            events.Count(e => e is Click),
            events.Count(e => e is Review),
            Math.Round(seconds, 3),
            Math.Round(eventsPerSecond, 1),
            raw is { } rr ? Math.Round(rr, 1) : null,
            raw is { } rw && rw > 0 && !double.IsNaN(eventsPerSecond) ? Math.Round(eventsPerSecond / rw, 4) : null,
            Percentiles.Summarize(phase.LatenciesMs()),
            completed);
    }

    private async Task<bool> WaitUntilDrainedAsync(string name, ListReader.Phase phase, int events, long first, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var progress = new GroupProgress(_cluster.BootstrapServers, _options.Partitions, DrainedGroups());
        var lastReport = _time.GetTimestamp();
        while (true)
        {
            if (progress.Drained())
            {
                return true;
            }

            if (_time.GetElapsedTime(first) > timeout)
            {
                _progress.Report($"  {name}: not drained after {timeout.TotalSeconds:F0} s; reporting what was measured");
                return false;
            }

            if (_time.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(5))
            {
                _progress.Report($"  {name}: {_time.GetElapsedTime(first).TotalSeconds:F0} s, {phase.Matched} lists traced back to the phase's {events} events");
                lastReport = _time.GetTimestamp();
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), _time, cancellationToken);
        }
    }

    /// <summary>
    /// Every consumer group a phase must see finished before the next one starts, with the topics it consumes: the
    /// profile-updater and the recommender (whose commits mean every list is out), the item side (its rows of this
    /// phase's engagements; the next phase would otherwise share the cores and the store's writes with it) and the
    /// recommender's trending counters.
    /// </summary>
    private Dictionary<string, string[]> DrainedGroups()
    {
        var groups = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            [GroupId(new ProfileUpdaterOptions().GroupId)] = [Topics.UserEvents],
            [GroupId(new RecommenderOptions().GroupId)] = [Topics.UserVectors],
        };
        if (_options.ItemSide)
        {
            groups[GroupId(new CoEngagementUpdaterOptions().GroupId)] = [Topics.Engagements];
        }

        var trendingPrefix = GroupId(new RecommenderOptions().TrendingGroupId);
        foreach (var trending in ConsumerGroups.Where(g => g.StartsWith(trendingPrefix, StringComparison.Ordinal)))
        {
            groups[trending] = [Topics.UserEvents];
        }

        return groups;
    }

    /// <summary>
    /// Produces <paramref name="events"/> as fast as the producer takes them, serialising each on the way (a backlog of
    /// millions is never held in memory), and waits until the broker acknowledged all of them.
    /// </summary>
    public BacklogCounts ProduceBacklog(IEnumerable<IStreamRecEvent> events, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var lastReport = started;
        int total = 0, clicks = 0, reviews = 0, withText = 0;
        foreach (var e in events)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Produce(e.Topic, e.Key, EventParser.Serialize(e));
            total++;
            switch (e)
            {
                case Click:
                    clicks++;
                    break;
                case Review review:
                    reviews++;
                    withText += string.IsNullOrEmpty(review.Text) ? 0 : 1;
                    break;
            }

            if (_time.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(10))
            {
                _progress.Report($"  produced {total:N0} events");
                lastReport = _time.GetTimestamp();
            }
        }

        _producer.Flush(cancellationToken);
        return new BacklogCounts(total, clicks, reviews, withText, _time.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>High watermarks of every partition of <paramref name="topics"/>.</summary>
    internal Dictionary<TopicPartition, long> Watermarks(IEnumerable<string> topics)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = _cluster.BootstrapServers, GroupId = "streamrec-bench-watermarks" }).Build();
        var result = new Dictionary<TopicPartition, long>();
        foreach (var topic in topics)
        {
            for (var p = 0; p < _options.Partitions; p++)
            {
                var tp = new TopicPartition(topic, p);
                result[tp] = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value;
            }
        }

        return result;
    }

    private void Produce(string topic, string key, byte[] value)
    {
        var message = new Message<string, byte[]> { Key = key, Value = value };
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, report =>
                {
                    if (report.Error.IsError)
                    {
                        Interlocked.Increment(ref _deliveryErrors);
                    }
                });
                return;
            }
            catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(5));
            }
        }
    }

    /// <summary>Messages the bench producer failed to deliver (should stay 0).</summary>
    public long DeliveryErrors => Interlocked.Read(ref _deliveryErrors);

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await host.StopAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
            }

            await host.DisposeAsync();
        }

        _hosts.Clear();
        _reader?.Dispose();
        _producer.Dispose();
        _store.Dispose();
        _cluster.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>What <see cref="PipelineRig.ProduceBacklog"/> produced.</summary>
/// <param name="Seconds">From the first produce call to the broker's acknowledgement of the last message.</param>
public sealed record BacklogCounts(int Events, int Clicks, int Reviews, int ReviewsWithText, double Seconds);

/// <summary>How a <see cref="PipelineRig"/> is laid out.</summary>
public sealed record PipelineRigOptions
{
    /// <summary>Partitions of every topic. Default 2.</summary>
    public int Partitions { get; init; } = 2;

    /// <summary>All-in-one hosts in this process (each in the same consumer groups). Default 1.</summary>
    public int Instances { get; init; } = 1;

    /// <summary>SQLite-backed store (as <c>make run</c>) rather than in memory only. Default true.</summary>
    public bool PersistStore { get; init; } = true;

    /// <summary>
    /// <c>fetch.wait.max.ms</c> of the services' consumers (through <c>StreamRec:Kafka:Client</c>). Default null: the
    /// client's 500 ms. The dev broker answers a fetch that found nothing only when that wait expires, where a real
    /// broker answers as soon as data arrives, so on the dev broker every hop can add up to this much latency.
    /// </summary>
    public int? FetchWaitMaxMs { get; init; }

    /// <summary>Run the reader of streamrec.recommendations that phases measure latency with. Default true; a rig that
    /// only drains a backlog leaves it out (its consumer would be one more thing running in the measured process).</summary>
    public bool ReadLists { get; init; } = true;

    /// <summary>The hosts' log level. Default Warning.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Run the item side (the co-engagement updater, and the profile-updater publishing engagements). Default
    /// true; false measures the pipeline as it was before it, lists from text and trending only.</summary>
    public bool ItemSide { get; init; } = true;
}
