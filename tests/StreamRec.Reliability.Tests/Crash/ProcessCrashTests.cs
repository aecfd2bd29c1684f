using StreamRec.Chaos;
using StreamRec.Contracts;
using StreamRec.Pipeline.Engines;
using StreamRec.Reliability.Tests.Support;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Reliability.Tests.Crash;

/// <summary>
/// Real `streamrec serve` child processes killed at the moments that matter, restarted, and audited: every input
/// event applied exactly once (bit for bit against the in-order reference), a list for every user, nothing uncommitted.
/// </summary>
public sealed class ProcessCrashTests
{
    private static readonly Dictionary<string, string> NoFaults = [];

    [Fact]
    public async Task CrashBetweenUsersWriteAndOffsetCommit_RestartGivesIdenticalState()
    {
        using var rig = new CrashRig(partitions: 2);
        var workload = new ChaosWorkload(seed: 11, events: 240);

        var first = rig.Start(Crash("CrashAfterUserWrites", 1));
        await rig.IndexItemsAsync(workload, first);
        rig.Kafka.Produce(workload.UserEvents.Take(120));
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(60), CrashRig.Ct), "the injected crash did not happen\n" + rig.LogTail());
        Assert.NotEqual(0, first.ExitCode);
        Assert.Contains("fault injection: crash after users write #1", rig.Log(), StringComparison.Ordinal);

        // The crash really fell between the write and the commit: some stored user applied an offset the group has not committed.
        var committed = rig.Kafka.Committed("streamrec.profile-updater", [Topics.UserEvents]);
        var ahead = await UsersAheadOfCommitAsync(rig.StorePath, workload, committed);
        Assert.True(ahead > 0, "no stored user was ahead of the committed offsets: the crash did not hit the window under test");

        // A second crash, on the restart's first write of new events (the replayed ones are skipped without a write).
        var second = rig.Start(Crash("CrashAfterUserWrites", 1));
        rig.Kafka.Produce(workload.UserEvents.Skip(120));
        Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(60), CrashRig.Ct), "the second injected crash did not happen\n" + rig.LogTail());

        var last = rig.Start(NoFaults);
        await rig.WaitAllCommittedAsync(last);
        await rig.StopAsync(last);

        rig.AssertHolds(await rig.AuditAsync(workload));
    }

    [Fact]
    public async Task CrashAfterCommitBeforeListPublish_EveryUserStillGetsAList()
    {
        using var rig = new CrashRig(partitions: 2);
        var workload = new ChaosWorkload(seed: 12, events: 160);
        // Lists depend only on the user state and the catalog, so duplicates must be identical.
        var ranking = new Dictionary<string, string> { ["StreamRec:Ranking:TrendWeight"] = "0", ["StreamRec:Ranking:FreshnessWeight"] = "0" };

        var first = rig.Start(ChaosRunner.Merge(ranking, Crash("CrashBeforeListPublish", 1)));
        await rig.IndexItemsAsync(workload, first);
        rig.Kafka.Produce(workload.UserEvents);
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(60), CrashRig.Ct), "the injected crash did not happen\n" + rig.LogTail());
        Assert.Contains("fault injection: crash before list publish", rig.Log(), StringComparison.Ordinal);

        // The window is real: events of some users were committed by the profile-updater, yet those users have no list.
        var committed = rig.Kafka.Committed("streamrec.profile-updater", [Topics.UserEvents]);
        var committedUsers = rig.Kafka.ReadAll(Topics.UserEvents)
            .Where(r => r.Offset.Value < committed.GetValueOrDefault(r.TopicPartition))
            .Select(r => r.Message.Key)
            .ToHashSet(StringComparer.Ordinal);
        var listed = Lists(rig).Select(l => l.UserId).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(committedUsers);
        Assert.NotEmpty(committedUsers.Except(listed));

        var last = rig.Start(ranking);
        await rig.WaitAllCommittedAsync(last);
        await rig.StopAsync(last);

        var audit = await rig.AuditAsync(workload);
        rig.AssertHolds(audit);
        Assert.Equal(0, audit.UsersWithoutList);
        foreach (var duplicates in Lists(rig).GroupBy(l => (l.UserId, l.Trigger.EventId)).Where(g => g.Count() > 1))
        {
            var contents = duplicates.Select(l => string.Join(",", l.Items.Select(i => i.ItemId))).Distinct().ToList();
            Assert.True(contents.Count == 1, $"lists of {duplicates.Key} differ: {string.Join(" | ", contents)}");
        }
    }

    [Fact]
    public async Task ReplayingWholeTopicsTwice_LeavesStateUnchanged()
    {
        using var rig = new CrashRig(partitions: 2);
        var workload = new ChaosWorkload(seed: 13, events: 200);

        var child = rig.Start(NoFaults);
        await rig.IndexItemsAsync(workload, child);
        rig.Kafka.Produce(workload.UserEvents);
        await rig.WaitAllCommittedAsync(child);
        await rig.StopAsync(child);
        var before = await ReadUsersAsync(rig.StorePath, workload);
        rig.AssertHolds(await rig.AuditAsync(workload));

        // New consumer groups start from the earliest offsets: the whole topics are consumed again, twice.
        foreach (var prefix in new[] { "replay-1", "replay-2" })
        {
            var replay = rig.Start(new Dictionary<string, string> { ["StreamRec:Kafka:GroupIdPrefix"] = prefix });
            await rig.WaitAllCommittedAsync(replay, prefix);
            await rig.StopAsync(replay);
        }

        var after = await ReadUsersAsync(rig.StorePath, workload);
        Assert.Equal(before.Count, after.Count);
        foreach (var (user, profile) in before)
        {
            Assert.Null(ChaosAudit.Difference(profile, after[user]));
        }

        // (The original recommender group did not run during the replays, so the re-sent notifications are
        // uncommitted for it; the replay groups committed everything, checked above.)
        var audit = await rig.AuditAsync(workload);
        Assert.True(audit is { Lost: 0, AppliedTwice: 0, DivergedUsers: 0, UsersWithoutList: 0 }, audit.ToString());
    }

    [Fact]
    public async Task GracefulStop_DrainsCommitsAndNothingIsReprocessedOnRestart()
    {
        using var rig = new CrashRig(partitions: 2);
        var workload = new ChaosWorkload(seed: 14, events: 300);

        var child = rig.Start(NoFaults);
        await rig.IndexItemsAsync(workload, child);
        rig.Kafka.Produce(workload.UserEvents.Take(150));
        await rig.WaitAsync(() => rig.Kafka.Committed("streamrec.profile-updater", [Topics.UserEvents]).Values.Sum() > 0, child, TimeSpan.FromSeconds(60), "first commit");
        rig.Kafka.Produce(workload.UserEvents.Skip(150));

        // SIGTERM in the middle of the work: the host drains the batch in flight, commits and leaves the group
        // within the shutdown timeout (10 s here).
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        await rig.StopAsync(child);
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(20), $"graceful stop took {stopped.Elapsed}");

        var restarted = rig.Start(NoFaults);
        await rig.WaitAllCommittedAsync(restarted);
        await rig.StopAsync(restarted);

        var audit = await rig.AuditAsync(workload);
        rig.AssertHolds(audit);
        // A replayed event would have been skipped by its applied offset and its user notified again, which makes a
        // second list for the same trigger: none may exist.
        var duplicates = Lists(rig).GroupBy(l => (l.UserId, l.Trigger.EventId)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"reprocessed after a graceful stop: {string.Join(", ", duplicates.Take(5))}");
    }

    [Fact]
    public async Task SeededChaos_KillsRestartsAndBrokerFaults_NothingLostNothingDoubled()
    {
        using var rig = new CrashRig(partitions: 3);
        var report = await ChaosRunner.RunAsync(
            new ChaosSettings
            {
                Events = 400,
                Kills = 4,
                Seed = 7,
                Partitions = 3,
                WorkDirectory = Path.Combine(rig.Directory, "chaos"),
                Launch = rig.Launch,
                ModelPath = TinyModel.Path,
                MaxKillDelay = TimeSpan.FromSeconds(1.5),
                LateEvents = 0,
                NeverEvents = 0,
            },
            CrashRig.Ct);

        var log = Path.Combine(rig.Directory, "chaos", "children.log");
        var rounds = string.Join("\n", report.Rounds);
        Assert.True(report.Audit.Holds, $"{report.Audit}\n{rounds}\n{string.Join('\n', File.ReadLines(log).TakeLast(60))}");
        Assert.Equal(400, report.Audit.EventsIn);
        Assert.Equal(400, report.Audit.Applied);
        Assert.True(report.Audit.ItemRows > 0, "the item side was not audited: no co-engagement rows expected");
        // The runner's children prune rows past 2 × ChaosSettings.NeighbourLimit (5): rows checked against the engagements log.
        Assert.True(report.Audit.PrunedItemRows > 0, "no co-engagement row pruned: the audit's log check was not exercised\n" + report.Audit);
        Assert.Equal(report.Kills, report.KillsSurvived);
        Assert.True(report.BrokerFaults > 0, "the seed injected no broker fault:\n" + rounds);
    }

    // 2026-12-05 this failed once in three runs (4 of 300 events lost after an injected crash): a user with parked events
    // whose first load after a restart came from a batch, not from the new owner's scan, was never scheduled again.
    // Fixed in ProfileUpdaterHandler (a loaded user with parked events is always scheduled); the deterministic case is
    // ParkingEndToEndTests.ParkedUser_LoadedByTheNewHostsFirstBatchBeforeItsScan_IsStillRetriedOnSchedule.
    [Theory]
    [InlineData(17)]
    [InlineData(29)]
    public async Task SeededChaos_WithLateAndNeverComingItemsMixedIn_LateAppliedOnce_NeverComingDeadLetteredNotApplied(int seed)
    {
        // Events on items published one round later (or, in the last round, after the events were committed, so surely
        // parked) and clicks on items that never come, through kills and broker faults. The children park them with short
        // bounds; the runner waits until nothing is parked and every never-coming click is dead-lettered, then audits.
        using var rig = new CrashRig(partitions: 2);
        var report = await ChaosRunner.RunAsync(
            new ChaosSettings
            {
                Events = 300,
                Kills = 3,
                Seed = seed,
                Partitions = 2,
                LateEvents = 30,
                NeverEvents = 8,
                WorkDirectory = Path.Combine(rig.Directory, "chaos"),
                Launch = rig.Launch,
                ModelPath = TinyModel.Path,
                MaxKillDelay = TimeSpan.FromSeconds(1.5),
            },
            CrashRig.Ct);

        var log = Path.Combine(rig.Directory, "chaos", "children.log");
        var a = report.Audit;
        Assert.True(a.Holds, $"{a}\n{string.Join("\n", report.Rounds)}\n{string.Join('\n', File.ReadLines(log).TakeLast(60))}");
        Assert.Equal((300L, 30L, 30L), (a.EventsIn, a.LateEvents, a.LateAppliedOnce));
        Assert.Equal((8L, 8L, 8L), (a.NeverComing, a.NeverDeadLettered, a.NeverNotApplied));
        Assert.Equal(300 - 8, a.Applied);
        Assert.True(a.ItemRows > 0, "the item side was not audited: no co-engagement rows expected");
        // Nothing else reached the dead-letter topic (a repeated dead letter is allowed: at least once).
        Assert.Equal(a.NeverDeadLettered + a.NeverDeadLetteredRepeats, a.DeadLettered);
        Assert.Equal(report.Kills, report.KillsSurvived);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(10)]
    [InlineData(600)]
    public void InjectedCrashWait_StaysWellUnderTheParkedMaxAge_SoALateItemArrivesInTime(int maxAgeSeconds)
    {
        // A round that waits for an injected crash that never comes is then killed; the next round publishes the late
        // items. With a 30 s wait and a 30 s max age that once came 3 s too late (seed 29, 2026-12-06).
        var maxAge = TimeSpan.FromSeconds(maxAgeSeconds);

        var wait = ChaosRunner.InjectedCrashWait(maxAge);

        Assert.InRange(wait, TimeSpan.FromSeconds(1), maxAge / 2);
        Assert.True(wait <= TimeSpan.FromSeconds(30));
    }

    private static Dictionary<string, string> Crash(string hook, int n) => new()
    {
        [$"StreamRec:FaultInjection:{hook}"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static List<RecommendationList> Lists(CrashRig rig) =>
        rig.Kafka.ReadAll(Topics.Recommendations).Select(r => EventParser.Parse(r.Message.Value).Event).OfType<RecommendationList>().ToList();

    private static async Task<Dictionary<string, StreamRec.Domain.UserProfile>> ReadUsersAsync(string storePath, ChaosWorkload workload)
    {
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = storePath });
        var points = await store.GetAsync(Collections.Users, workload.Users.ToArray(), withVectors: true, withPayload: true, CrashRig.Ct);
        return points.ToDictionary(p => p.Id, p => ProfileCodec.Decode(p, p.Vectors[Collections.ShortTermVector].Length), StringComparer.Ordinal);
    }

    private static async Task<int> UsersAheadOfCommitAsync(string storePath, ChaosWorkload workload, Dictionary<Confluent.Kafka.TopicPartition, long> committed)
    {
        var users = await ReadUsersAsync(storePath, workload);
        return users.Values.Count(u => u.AppliedOffsets.Any(kv =>
        {
            var split = kv.Key.LastIndexOf(':');
            var tp = new Confluent.Kafka.TopicPartition(kv.Key[..split], int.Parse(kv.Key[(split + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            return kv.Value >= committed.GetValueOrDefault(tp);
        }));
    }
}
