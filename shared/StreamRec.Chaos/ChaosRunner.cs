using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using StreamRec.Contracts;
using StreamRec.DevBroker;
using StreamRec.Domain;

namespace StreamRec.Chaos;

/// <summary>One seeded chaos run: scale, seed and where the child processes come from.</summary>
public sealed record ChaosSettings
{
    /// <summary>Clicks and reviews produced in total (spread over the rounds). Default 100,000.</summary>
    public int Events { get; init; } = 100_000;

    /// <summary>Child processes killed (one per round; the run has Kills + 1 rounds). Default 50.</summary>
    public int Kills { get; init; } = 50;

    /// <summary>Seed of the workload and of every chaos decision. Default 7.</summary>
    public int Seed { get; init; } = 7;

    /// <summary>Partitions per topic. Default 4.</summary>
    public int Partitions { get; init; } = 4;

    /// <summary>The children's <c>StreamRec:CoEngagement:NeighbourLimit</c>. Default 5: the run's catalogue is small
    /// (24 items and the late ones), so at the services' default no row would prune, and a pruned row is the one whose
    /// state depends on the order the item side received its contributions in (the audit checks it against the
    /// engagements log as written).</summary>
    public int NeighbourLimit { get; init; } = 5;

    /// <summary>Inject broker faults (broker down/up, leader moves, produce and offset-commit errors). Default true.</summary>
    public bool BrokerFaults { get; init; } = true;

    /// <summary>Events turned into clicks or reviews on items published late (one late item per round, published at the
    /// start of the next round, or after the final child committed the last one): each must be applied exactly once,
    /// after its item arrives. Null: Events / 100.</summary>
    public int? LateEvents { get; init; }

    /// <summary>Clicks turned into clicks on items that never come: each must be dead-lettered <c>ItemNotIndexed</c> once
    /// and never applied. Null: Events / 200.</summary>
    public int? NeverEvents { get; init; }

    /// <summary>The children's <c>StreamRec:ProfileUpdater:ItemNotReadyMaxAge</c>: how long a parked event waits for its item.
    /// Longer than a kill plus a recovery (about 15 s here) and twice a round's wait for an injected crash
    /// (<see cref="ChaosRunner.InjectedCrashWait"/>), so a late item arrives in time; the run ends about this long after
    /// the last never-coming click. Default 30 s.</summary>
    public TimeSpan ParkedMaxAge { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the store file and the child logs go.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>How to start <c>streamrec serve</c>.</summary>
    public required ServeLaunch Launch { get; init; }

    /// <summary>The encoder model the children load.</summary>
    public required string ModelPath { get; init; }

    /// <summary>The children's consumer session timeout: how long a SIGKILLed member blocks its partitions. Default 4 s.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Longest a child runs before a timed kill. Default 2.5 s.</summary>
    public TimeSpan MaxKillDelay { get; init; } = TimeSpan.FromSeconds(2.5);

    /// <summary>How long the final, fault-free child may take to commit everything. Default 5 minutes.</summary>
    public TimeSpan FinalTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Progress lines (null: silent).</summary>
    public TextWriter? Progress { get; init; }
}

/// <summary>What happened in one round.</summary>
public sealed record ChaosRound(int Number, string Crash, string Fault, int? ExitCode, TimeSpan? Recovery);

/// <summary>The figures of a chaos run.</summary>
public sealed record ChaosReport(
    DeliveryAudit Audit,
    int Kills,
    int KillsSurvived,
    TimeSpan MaxRecovery,
    int RecoveriesMeasured,
    int BrokerFaults,
    TimeSpan Elapsed,
    IReadOnlyList<ChaosRound> Rounds)
{
    /// <summary>Zero lost, zero applied twice, every kill survived.</summary>
    public bool Passed => Audit.Holds && KillsSurvived == Kills;
}

/// <summary>
/// The seeded chaos scenario: a dev broker in this process, <c>streamrec serve --roles all</c> child processes in
/// turn, each killed one way or another (SIGKILL at a random moment, SIGTERM, or an injected crash right after a
/// users write or right before a list publish) while broker faults fire; then a fault-free child finishes the work
/// and <see cref="ChaosAudit"/> checks the result. Every decision comes from the seed.
/// </summary>
public static class ChaosRunner
{
    public static async Task<ChaosReport> RunAsync(ChaosSettings settings, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var rng = new Random(settings.Seed);
        Directory.CreateDirectory(settings.WorkDirectory);
        var storePath = Path.Combine(settings.WorkDirectory, "vectors.db");
        var logPath = Path.Combine(settings.WorkDirectory, "children.log");

        using var cluster = MockKafkaCluster.Start(brokers: 3);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        foreach (var topic in Topics.All)
        {
            cluster.CreateTopic(topic, settings.Partitions, replicationFactor: 3);
        }

        using var kafka = new ChaosKafka(cluster.BootstrapServers, settings.Partitions);
        // A long run outgrows the dev broker's ~5 MB per partition and early lists are dropped: count them as they come.
        using var lists = kafka.TailLists();
        var coEngagement = new CoEngagementOptions { NeighbourLimit = settings.NeighbourLimit };
        using var engagements = kafka.TailEngagements(new EngagementLogReplay(coEngagement));
        var baseSettings = Merge(
            Merge(ChildSettings(cluster.BootstrapServers, storePath, settings.ModelPath, settings.SessionTimeout), ParkingSettings(settings.ParkedMaxAge)),
            new Dictionary<string, string>(StringComparer.Ordinal) { ["StreamRec:CoEngagement:NeighbourLimit"] = settings.NeighbourLimit.ToString(CultureInfo.InvariantCulture) });
        var workload = new ChaosWorkload(
            settings.Seed,
            settings.Events,
            lateItems: settings.Kills + 1,
            lateEvents: settings.LateEvents ?? settings.Events / 100,
            neverEvents: settings.NeverEvents ?? settings.Events / 200);
        kafka.Produce(workload.Items);
        var chunks = Split(workload.UserEvents, settings.Kills + 1);

        // Late item of round r: published once round r's events were produced and that round's child is gone, so they
        // are parked (or, when the child died before reading them, read by the next child at about the same time).
        var lateByRound = workload.LateItems.ToLookup(l => (int)((long)l.LastReference * chunks.Length / workload.UserEvents.Count), l => l.Item);

        var rounds = new List<ChaosRound>();
        var recoveries = new List<TimeSpan>();
        var pending = new List<Dictionary<TopicPartition, long>>();
        var faults = 0;
        Dictionary<TopicPartition, long>? snapshot = null;
        for (var round = 0; round < settings.Kills; round++)
        {
            var (crash, crashSettings) = PickCrash(rng);
            using var child = ServeProcess.Start(settings.Launch, Merge(baseSettings, crashSettings), logPath);
            var restartedAt = Stopwatch.StartNew();
            kafka.Produce(lateByRound[round - 1]);
            if (round == 0)
            {
                await WaitAsync(() => kafka.Covers("streamrec.item-indexer", kafka.HighWatermarks([Topics.Items])), child, TimeSpan.FromMinutes(2), cancellationToken);
            }

            TimeSpan? recovery = null;
            if (snapshot is not null)
            {
                recovery = await WaitCoveredAsync(kafka, snapshot, child, restartedAt, cancellationToken);
                if (recovery is { } r)
                {
                    recoveries.Add(r);
                }
                else
                {
                    pending.Add(snapshot);
                }
            }

            kafka.Produce(chunks[round]);
            var fault = "none";
            Task faultTask = Task.CompletedTask;
            if (settings.BrokerFaults && rng.NextDouble() < 0.7)
            {
                (fault, faultTask) = StartFault(cluster, rng, settings.Partitions, cancellationToken);
                faults++;
            }

            if (crashSettings.Count > 0)
            {
                // An injected crash not reached in time becomes a kill; the wait stays well under the parked events'
                // max age, or a late item published when the next round starts would come after its events gave up.
                if (!await child.WaitForExitAsync(InjectedCrashWait(settings.ParkedMaxAge), cancellationToken))
                {
                    crash += ", not reached: SIGKILL";
                    child.Kill();
                }
            }
            else
            {
                // Timed kills land while the child works, not while it boots.
                await child.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken);
                await Task.Delay(TimeSpan.FromMilliseconds(200 + rng.NextDouble() * Math.Max(0, settings.MaxKillDelay.TotalMilliseconds - 200)), TimeProvider.System, cancellationToken);
                if (crash == "SIGTERM")
                {
                    if (!await child.TerminateAsync(TimeSpan.FromSeconds(25), cancellationToken))
                    {
                        crash += " (did not exit in time: SIGKILL)";
                    }
                }
                else
                {
                    child.Kill();
                }
            }

            await faultTask;
            await child.WaitForExitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            snapshot = await SnapshotAsync(kafka, cancellationToken);
            rounds.Add(new ChaosRound(round + 1, crash, fault, child.HasExited ? child.ExitCode : null, recovery));
            settings.Progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round + 1}/{settings.Kills}: {crash}; fault: {fault}; exit {(child.HasExited ? child.ExitCode : -1)}; recovery of the previous kill {(recovery is { } x ? $"{x.TotalSeconds:F1} s" : "n/a")}"));
        }

        // Broker back to health, then a child without faults finishes the work.
        cluster.ClearRequestErrors(ProduceApiKey);
        cluster.ClearRequestErrors(OffsetCommitApiKey);
        cluster.SetBrokerUp(-1);
        var metricsPort = FreePort();
        var finalSettings = Merge(baseSettings, new Dictionary<string, string> { ["StreamRec:Http:Port"] = metricsPort.ToString(CultureInfo.InvariantCulture) });
        using (var last = ServeProcess.Start(settings.Launch, finalSettings, logPath))
        {
            var restartedAt = Stopwatch.StartNew();
            kafka.Produce(lateByRound[settings.Kills - 1]);
            if (snapshot is not null && await WaitCoveredAsync(kafka, snapshot, last, restartedAt, cancellationToken) is { } r)
            {
                recoveries.Add(r);
            }
            else if (snapshot is not null)
            {
                pending.Add(snapshot);
            }

            kafka.Produce(chunks[^1]);
            await kafka.WaitUntilAllCommittedAsync(settings.FinalTimeout, cancellationToken);

            // The last round's late items come once its events are committed (so parked), then nothing may stay parked:
            // every never-coming click dead-lettered, every late event applied. Waited for, not slept.
            kafka.Produce(lateByRound[settings.Kills]);
            var drained = await WaitParkedDrainedAsync(kafka, metricsPort, workload.NeverEventIds, last, settings.ParkedMaxAge + TimeSpan.FromSeconds(120), cancellationToken);
            settings.Progress?.WriteLine(drained ? "parked events drained" : "parked events did not drain in time: the audit shows what is left");
            await kafka.WaitUntilAllCommittedAsync(settings.FinalTimeout, cancellationToken);
            await last.TerminateAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }

        // A kill whose recovery was cut short by the next crash is survived when the final state covers it.
        var survived = settings.Kills - pending.Count + pending.Count(p => kafka.Covers("streamrec.profile-updater", Only(p, Topics.UserEvents)) && kafka.Covers("streamrec.recommender", Only(p, Topics.UserVectors)));
        if (!await lists.CaughtUpAsync(kafka.HighWatermarks([Topics.Recommendations]), TimeSpan.FromSeconds(60), cancellationToken))
        {
            throw new TimeoutException("the list tail did not reach the end of streamrec.recommendations within 60 s");
        }

        if (!await engagements.CaughtUpAsync(kafka.HighWatermarks([Topics.Engagements]), TimeSpan.FromSeconds(60), cancellationToken))
        {
            throw new TimeoutException("the engagement tail did not reach the end of streamrec.engagements within 60 s");
        }

        var audit = await ChaosAudit.RunAsync(
            kafka, storePath, workload.AllItemIds, listedUsers: lists.Users, lateItemIds: workload.LateItems.Select(l => l.Item.ItemId).ToArray(),
            coEngagementOptions: coEngagement, engagementLog: engagements.Replay, cancellationToken: cancellationToken);
        return new ChaosReport(audit, settings.Kills, survived, recoveries.Count > 0 ? recoveries.Max() : TimeSpan.Zero, recoveries.Count, faults, started.Elapsed, rounds);
    }

    /// <summary>The configuration every child gets (keys as in appsettings; the launcher turns them into environment variables).</summary>
    public static Dictionary<string, string> ChildSettings(string bootstrapServers, string storePath, string modelPath, TimeSpan sessionTimeout) => new(StringComparer.Ordinal)
    {
        ["StreamRec:Kafka:BootstrapServers"] = bootstrapServers,
        ["StreamRec:Kafka:SessionTimeout"] = sessionTimeout.ToString("c", CultureInfo.InvariantCulture),
        ["StreamRec:Kafka:MaxBatchWait"] = "00:00:00.005",
        ["StreamRec:Kafka:TransientRetryMinBackoff"] = "00:00:00.050",
        ["StreamRec:Kafka:TransientRetryMaxBackoff"] = "00:00:01",
        ["StreamRec:Kafka:ShutdownTimeout"] = "00:00:10",
        ["StreamRec:VectorStore:Embedded:Path"] = storePath,
        ["StreamRec:Encoder:ModelPath"] = modelPath,
        ["StreamRec:Encoder:IntraOpThreads"] = "1",
        ["StreamRec:Http:Port"] = "0",
        ["StreamRec:Http:BindAddress"] = "127.0.0.1",
        ["StreamRec:Ranking:ListSize"] = "5",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>Parking bounds short enough for a run: age decides (attempts never run out first), retried every 250 ms up to every 1 s.</summary>
    public static Dictionary<string, string> ParkingSettings(TimeSpan maxAge) => new(StringComparer.Ordinal)
    {
        ["StreamRec:ProfileUpdater:ItemNotReadyMaxAge"] = maxAge.ToString("c", CultureInfo.InvariantCulture),
        ["StreamRec:ProfileUpdater:ItemNotReadyMaxAttempts"] = "1000",
        ["StreamRec:ProfileUpdater:ParkedRetryMinBackoff"] = "00:00:00.250",
        ["StreamRec:ProfileUpdater:ParkedRetryMaxBackoff"] = "00:00:01",
        ["StreamRec:ProfileUpdater:ParkedSweepInterval"] = "00:00:00.250",
    };

    /// <summary>
    /// Waits until every click in <paramref name="neverEventIds"/> is in the dead-letter topic with <c>ItemNotIndexed</c> and
    /// the child's <c>streamrec_parked_events</c> gauge reads 0 on two scrapes a second apart (the second guards against
    /// reading it between an assignment and the scan that refills it). False when the child died or the timeout passed.
    /// </summary>
    public static async Task<bool> WaitParkedDrainedAsync(ChaosKafka kafka, int metricsPort, IReadOnlySet<string> neverEventIds, ServeProcess child, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var metrics = new Uri($"http://127.0.0.1:{metricsPort.ToString(CultureInfo.InvariantCulture)}/metrics");
        var zeroes = 0;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout && !child.HasExited)
        {
            zeroes = await ParkedGaugeAsync(http, metrics, cancellationToken) == 0 ? zeroes + 1 : 0;
            try
            {
                if (zeroes >= 2 && neverEventIds.All(DeadLetteredNotIndexed(kafka).Contains))
                {
                    return true;
                }
            }
            catch (KafkaException)
            {
                // The broker is busy or faulted: ask again.
            }

            await Task.Delay(TimeSpan.FromSeconds(1), TimeProvider.System, cancellationToken);
        }

        return false;
    }

    /// <summary>Event ids in the dead-letter topic with an <c>ItemNotIndexed</c> reason.</summary>
    public static HashSet<string> DeadLetteredNotIndexed(ChaosKafka kafka) =>
        kafka.ReadAll(Topics.DeadLetter)
            .Where(r => Header(r, "error")?.StartsWith(DeadLetterCodes.ItemNotIndexed, StringComparison.Ordinal) == true)
            .Select(r => EventParser.Parse(r.Message.Value).Event?.EventId)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Σ streamrec_parked_events over its topics; -1 when the endpoint does not answer.</summary>
    private static async Task<double> ParkedGaugeAsync(HttpClient http, Uri metrics, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await http.GetStringAsync(metrics, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return -1;
        }

        return text.Split('\n')
            .Where(line => line.StartsWith("streamrec_parked_events{", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    public static string? Header(ConsumeResult<string, byte[]> record, string name) =>
        record.Message.Headers?.TryGetLastBytes(name, out var bytes) == true ? System.Text.Encoding.UTF8.GetString(bytes) : null;

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> first, IReadOnlyDictionary<string, string> second)
    {
        var merged = new Dictionary<string, string>(first, StringComparer.Ordinal);
        foreach (var (k, v) in second)
        {
            merged[k] = v;
        }

        return merged;
    }

    /// <summary>High watermarks of the user-event topics and of the notifications, taken right after a kill: a recovery is
    /// complete when the profile-updater and the recommender committed at least these.</summary>
    public static async Task<Dictionary<TopicPartition, long>> SnapshotAsync(ChaosKafka kafka, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return kafka.HighWatermarks([Topics.UserEvents, Topics.UserVectors]);
            }
            catch (KafkaException) when (attempt < 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System, cancellationToken);
            }
        }
    }

    /// <summary>Time from <paramref name="since"/> until both groups covered the snapshot; null when the child died first or after 90 s.</summary>
    public static async Task<TimeSpan?> WaitCoveredAsync(ChaosKafka kafka, Dictionary<TopicPartition, long> snapshot, ServeProcess child, Stopwatch since, CancellationToken cancellationToken)
    {
        var events = Only(snapshot, Topics.UserEvents);
        var notifications = Only(snapshot, Topics.UserVectors);
        var covered = await WaitAsync(
            () => kafka.Covers("streamrec.profile-updater", events) && kafka.Covers("streamrec.recommender", notifications),
            child,
            TimeSpan.FromSeconds(90),
            cancellationToken);
        return covered ? since.Elapsed : null;
    }

    private static Dictionary<TopicPartition, long> Only(Dictionary<TopicPartition, long> snapshot, params string[] topics) =>
        snapshot.Where(kv => topics.Contains(kv.Key.Topic)).ToDictionary(kv => kv.Key, kv => kv.Value);

    private static async Task<bool> WaitAsync(Func<bool> condition, ServeProcess child, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout && !child.HasExited)
        {
            try
            {
                if (condition())
                {
                    return true;
                }
            }
            catch (KafkaException)
            {
                // The broker is being faulted: ask again.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, cancellationToken);
        }

        return false;
    }

    private const short ProduceApiKey = 0;
    private const short OffsetCommitApiKey = 8;

    /// <summary>How long a round waits for its injected crash: 30 s, but at most half the parked events' max age (a
    /// round that waited 30 s with a 30 s max age made the next round's late item come 3 s after its events gave up).</summary>
    public static TimeSpan InjectedCrashWait(TimeSpan parkedMaxAge) =>
        TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks, parkedMaxAge.Ticks / 2));

    private static (string Crash, Dictionary<string, string> Settings) PickCrash(Random rng)
    {
        var n = 1 + rng.Next(3);
        return rng.Next(8) switch
        {
            0 or 1 => ($"injected crash after users write #{n}", new() { ["StreamRec:FaultInjection:CrashAfterUserWrites"] = n.ToString(CultureInfo.InvariantCulture) }),
            2 => ($"injected crash before list publish #{n}", new()
            {
                ["StreamRec:FaultInjection:CrashBeforeListPublish"] = n.ToString(CultureInfo.InvariantCulture),
                ["StreamRec:FaultInjection:CrashBeforeListPublishDelay"] = "00:00:01.500",
            }),
            3 => ("SIGTERM", []),
            _ => ("SIGKILL", []),
        };
    }

    private static (string Description, Task Done) StartFault(MockKafkaCluster cluster, Random rng, int partitions, CancellationToken cancellationToken)
    {
        switch (rng.Next(4))
        {
            case 0:
                var broker = 1 + rng.Next(cluster.BrokerCount);
                var down = TimeSpan.FromMilliseconds(300 + rng.Next(1200));
                cluster.SetBrokerDown(broker);
                return ($"broker {broker} down {down.TotalSeconds:F1} s", UpAfterAsync(cluster, broker, down, cancellationToken));
            case 1:
                string[] topics = [Topics.UserEvents, Topics.UserVectors, Topics.Recommendations];
                var topic = topics[rng.Next(topics.Length)];
                var partition = rng.Next(partitions);
                var leader = 1 + rng.Next(cluster.BrokerCount);
                cluster.SetPartitionLeader(topic, partition, leader);
                return ($"leader of {topic}[{partition}] -> broker {leader}", Task.CompletedTask);
            case 2:
                var produce = 1 + rng.Next(4);
                cluster.PushRequestErrors(ProduceApiKey, Enumerable.Repeat(ErrorCode.NotEnoughReplicas, produce).ToArray());
                return ($"{produce} produce errors (NOT_ENOUGH_REPLICAS)", Task.CompletedTask);
            default:
                var commit = 1 + rng.Next(3);
                cluster.PushRequestErrors(OffsetCommitApiKey, Enumerable.Repeat(ErrorCode.NotCoordinatorForGroup, commit).ToArray());
                return ($"{commit} offset-commit errors (NOT_COORDINATOR)", Task.CompletedTask);
        }
    }

    private static async Task UpAfterAsync(MockKafkaCluster cluster, int broker, TimeSpan down, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(down, TimeProvider.System, cancellationToken);
        }
        finally
        {
            cluster.SetBrokerUp(broker);
        }
    }

    private static List<IStreamRecEvent>[] Split(IReadOnlyList<IStreamRecEvent> events, int parts)
    {
        var chunks = new List<IStreamRecEvent>[parts];
        for (var i = 0; i < parts; i++)
        {
            chunks[i] = [];
        }

        for (var i = 0; i < events.Count; i++)
        {
            chunks[(int)((long)i * parts / events.Count)].Add(events[i]);
        }

        return chunks;
    }
}
