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
                    new CoEngagementContribution("streamrec.user-events:0", 5_000_000_000, false, 1, [("ml-2", 0.1 + 0.2), ("été-日本", double.Epsilon)]),
                    new CoEngagementContribution("streamrec.user-events:3", 0, true, 0, []),
                ],
            },
            new RowContributions
            {
                ItemId = "ml-2",
                Contributions = [new CoEngagementContribution("streamrec.user-events:0", 7, false, 0, [("ml-1", 0.8)])],
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

    [Theory]
    [InlineData("x", 1)]
    [InlineData("x", 42)]
    [InlineData("x", 43)]
    [InlineData("x", 200)]
    [InlineData("日", 42)]
    [InlineData("日", 43)]
    [InlineData("😀", 21)]
    [InlineData("😀", 22)]
    public void WriteThenParse_IdsOfEveryLengthAndWidth_ComeBackWhole(string unit, int repeat)
    {
        var id = string.Concat(Enumerable.Repeat(unit, repeat));
        var message = Message() with
        {
            Rows = [new RowContributions { ItemId = id, Contributions = [new CoEngagementContribution("s:0", 1, false, 0, [(id + "-2", 0.5)])] }],
        };

        var bytes = EngagementBinary.Write(message);

        Assert.Equal(Describe(message), Describe(EngagementMessage.Parse(bytes).Message!));
        // The length prefix is the UTF-8 byte count: one byte below 128, two from there.
        var utf8 = System.Text.Encoding.UTF8.GetByteCount(id);
        var at = bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(id));
        Assert.Equal(utf8 < 128 ? (byte)utf8 : (byte)(0x80 | (utf8 & 0x7F)), bytes[at - (utf8 < 128 ? 1 : 2)]);
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
        var engagements = Enumerable.Range(0, 20).Select(i => new AppliedEngagement($"ml-9{i:D4}", history, Topics.UserEvents, 0, 1000 + i, Retried: false)).ToArray();

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
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(0.0)]
    public void For_GivesTheBytesOfTheDomainContributionsGroupedByBucket(double backwardPairWeight)
    {
        var random = new Random(11);
        var options = new CoEngagementOptions { Buckets = 8, HistorySize = 6, BackwardPairWeight = backwardPairWeight };
        var histories = new Dictionary<string, List<string>>();
        var engagements = new List<AppliedEngagement>();
        for (var i = 0; i < 200; i++)
        {
            var user = $"u{random.Next(12)}";
            var item = $"ml-{random.Next(40)}";
            var history = histories.TryGetValue(user, out var h) ? h : histories[user] = [];
            IReadOnlySet<string>? notPositive = random.Next(4) == 0 ? new HashSet<string>(StringComparer.Ordinal) { item } : null;
            engagements.Add(new AppliedEngagement(item, [.. history], random.Next(2) == 0 ? Topics.UserEvents : "another-topic", random.Next(3), i, Retried: random.Next(10) == 0, notPositive));
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

    public static TheoryData<string> InvalidValues => ["nan-weight", "infinite-count", "empty-row-id", "empty-pair-id", "empty-source"];

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void Parse_ANonFiniteNumberOrAnEmptyIdOrSource_IsRejected(string what)
    {
        static EngagementMessage With(string row, string source, double count, string pair, double weight) => Message() with
        {
            Rows = [new RowContributions { ItemId = row, Contributions = [new CoEngagementContribution(source, 0, false, count, [(pair, weight)])] }],
        };

        var message = what switch
        {
            "nan-weight" => With("ml-1", "s:0", 0, "ml-2", double.NaN),
            "infinite-count" => With("ml-1", "s:0", double.PositiveInfinity, "ml-2", 1),
            "empty-row-id" => With("", "s:0", 0, "ml-2", 1),
            "empty-pair-id" => With("ml-1", "s:0", 0, "", 1),
            _ => With("ml-1", "", 0, "ml-2", 1),
        };

        var (parsed, error) = EngagementMessage.Parse(EngagementBinary.Write(message));

        Assert.Null(parsed);
        Assert.StartsWith(DeadLetterCodes.InvalidValue, error, StringComparison.Ordinal);
        // The same message is valid with ordinary values (what was rejected is the one value).
        Assert.Null(EngagementMessage.Parse(EngagementBinary.Write(With("ml-1", "s:0", 0, "ml-2", 1))).Error);
    }

    private static string Describe(EngagementBatch batch) =>
        string.Join(";", batch.Entries.ToArray().Select(e =>
            $"{batch.RowIds[e.Row]}<{e.Source}@{e.Offset}/{e.Retried}/{e.Count}/" + string.Join("+", batch.PairsOf(e).ToArray().Select(p => $"{p.ItemId}={p.Weight}"))));

    [Fact]
    public void ReadInto_SeveralMessages_ListsEachRowOnceAndEveryContributionInOrder()
    {
        var batch = new EngagementBatch();
        var other = new EngagementMessage
        {
            EventId = "eng-2",
            OccurredAt = At,
            Bucket = "b7",
            Rows = [new RowContributions { ItemId = "ml-2", Contributions = [new CoEngagementContribution("streamrec.user-events:1", 9, false, 1, [("ml-3", 0.5)])] }],
        };

        Assert.Null(EngagementBinary.ReadInto(EngagementBinary.Write(Message()), null, batch).Error);
        Assert.Null(EngagementBinary.ReadInto(EngagementBinary.Write(other), null, batch).Error);

        Assert.Equal(["ml-1", "ml-2"], batch.RowIds);
        Assert.Equal(
            "ml-1<streamrec.user-events:0@5000000000/False/1/ml-2=0.30000000000000004+été-日本=5E-324;ml-1<streamrec.user-events:3@0/True/0/;"
            + "ml-2<streamrec.user-events:0@7/False/0/ml-1=0.8;ml-2<streamrec.user-events:1@9/False/1/ml-3=0.5",
            Describe(batch));
    }

    [Fact]
    public void EngagementBatch_ClearedAndReused_ReadsLikeANewOne()
    {
        var used = new EngagementBatch();
        EngagementBinary.ReadInto(EngagementBinary.Write(Message()), null, used);
        EngagementBinary.ReadInto(EngagementBinary.Write(One("ml-9", "s:0", 3, "ml-8", 1)), null, used);
        used.Clear();
        var fresh = new EngagementBatch();

        foreach (var batch in new[] { used, fresh })
        {
            EngagementBinary.ReadInto(EngagementBinary.Write(One("ml-2", "s:1", 4, "ml-7", 2)), null, batch);
        }

        Assert.Equal(Describe(fresh), Describe(used));
        Assert.Equal(fresh.RowIds, used.RowIds);
        Assert.Equal((1, 1), (used.EntryCount, used.PairCount));

        static EngagementMessage One(string row, string source, double count, string pair, double weight) => Message() with
        {
            Rows = [new RowContributions { ItemId = row, Contributions = [new CoEngagementContribution(source, 0, false, count, [(pair, weight)])] }],
        };
    }

    [Fact]
    public void Parse_ThroughAStringPool_ReadsTheSame_AndGivesOneInstancePerId()
    {
        var bytes = EngagementBinary.Write(Message());
        var pool = new Utf8StringPool();

        var first = EngagementMessage.Parse(bytes, pool).Message!;
        var second = EngagementMessage.Parse(bytes, pool).Message!;

        Assert.Equal(Describe(Message()), Describe(first));
        Assert.Equal(Describe(Message()), Describe(second));
        // "ml-2" is a pair of the first row and the second row's id: one string for both, in both messages.
        var pairId = first.Rows[0].Contributions[0].Pairs[0].ItemId;
        Assert.Same(pairId, first.Rows[1].ItemId);
        Assert.Same(pairId, second.Rows[1].ItemId);
        // Non-ASCII ids decode as without the pool.
        Assert.Same(first.Rows[0].Contributions[0].Pairs[1].ItemId, second.Rows[0].Contributions[0].Pairs[1].ItemId);
        Assert.Equal("été-日本", second.Rows[0].Contributions[0].Pairs[1].ItemId);
    }

    [Fact]
    public void StringPool_IdsLongerThanItPools_AreStillDecoded()
    {
        var pool = new Utf8StringPool();
        var id = new string('x', 300);
        var utf8 = System.Text.Encoding.UTF8.GetBytes(id);

        Assert.Equal(id, pool.Get(utf8));
        Assert.Equal("ml-1", pool.Get("ml-1"u8));
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
