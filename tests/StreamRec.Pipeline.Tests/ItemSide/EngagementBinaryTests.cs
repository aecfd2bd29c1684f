using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.ItemSide;

namespace StreamRec.Pipeline.Tests.ItemSide;

/// <summary>The binary encoding of engagement messages (v2), and the JSON of v1 still read.</summary>
public sealed class EngagementBinaryTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 9, 0, 0, 123, TimeSpan.Zero);

    private static EngagementMessage Message() => new()
    {
        EventId = "eng-1",
        OccurredAt = At,
        Bucket = "b7",
        Rows =
        [
            new RowContributions
            {
                ItemId = "ml-1",
                Contributions =
                [
                    new CoEngagementContribution("streamrec.clicks:0", 5_000_000_000, false, 1, [("ml-2", 0.1 + 0.2), ("été-日本", double.Epsilon)]),
                    new CoEngagementContribution("streamrec.reviews:3", 0, true, 0, []),
                ],
            },
            new RowContributions
            {
                ItemId = "ml-2",
                Contributions = [new CoEngagementContribution("streamrec.clicks:0", 7, false, 0, [("ml-1", 0.8)])],
            },
        ],
    };

    private static string Describe(EngagementMessage m) =>
        $"{m.Schema}|{m.EventId}|{m.OccurredAt.ToUnixTimeMilliseconds()}|{m.Bucket}|" + string.Join(";", m.Rows.Select(r => r.ItemId + ":" + string.Join(",", r.Contributions.Select(c =>
            $"{c.Source}@{c.Offset}/{c.Retried}/{BitConverter.DoubleToInt64Bits(c.Count)}/" + string.Join("+", c.Pairs.Select(p => $"{p.ItemId}={BitConverter.DoubleToInt64Bits(p.Weight)}"))))));

    [Fact]
    public void WriteThenParse_GivesTheMessageBack_BitForBit()
    {
        var bytes = EngagementBinary.Write(Message());

        Assert.True(EngagementBinary.IsBinary(bytes));
        var (parsed, error) = EngagementMessage.Parse(bytes);
        Assert.Null(error);
        Assert.Equal(Describe(Message()), Describe(parsed!));
    }

    [Fact]
    public void Parse_TheJsonOfVersion1_IsStillRead_AndMeansTheSame()
    {
        var json = EngagementMessage.ToJson(Message());

        Assert.False(EngagementBinary.IsBinary(json));
        Assert.Equal(Describe(Message()), Describe(EngagementMessage.Parse(json).Message!));
    }

    [Fact]
    public void For_WritesBinary_MuchSmallerThanTheJson()
    {
        var history = Enumerable.Range(0, 50).Select(i => $"ml-{i:D5}").ToArray();
        var engagements = Enumerable.Range(0, 20).Select(i => new AppliedEngagement($"ml-9{i:D4}", history, Topics.Clicks, 0, 1000 + i, Retried: false)).ToArray();

        var messages = EngagementMessage.For(engagements, new CoEngagementOptions { Buckets = 4 }, At);

        var binary = messages.Sum(m => m.Value.Length);
        var json = messages.Sum(m => EngagementMessage.ToJson(EngagementMessage.Parse(m.Value).Message!).Length);
        Assert.All(messages, m => Assert.True(EngagementBinary.IsBinary(m.Value)));
        Assert.True(binary * 2 < json, $"binary {binary} bytes, JSON {json}");
    }

    /// <summary>
    /// <see cref="EngagementMessage.For"/> writes the binary form straight from the engagements; it must give exactly the
    /// bytes of the message built the plain way (the domain's contributions grouped by bucket, in applied order, then
    /// <see cref="EngagementBinary.Write"/>): repeats, late ones, low ratings, several partitions and shared rows included.
    /// </summary>
    [Fact]
    public void For_GivesTheBytesOfTheDomainContributionsGroupedByBucket()
    {
        var random = new Random(11);
        var options = new CoEngagementOptions { Buckets = 8, HistorySize = 6 };
        var histories = new Dictionary<string, List<string>>();
        var engagements = new List<AppliedEngagement>();
        for (var i = 0; i < 200; i++)
        {
            var user = $"u{random.Next(12)}";
            var item = $"ml-{random.Next(40)}";
            var history = histories.TryGetValue(user, out var h) ? h : histories[user] = [];
            IReadOnlySet<string>? notPositive = random.Next(4) == 0 ? new HashSet<string>(StringComparer.Ordinal) { item } : null;
            engagements.Add(new AppliedEngagement(item, [.. history], random.Next(2) == 0 ? Topics.Clicks : Topics.Reviews, random.Next(3), i, Retried: random.Next(10) == 0, notPositive));
            history.Add(item);
        }

        var actual = EngagementMessage.For(engagements, options, At);

        var rows = new Dictionary<string, List<CoEngagementContribution>>(StringComparer.Ordinal);
        var buckets = new List<(string Bucket, List<string> Members)>();
        foreach (var e in engagements)
        {
            foreach (var (rowId, c) in CoEngagement.Contributions(e.History, e.ItemId, e.PartitionKey, e.Offset, e.Retried, options, e.NotPositive))
            {
                if (!rows.TryGetValue(rowId, out var list))
                {
                    rows[rowId] = list = [];
                    var bucket = EngagementMessage.BucketOf(rowId, options.Buckets);
                    var index = buckets.FindIndex(b => b.Bucket == bucket);
                    if (index < 0)
                    {
                        buckets.Add((bucket, []));
                        index = buckets.Count - 1;
                    }

                    buckets[index].Members.Add(rowId);
                }

                list.Add(c);
            }
        }

        Assert.Equal(buckets.Select(b => b.Bucket), actual.Select(m => m.Key));
        for (var m = 0; m < buckets.Count; m++)
        {
            var eventId = EngagementMessage.Parse(actual[m].Value).Message!.EventId;
            var expected = new EngagementMessage
            {
                EventId = eventId,
                OccurredAt = At,
                Bucket = buckets[m].Bucket,
                Rows = [.. buckets[m].Members.Select(id => new RowContributions { ItemId = id, Contributions = rows[id] })],
            };
            Assert.Equal(EngagementBinary.Write(expected), actual[m].Value);
        }

        // The ids are deterministic: the same engagements give the same messages.
        Assert.Equal(actual.Select(m => Convert.ToHexString(m.Value)), EngagementMessage.For(engagements, options, At).Select(m => Convert.ToHexString(m.Value)));
    }

    [Fact]
    public void Parse_EveryTruncation_IsRejectedWithAReason_NeverThrows()
    {
        var bytes = EngagementBinary.Write(Message());

        for (var length = 4; length < bytes.Length; length++)
        {
            var (parsed, error) = EngagementMessage.Parse(bytes.AsSpan(0, length));
            Assert.Null(parsed);
            Assert.StartsWith(DeadLetterCodes.InvalidValue + ": ", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_BytesAfterTheLastRow_AreRejected()
    {
        var (parsed, error) = EngagementMessage.Parse([.. EngagementBinary.Write(Message()), 0]);

        Assert.Null(parsed);
        Assert.Contains("1 bytes after the last row", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ANonFiniteWeightOrAnEmptyItemId_IsRejected()
    {
        var nan = Message() with { Rows = [new RowContributions { ItemId = "ml-1", Contributions = [new CoEngagementContribution("s:0", 0, false, 0, [("ml-2", double.NaN)])] }] };
        var empty = Message() with { Rows = [new RowContributions { ItemId = "", Contributions = [] }] };

        Assert.StartsWith(DeadLetterCodes.InvalidValue, EngagementMessage.Parse(EngagementBinary.Write(nan)).Error, StringComparison.Ordinal);
        Assert.StartsWith(DeadLetterCodes.InvalidValue, EngagementMessage.Parse(EngagementBinary.Write(empty)).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ACountLargerThanWhatIsLeft_IsRejectedWithoutAllocatingIt()
    {
        // Magic, empty event id, occurred at 0, empty bucket, then a source count of 2^62.
        byte[] value = [0x53, 0x52, 0x45, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];

        var (parsed, error) = EngagementMessage.Parse(value);

        Assert.Null(parsed);
        Assert.Contains("bytes left", error, StringComparison.Ordinal);
    }
}
