using StreamRec.Contracts;

namespace StreamRec.TestSupport;

/// <summary>A small catalog of items in four unrelated topics, so "similar" has an unambiguous meaning even for an untrained encoder.</summary>
public static class Catalog
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly (string Topic, string Words)[] Topics =
    [
        ("space", "space rocket galaxy planet astronaut orbit star nebula"),
        ("cooking", "recipe kitchen pasta sauce bread oven flour tomato"),
        ("garden", "garden flower soil seed plant water tree leaf"),
        ("football", "football goal match team league player stadium ball"),
    ];

    /// <summary>Items <c>{topic}-{i}</c>, i = 1..perTopic, all published at T0 - 30 days.</summary>
    public static IEnumerable<ItemUpserted> Items(int perTopic = 5)
    {
        foreach (var (topic, words) in Topics)
        {
            for (var i = 1; i <= perTopic; i++)
            {
                yield return Item($"{topic}-{i}", topic, words, i, T0.AddDays(-30));
            }
        }
    }

    public static ItemUpserted Item(string id, string topic, string words, int variant, DateTimeOffset publishedAt, long? version = null)
    {
        var w = words.Split(' ');
        // Each item repeats its topic's words in a different order, so items of a topic share most of their words.
        var text = string.Join(' ', Enumerable.Range(0, w.Length).Select(k => w[(k + variant) % w.Length]));
        return new ItemUpserted
        {
            EventId = $"item-{id}-{version ?? 1}",
            OccurredAt = publishedAt,
            ItemId = id,
            Title = $"{topic} {w[variant % w.Length]} {w[(variant + 3) % w.Length]}",
            Text = text,
            Tags = [topic],
            PublishedAt = publishedAt,
            Version = version,
        };
    }

    public static ItemUpserted FreshItem(string id, string topic, DateTimeOffset publishedAt)
    {
        var words = Topics.Single(t => t.Topic == topic).Words;
        return Item(id, topic, words, 7, publishedAt);
    }

    public static Click Click(string user, string item, DateTimeOffset at) => new()
    {
        EventId = $"click-{user}-{item}-{at.ToUnixTimeMilliseconds()}",
        OccurredAt = at,
        UserId = user,
        ItemId = item,
    };

    public static Review Review(string user, string item, double? rating, string? text, DateTimeOffset at) => new()
    {
        EventId = $"review-{user}-{item}-{at.ToUnixTimeMilliseconds()}",
        OccurredAt = at,
        UserId = user,
        ItemId = item,
        Rating = rating,
        Text = text,
    };
}
