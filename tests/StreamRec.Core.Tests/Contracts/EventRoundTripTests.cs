using System.Text;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

public sealed class EventRoundTripTests
{
    public static IEnumerable<TheoryDataRow<string>> Samples() => SampleEvents.Names();

    [Theory]
    [MemberData(nameof(Samples))]
    public void SerializeThenParse_GivesAnEqualEvent(string sample)
    {
        var original = SampleEvents.ByName(sample);

        var result = EventParser.Parse(EventParser.Serialize(original));

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Null(result.Error);
        EventAssert.Equal(original, result.Event);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Serialize_IsStableAcrossARoundTrip(string sample)
    {
        var first = EventParser.Serialize(SampleEvents.ByName(sample));

        var second = EventParser.Serialize(EventParser.Parse(first).Event!);

        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(second));
    }

    [Fact]
    public void Samples_CoverEveryMessageKind()
    {
        var kinds = SampleEvents.All().Select(e => e.Schema).Distinct().Order(StringComparer.Ordinal);

        Assert.Equal(Schemas.All.Order(StringComparer.Ordinal), kinds);
    }

    [Fact]
    public void Parse_AbsentOptionalFields_AreNullOrDefault()
    {
        var json = """{"schema":"streamrec.item-upserted/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","item_id":"i","title":"t"}"""u8;

        var item = Assert.IsType<ItemUpserted>(EventParser.Parse(json).Event);

        Assert.Null(item.Text);
        Assert.Null(item.Tags);
        Assert.Null(item.PublishedAt);
        Assert.Null(item.Version);
        Assert.Equal(SampleEvents.T0.ToUnixTimeMilliseconds(), item.EffectiveVersion);
    }

    [Fact]
    public void Parse_ExplicitNullOptionalFields_AreAccepted()
    {
        var json = """{"schema":"streamrec.review/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","user_id":"u","item_id":"i","rating":null,"text":null}"""u8;

        var review = Assert.IsType<Review>(EventParser.Parse(json).Event);

        Assert.Null(review.Rating);
        Assert.Null(review.Text);
    }

    [Fact]
    public void Parse_UnknownFields_AreIgnored_ForForwardCompatibility()
    {
        var json = """{"schema":"streamrec.click/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","user_id":"u","item_id":"i","added_in_v1_1":{"nested":[1,2,3]},"x":null}"""u8;

        var click = Assert.IsType<Click>(EventParser.Parse(json).Event);

        Assert.Equal("u", click.UserId);
    }

    [Fact]
    public void Parse_FieldOrder_DoesNotMatter()
    {
        var json = """{"item_id":"i","user_id":"u","occurred_at":"2026-11-23T13:59:41Z","event_id":"e","schema":"streamrec.click/v1"}"""u8;

        var click = Assert.IsType<Click>(EventParser.Parse(json).Event);

        Assert.Equal(("e", "u", "i", SampleEvents.T0), (click.EventId, click.UserId, click.ItemId, click.OccurredAt));
    }

    [Fact]
    public void Serialize_NonEventType_Throws() =>
        Assert.Throws<ArgumentException>(() => EventParser.Serialize(new NotAnEvent()));

    private sealed class NotAnEvent : IStreamRecEvent
    {
        public string Schema => "x";
        public string EventId => "x";
        public DateTimeOffset OccurredAt => default;
        public string Topic => "x";
        public string Key => "x";
    }
}
