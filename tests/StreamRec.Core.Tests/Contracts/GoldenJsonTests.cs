using System.Text;
using System.Text.Json;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary>
/// The exact bytes each message kind serializes to: snake_case names, declaration order, nulls omitted,
/// ISO 8601 times with their offset. A change here is a change of the wire contract.
/// </summary>
public sealed class GoldenJsonTests
{
    private static readonly DateTimeOffset T0 = SampleEvents.T0;

    public static TheoryData<string, string> Golden() => new()
    {
        {
            "item-upserted",
            """{"schema":"streamrec.item-upserted/v1","event_id":"i-1","occurred_at":"2026-11-23T13:59:41+00:00","item_id":"movie-1","title":"Toy Story","tags":["Animation","Comedy"],"published_at":"1995-11-22T00:00:00-08:00","version":7}"""
        },
        {
            "item-retired",
            """{"schema":"streamrec.item-retired/v1","event_id":"r-1","occurred_at":"2026-11-23T13:59:41+00:00","item_id":"movie-1"}"""
        },
        {
            "click",
            """{"schema":"streamrec.click/v1","event_id":"c-1","occurred_at":"2026-11-23T13:59:41.25+00:00","user_id":"user-42","item_id":"movie-1","context":{"surface":"home"}}"""
        },
        {
            "review",
            """{"schema":"streamrec.review/v1","event_id":"v-1","occurred_at":"2026-11-23T13:59:41+00:00","user_id":"user-42","item_id":"movie-1","rating":4.5}"""
        },
        {
            "user-forget",
            """{"schema":"streamrec.user-forget/v1","event_id":"f-1","occurred_at":"2026-11-23T13:59:41+00:00","user_id":"user-7"}"""
        },
        {
            "user-vector-updated",
            """{"schema":"streamrec.user-vector-updated/v1","event_id":"uvu-1","occurred_at":"2026-11-23T13:59:41+00:00","user_id":"user-42","version":3,"forgotten":false,"trigger":{"event_id":"v-1","occurred_at":"2026-11-23T13:59:40+00:00","topic":"streamrec.user-events","partition":2,"offset":1187}}"""
        },
        {
            "recommendations",
            """{"schema":"streamrec.recommendations/v1","event_id":"rec-1","user_id":"user-42","generated_at":"2026-11-23T13:59:41+00:00","strategy":"personalized","trigger":{"event_id":"v-1","occurred_at":"2026-11-23T13:59:40+00:00"},"items":[{"item_id":"movie-3114","title":"Toy Story 2","score":0.5,"rank":1,"reasons":["similar-recent","fresh"]},{"item_id":"movie-9","score":0.25,"rank":2,"reasons":[]}]}"""
        },
    };

    [Theory]
    [MemberData(nameof(Golden))]
    public void Serialize_WritesTheGoldenJson(string kind, string golden)
    {
        var json = Encoding.UTF8.GetString(EventParser.Serialize(Event(kind)));

        Assert.Equal(golden, json);
    }

    [Theory]
    [MemberData(nameof(Golden))]
    public void Parse_OfTheGoldenJson_GivesTheEvent(string kind, string golden)
    {
        var result = EventParser.Parse(Encoding.UTF8.GetBytes(golden));

        EventAssert.Equal(Event(kind), result.Event);
    }

    [Theory]
    [MemberData(nameof(EventRoundTripTests.Samples), MemberType = typeof(EventRoundTripTests))]
    public void Serialize_OmitsNullsAndRoutingProperties(string sample)
    {
        using var document = JsonDocument.Parse(EventParser.Serialize(SampleEvents.ByName(sample)));
        var root = document.RootElement;

        Assert.Empty(Nulls(root));
        var names = root.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.DoesNotContain("topic", names);
        Assert.DoesNotContain("key", names);
        Assert.DoesNotContain("effective_version", names);
        Assert.All(names, n => Assert.Matches("^[a-z]+(_[a-z]+)*$", n));
    }

    [Fact]
    public void Serialize_Recommendations_HasNoOccurredAt_ButGeneratedAt()
    {
        var json = Encoding.UTF8.GetString(EventParser.Serialize(Event("recommendations")));

        Assert.Contains("\"generated_at\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"occurred_at\":\"2026-11-23T13:59:41", json, StringComparison.Ordinal);
    }

    private static IStreamRecEvent Event(string kind)
    {
        var trigger = new TriggerRef { EventId = "v-1", OccurredAt = T0.AddSeconds(-1) };
        return kind switch
        {
            "item-upserted" => new ItemUpserted
            {
                EventId = "i-1",
                OccurredAt = T0,
                ItemId = "movie-1",
                Title = "Toy Story",
                Tags = ["Animation", "Comedy"],
                PublishedAt = new DateTimeOffset(1995, 11, 22, 0, 0, 0, TimeSpan.FromHours(-8)),
                Version = 7,
            },
            "item-retired" => new ItemRetired { EventId = "r-1", OccurredAt = T0, ItemId = "movie-1" },
            "click" => new Click
            {
                EventId = "c-1",
                OccurredAt = T0.AddMilliseconds(250),
                UserId = "user-42",
                ItemId = "movie-1",
                Context = new Dictionary<string, string> { ["surface"] = "home" },
            },
            "review" => new Review { EventId = "v-1", OccurredAt = T0, UserId = "user-42", ItemId = "movie-1", Rating = 4.5 },
            "user-forget" => new UserForget { EventId = "f-1", OccurredAt = T0, UserId = "user-7" },
            "user-vector-updated" => new UserVectorUpdated
            {
                EventId = "uvu-1",
                OccurredAt = T0,
                UserId = "user-42",
                Version = 3,
                Trigger = trigger with { Topic = Topics.UserEvents, Partition = 2, Offset = 1187 },
            },
            "recommendations" => new RecommendationList
            {
                EventId = "rec-1",
                UserId = "user-42",
                GeneratedAt = T0,
                Strategy = "personalized",
                Trigger = trigger,
                Items =
                [
                    new RecommendedItem { ItemId = "movie-3114", Title = "Toy Story 2", Score = 0.5, Rank = 1, Reasons = ["similar-recent", "fresh"] },
                    new RecommendedItem { ItemId = "movie-9", Score = 0.25, Rank = 2, Reasons = [] },
                ],
            },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static IEnumerable<string> Nulls(JsonElement element, string path = "$") => element.ValueKind switch
    {
        JsonValueKind.Null => [path],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Nulls(p.Value, $"{path}.{p.Name}")),
        JsonValueKind.Array => element.EnumerateArray().SelectMany((e, i) => Nulls(e, $"{path}[{i}]")),
        _ => [],
    };
}
