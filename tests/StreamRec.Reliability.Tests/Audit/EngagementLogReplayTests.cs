using StreamRec.Chaos;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.ItemSide;

namespace StreamRec.Reliability.Tests.Audit;

/// <summary>The audit's replay of the engagements log: what the stored rows are checked against once rows prune.</summary>
public sealed class EngagementLogReplayTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CoEngagementOptions Options = new() { NeighbourLimit = 4, Buckets = 4 };

    /// <summary>A seeded stream of 30 users' engagements over 40 items, the users spread over three source partitions.</summary>
    private static List<AppliedEngagement> Stream(int count, int seed)
    {
        var random = new Random(seed);
        var histories = new Dictionary<int, List<string>>();
        var engagements = new List<AppliedEngagement>();
        for (var offset = 0; offset < count; offset++)
        {
            var user = random.Next(30);
            var item = "i" + random.Next(40);
            var history = histories.TryGetValue(user, out var h) ? h : histories[user] = [];
            engagements.Add(new AppliedEngagement(item, [.. history.TakeLast(50)], Topics.UserEvents, user % 3, offset, Retried: false));
            history.Remove(item);
            history.Add(item);
        }

        return engagements;
    }

    /// <summary>Each source partition's engagements as the profile-updater would publish them, in batches of eight.</summary>
    private static List<byte[]>[] MessagesBySource(List<AppliedEngagement> engagements) =>
        [.. Enumerable.Range(0, 3).Select(p => engagements.Where(e => e.Partition == p).Chunk(8).SelectMany(chunk => EngagementMessage.For(chunk, Options, At)).Select(m => m.Value).ToList())];

    /// <summary>The sources' messages interleaved as <paramref name="seed"/> picks, each source's in its own order.</summary>
    private static EngagementLogReplay Replay(List<byte[]>[] bySource, int seed)
    {
        var random = new Random(seed);
        var next = new int[bySource.Length];
        var replay = new EngagementLogReplay(Options);
        while (Enumerable.Range(0, bySource.Length).Any(s => next[s] < bySource[s].Count))
        {
            var s = random.Next(bySource.Length);
            if (next[s] < bySource[s].Count)
            {
                replay.Apply(bySource[s][next[s]++]);
            }
        }

        return replay;
    }

    private static IEnumerable<string> Items => Enumerable.Range(0, 40).Select(i => "i" + i);

    [Fact]
    public void WholeRows_EqualTheUserEventsSums_InAnyInterleaving_WhileRowsThatPruneDependOnIt()
    {
        var engagements = Stream(900, seed: 3);
        var bySource = MessagesBySource(engagements);
        var whole = Options.Clone();
        whole.NeighbourLimit = EngagementLogReplay.Unbounded;
        var reference = new CoEngagementTable(whole);
        foreach (var e in engagements)
        {
            reference.Observe(e.History, e.ItemId);
        }

        var first = Replay(bySource, seed: 1);
        var second = Replay(bySource, seed: 2);

        Assert.True(first.PrunedRows > 0, "no row pruned: the test does not reach what it is about");
        Assert.All(Items, item => Assert.Null(ChaosAudit.RowDifference(reference.RowOf(item), first.Whole(item))));
        Assert.All(Items, item => Assert.Null(ChaosAudit.RowDifference(reference.RowOf(item), second.Whole(item))));
        // Why the audit checks a pruned row against the log as written and not against the user events: the same
        // contributions in another interleaving leave some pruned row with other neighbours.
        Assert.Contains(Items, item => ChaosAudit.RowDifference(first.Bounded(item), second.Bounded(item)) is not null);
    }

    [Fact]
    public void AMessageReadTwice_ChangesNoRow_AndOneThatDoesNotParse_IsCountedAndSkipped()
    {
        var bySource = MessagesBySource(Stream(300, seed: 4));
        var once = Replay(bySource, seed: 1);
        var twice = Replay(bySource, seed: 1);
        foreach (var message in bySource[0].Take(5))
        {
            twice.Apply(message); // a duplicate, as a profile-updater that crashed before saving its users publishes again
        }

        twice.Apply("{not an engagement"u8.ToArray());

        Assert.All(Items, item => Assert.Null(ChaosAudit.RowDifference(once.Bounded(item), twice.Bounded(item))));
        Assert.All(Items, item => Assert.Null(ChaosAudit.RowDifference(once.Whole(item), twice.Whole(item))));
        Assert.Equal(0, once.Unreadable);
        Assert.Equal(1, twice.Unreadable);
    }
}
