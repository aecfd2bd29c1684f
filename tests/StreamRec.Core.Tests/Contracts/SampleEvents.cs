using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary>Several instances of every message kind: minimal, complete, at the limits, and with awkward text.</summary>
internal static class SampleEvents
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 23, 13, 59, 41, TimeSpan.Zero);

    public static IReadOnlyList<IStreamRecEvent> All() =>
    [
        new ItemUpserted { EventId = "i-1", OccurredAt = T0, ItemId = "movie-1", Title = "Toy Story (1995)" },
        new ItemUpserted
        {
            EventId = "i-2",
            OccurredAt = T0.AddTicks(1_234_567).ToOffset(TimeSpan.FromHours(5.5)),
            ItemId = "movie-2",
            Title = "Jumanji \"1995\" — Zoë's <pick> & 🎲",
            Text = "Line one\nline two\ttabbed, \\ backslash, \u0001 control in free text is fine.",
            Tags = ["Adventure", "Children", ""],
            PublishedAt = new DateTimeOffset(1995, 12, 15, 0, 0, 0, TimeSpan.FromHours(-8)),
            Version = 0,
        },
        new ItemUpserted
        {
            EventId = new string('e', 128),
            OccurredAt = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero),
            ItemId = new string('x', 256),
            Title = new string('t', 1_000),
            Text = new string('w', 20_000),
            Tags = Enumerable.Range(0, 64).Select(i => new string((char)('a' + (i % 26)), 100)).ToArray(),
            PublishedAt = new DateTimeOffset(2199, 12, 31, 23, 59, 59, TimeSpan.Zero),
            Version = long.MaxValue,
        },
        new ItemRetired { EventId = "r-1", OccurredAt = T0, ItemId = "movie-2" },
        new ItemRetired { EventId = "r-2", OccurredAt = T0.ToOffset(TimeSpan.FromHours(-3)), ItemId = "article/2026/11/kafka", Version = 42 },
        new Click { EventId = "c-1", OccurredAt = T0, UserId = "user-42", ItemId = "movie-1" },
        new Click
        {
            EventId = "c-2",
            OccurredAt = T0.AddMilliseconds(250),
            UserId = "Zoë 🙂",
            ItemId = "movie-1",
            Context = new Dictionary<string, string> { ["surface"] = "home", ["device"] = "tv", ["empty"] = "" },
        },
        new Click
        {
            EventId = "c-3",
            OccurredAt = T0,
            UserId = "u",
            ItemId = "i",
            Context = Enumerable.Range(0, 32).ToDictionary(i => $"k{i}", i => $"v{i}"),
        },
        new Review { EventId = "v-1", OccurredAt = T0, UserId = "user-42", ItemId = "movie-1" },
        new Review { EventId = "v-2", OccurredAt = T0, UserId = "user-42", ItemId = "movie-1", Rating = 4.5, Text = "Still the best." },
        new Review { EventId = "v-3", OccurredAt = T0, UserId = "user-7", ItemId = "movie-2", Rating = 0 },
        new Review { EventId = "v-4", OccurredAt = T0, UserId = "user-7", ItemId = "movie-3", Rating = 5, Text = new string('r', 20_000) },
        new UserForget { EventId = "f-1", OccurredAt = T0, UserId = "user-7" },
        new UserVectorUpdated
        {
            EventId = "uvu-1",
            OccurredAt = T0,
            UserId = "user-42",
            Version = 3,
            Trigger = new TriggerRef { EventId = "v-2", OccurredAt = T0.AddSeconds(-1) },
        },
        new UserVectorUpdated
        {
            EventId = "uvu-2",
            OccurredAt = T0,
            UserId = "user-7",
            Version = -1,
            Forgotten = true,
            Trigger = new TriggerRef
            {
                EventId = "f-1",
                OccurredAt = DateTimeOffset.MinValue,
                ReceivedAt = T0.AddMilliseconds(-3),
                Topic = Topics.UserEvents,
                Partition = 0,
                Offset = long.MaxValue,
            },
        },
        new RecommendationList
        {
            EventId = "rec-1",
            UserId = "user-7",
            GeneratedAt = T0,
            Strategy = "forgotten",
            Trigger = new TriggerRef { EventId = "f-1", OccurredAt = T0 },
            Items = [],
        },
        new RecommendationList
        {
            EventId = "rec-2",
            UserId = "user-42",
            GeneratedAt = T0.AddMilliseconds(31),
            Strategy = "personalized",
            Trigger = new TriggerRef { EventId = "v-2", OccurredAt = T0, ReceivedAt = T0.AddMilliseconds(4), Topic = Topics.UserEvents, Partition = 2, Offset = 1187 },
            Items =
            [
                new RecommendedItem { ItemId = "movie-3114", Title = "Toy Story 2 (1999)", Score = 0.912, Rank = 1, Reasons = ["similar-recent"] },
                new RecommendedItem { ItemId = "movie-2355", Score = -0.25, Rank = 2, Reasons = ["similar-long-term", "trending", "diversified"] },
                new RecommendedItem { ItemId = "movie-9", Score = 1e-300, Rank = 3, Reasons = [] },
            ],
        },
    ];

    public static IEnumerable<TheoryDataRow<string>> Names() =>
        All().Select((e, i) => new TheoryDataRow<string>(Name(e, i)));

    public static IStreamRecEvent ByName(string name) => All()[int.Parse(name.AsSpan(0, name.IndexOf(':', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture)];

    private static string Name(IStreamRecEvent e, int index) => $"{index}:{e.Schema}:{e.EventId[..Math.Min(8, e.EventId.Length)]}";
}
