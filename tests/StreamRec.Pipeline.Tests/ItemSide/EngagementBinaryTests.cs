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
                    new ContributionDto { Source = "streamrec.clicks:0", Offset = 5_000_000_000, Count = 1, Pairs = [new PairDto { ItemId = "ml-2", Weight = 0.1 + 0.2 }, new PairDto { ItemId = "été-日本", Weight = double.Epsilon }] },
                    new ContributionDto { Source = "streamrec.reviews:3", Offset = 0, Retried = true, Pairs = [] },
                ],
            },
            new RowContributions
            {
                ItemId = "ml-2",
                Contributions = [new ContributionDto { Source = "streamrec.clicks:0", Offset = 7, Pairs = [new PairDto { ItemId = "ml-1", Weight = 0.8 }] }],
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
        var nan = Message() with { Rows = [new RowContributions { ItemId = "ml-1", Contributions = [new ContributionDto { Source = "s:0", Pairs = [new PairDto { ItemId = "ml-2", Weight = double.NaN }] }] }] };
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
