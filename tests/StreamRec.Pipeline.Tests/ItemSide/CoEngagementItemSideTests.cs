using Microsoft.Extensions.Time.Testing;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Messaging;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Handlers;
using StreamRec.Pipeline.ItemSide;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Pipeline.Tests.ItemSide;

/// <summary>
/// The item side without Kafka: engagements as the profile-updater publishes them, through the handler into the store,
/// must give exactly the rows the evaluation's in-memory reference builds from the same sequences, replays included.
/// </summary>
public sealed class CoEngagementItemSideTests : IDisposable
{
    private readonly EmbeddedVectorStore _store = new(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
    private readonly CoEngagementOptions _options = new() { NeighbourLimit = 6, Buckets = 4 };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _store.Dispose();

    /// <summary>A seeded stream of engagements of 30 users over 40 items, with the users' sequences as the profile keeps them.</summary>
    private static List<AppliedEngagement> Stream(int count, int seed)
    {
        var random = new Random(seed);
        var histories = new Dictionary<int, List<string>>();
        var lowRated = new Dictionary<int, HashSet<string>>();
        var engagements = new List<AppliedEngagement>();
        for (var offset = 0; offset < count; offset++)
        {
            var user = random.Next(30);
            var item = "i" + random.Next(40);
            var history = histories.TryGetValue(user, out var h) ? h : histories[user] = [];
            // One engagement in four is a low rating: its pairs travel with the lower weight.
            var low = lowRated.TryGetValue(user, out var l) ? l : lowRated[user] = new HashSet<string>(StringComparer.Ordinal);
            if (random.Next(4) == 0)
            {
                low.Add(item);
            }
            else
            {
                low.Remove(item);
            }

            string[] before = [.. history.TakeLast(50)];
            var notPositive = low.Where(i => i == item || before.Contains(i)).ToHashSet(StringComparer.Ordinal);
            engagements.Add(new AppliedEngagement(item, before, Topics.UserEvents, user % 3, offset, Retried: false, notPositive.Count > 0 ? notPositive : null));
            history.Remove(item);
            history.Add(item);
        }

        return engagements;
    }

    private static List<ConsumedMessage> Consumed(IEnumerable<OutgoingMessage> messages, ref long offset)
    {
        var list = new List<ConsumedMessage>();
        foreach (var m in messages)
        {
            list.Add(new ConsumedMessage(m.Topic, 0, offset++, m.Key, m.Value, DateTimeOffset.UnixEpoch, []));
        }

        return list;
    }

    private async Task<CoEngagementStore> HandleAsync(IReadOnlyList<AppliedEngagement> engagements, int batchSize, int times = 1)
    {
        var rows = new CoEngagementStore(_store, _options, _time);
        await rows.EnsureCollectionAsync(CancellationToken.None);
        for (var pass = 0; pass < times; pass++)
        {
            // A fresh handler each pass: a restarted item side reads the rows back from the store.
            var handler = new CoEngagementHandler(rows, _time);
            long offset = 0;
            foreach (var chunk in engagements.Chunk(batchSize))
            {
                var poison = await handler.HandleAsync(Consumed(EngagementMessage.For(chunk, _options, _time.GetUtcNow()), ref offset), CancellationToken.None);
                Assert.Empty(poison);
            }
        }

        return rows;
    }

    private CoEngagementTable Reference(IEnumerable<AppliedEngagement> engagements)
    {
        var table = new CoEngagementTable(_options);
        foreach (var e in engagements)
        {
            table.Observe(e.History, e.ItemId, e.NotPositive);
        }

        return table;
    }

    private static void AssertSameRows(CoEngagementTable expected, Dictionary<string, CoEngagementRow> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (id, row) in actual)
        {
            var reference = expected.RowOf(id)!;
            Assert.Equal(reference.Count, row.Count);
            Assert.Equal(reference.Neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal), row.Neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(0.0)]
    public async Task Handler_StreamOfEngagements_StoresExactlyTheReferenceRows(double backwardPairWeight)
    {
        _options.BackwardPairWeight = backwardPairWeight;
        var engagements = Stream(600, seed: 1);

        var rows = await HandleAsync(engagements, batchSize: 37);

        var stored = await rows.LoadAsync(Enumerable.Range(0, 40).Select(i => "i" + i).ToArray(), CancellationToken.None);
        AssertSameRows(Reference(engagements), stored);
    }

    [Fact]
    public async Task Handler_EverythingDeliveredTwice_ChangesNothingTheSecondTime()
    {
        var engagements = Stream(400, seed: 2);

        var rows = await HandleAsync(engagements, batchSize: 50, times: 2);

        var stored = await rows.LoadAsync(Enumerable.Range(0, 40).Select(i => "i" + i).ToArray(), CancellationToken.None);
        AssertSameRows(Reference(engagements), stored);
    }

    [Fact]
    public async Task Handler_RepublishedWithOtherBatchBoundaries_AppliesEachContributionOnce()
    {
        // A profile-updater that crashed after publishing and before saving re-applies the events and publishes the same
        // contributions again, cut into batches differently.
        var engagements = Stream(300, seed: 3);
        var rows = new CoEngagementStore(_store, _options, _time);
        await rows.EnsureCollectionAsync(CancellationToken.None);
        var handler = new CoEngagementHandler(rows, _time);
        long offset = 0;
        foreach (var chunk in engagements.Take(200).Chunk(64))
        {
            await handler.HandleAsync(Consumed(EngagementMessage.For(chunk, _options, _time.GetUtcNow()), ref offset), CancellationToken.None);
        }

        foreach (var chunk in engagements.Skip(150).Chunk(29))
        {
            await handler.HandleAsync(Consumed(EngagementMessage.For(chunk, _options, _time.GetUtcNow()), ref offset), CancellationToken.None);
        }

        var stored = await rows.LoadAsync(Enumerable.Range(0, 40).Select(i => "i" + i).ToArray(), CancellationToken.None);
        AssertSameRows(Reference(engagements), stored);
    }

    [Fact]
    public async Task StoreSource_ScoresLikeTheReferenceTable()
    {
        var engagements = Stream(500, seed: 4);
        var rows = await HandleAsync(engagements, batchSize: 40);
        var reference = Reference(engagements);
        var disliked = new HashSet<string>(StringComparer.Ordinal) { "i17" };

        // Several lists in a row, the first again at the end: the store's source shares its read cache and keeps its
        // dictionary of partial sums between lists, and nothing of one list may leak into the next.
        string[][] lists = [["i3", "i17", "i8", "i25"], ["i30", "i1"], ["i12", "i9", "i33", "i5", "i21", "i0"], ["i3", "i17", "i8", "i25"]];
        foreach (var recent in lists)
        {
            var exclude = recent.ToHashSet(StringComparer.Ordinal);

            var fromStore = await rows.ScoreAsync(recent, exclude, 10, disliked, CancellationToken.None);
            var fromTable = await reference.ScoreAsync(recent, exclude, 10, disliked, CancellationToken.None);

            Assert.NotEmpty(fromStore);
            Assert.Equal(fromTable.Select(s => s.ItemId), fromStore.Select(s => s.ItemId));
            Assert.Equal(fromTable.Select(s => s.Score), fromStore.Select(s => s.Score));
        }
    }

    [Fact]
    public void Messages_RowsAlwaysInTheSameBucket_AtMostBucketsMessagesPerBatch()
    {
        var messages = EngagementMessage.For(Stream(300, seed: 5), _options, _time.GetUtcNow());

        Assert.InRange(messages.Count, 1, _options.Buckets);
        var parsed = messages.Select(m => (m.Key, EngagementMessage.Parse(m.Value).Message!)).ToList();
        Assert.All(parsed, p => Assert.All(p.Item2.Rows, r => Assert.Equal(EngagementMessage.BucketOf(r.ItemId, _options.Buckets), p.Key)));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"schema":"streamrec.other/v1","event_id":"e","occurred_at":"2026-01-01T00:00:00Z","bucket":"b0","rows":[]}""")]
    [InlineData("""{"schema":"streamrec.engagement/v1","event_id":"e","occurred_at":"2026-01-01T00:00:00Z","bucket":"b0","rows":[{"item_id":"","contributions":[]}]}""")]
    public async Task Handler_BadMessage_IsDeadLetteredWithAReason(string json)
    {
        var rows = new CoEngagementStore(_store, _options, _time);
        await rows.EnsureCollectionAsync(CancellationToken.None);

        var poison = await new CoEngagementHandler(rows, _time).HandleAsync(
            [new ConsumedMessage(Topics.Engagements, 0, 0, "b0", System.Text.Encoding.UTF8.GetBytes(json), DateTimeOffset.UnixEpoch, [])], CancellationToken.None);

        var reason = Assert.Single(poison).Reason;
        Assert.Matches("^(MalformedJson|UnknownSchema|InvalidValue): ", reason);
    }

    [Fact]
    public async Task Handler_BinaryMessageDamagedPartWay_AddsNoneOfItsContributions()
    {
        // The damaged message's first rows read fine before its end is missing: none of them may reach a row, while the
        // good messages around it in the same batch are applied.
        var engagements = Stream(200, seed: 5);
        var good = EngagementMessage.For(engagements.Take(100).ToArray(), _options, _time.GetUtcNow());
        var damaged = EngagementMessage.For(engagements.Skip(100).ToArray(), _options, _time.GetUtcNow()).MaxBy(m => m.Value.Length)!;
        var cut = damaged with { Value = damaged.Value[..(damaged.Value.Length * 3 / 4)] };
        long offset = 0;
        var consumed = Consumed([.. good.Take(2), cut, .. good.Skip(2)], ref offset);
        var rows = new CoEngagementStore(_store, _options, _time);
        await rows.EnsureCollectionAsync(CancellationToken.None);

        var poison = await new CoEngagementHandler(rows, _time).HandleAsync(consumed, CancellationToken.None);

        Assert.Equal(2, Assert.Single(poison).Index);
        Assert.StartsWith("InvalidValue: damaged binary engagement message", poison[0].Reason);
        var stored = await rows.LoadAsync(Enumerable.Range(0, 40).Select(i => "i" + i).ToArray(), CancellationToken.None);
        AssertSameRows(Reference(engagements.Take(100)), stored);
    }
}
