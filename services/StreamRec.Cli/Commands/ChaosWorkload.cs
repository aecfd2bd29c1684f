using StreamRec.Contracts;

namespace StreamRec.Cli.Commands;

/// <summary>
/// A seeded input for crash and chaos runs: a catalog in four unrelated topics, then clicks and rated reviews.
/// Users either only click or only review, so each user's events sit in one topic-partition and are applied
/// in one fixed order: a run without faults then gives bit-for-bit the same state, and any difference is a
/// lost or doubled event. Reviews carry no text, because encoder output may vary in the last bits with the
/// batch it was computed in.
/// </summary>
public sealed class ChaosWorkload
{
    /// <summary>Event time of the first user event; far enough in the past for the future-skew check.</summary>
    public static readonly DateTimeOffset Start = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly (string Topic, string Words)[] Subjects =
    [
        ("space", "space rocket galaxy planet astronaut orbit star nebula"),
        ("cooking", "recipe kitchen pasta sauce bread oven flour tomato"),
        ("garden", "garden flower soil seed plant water tree leaf"),
        ("football", "football goal match team league player stadium ball"),
    ];

    public ChaosWorkload(int seed, int events, int users = 0, int itemsPerSubject = 6)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1);
        var rng = new Random(seed);
        users = users > 0 ? users : Math.Clamp(events / 8, 4, 5_000);

        var items = new List<ItemUpserted>();
        foreach (var (subject, words) in Subjects)
        {
            var w = words.Split(' ');
            for (var i = 1; i <= itemsPerSubject; i++)
            {
                var text = string.Join(' ', Enumerable.Range(0, w.Length).Select(k => w[(k + i) % w.Length]));
                items.Add(new ItemUpserted
                {
                    EventId = $"item-{subject}-{i}",
                    OccurredAt = Start.AddDays(-30),
                    ItemId = $"{subject}-{i}",
                    Title = $"{subject} {w[i % w.Length]}",
                    Text = text,
                    Tags = [subject],
                    PublishedAt = Start.AddDays(-30),
                });
            }
        }

        Items = items;
        var userEvents = new List<IStreamRecEvent>(events);
        for (var n = 0; n < events; n++)
        {
            var u = rng.Next(users);
            // Each user sticks mostly to one subject, so their lists mean something.
            var subject = rng.NextDouble() < 0.8 ? u % Subjects.Length : rng.Next(Subjects.Length);
            var item = $"{Subjects[subject].Topic}-{1 + rng.Next(itemsPerSubject)}";
            var at = Start.AddSeconds(n * 7 + rng.Next(5)).AddMilliseconds(rng.Next(1000));
            if (u % 4 == 3)
            {
                var user = $"reviewer-{u:D5}";
                userEvents.Add(new Review
                {
                    EventId = $"chaos-{seed}-{n}",
                    OccurredAt = at,
                    UserId = user,
                    ItemId = item,
                    Rating = rng.Next(0, 11) / 2.0,
                });
            }
            else
            {
                var user = $"clicker-{u:D5}";
                userEvents.Add(new Click { EventId = $"chaos-{seed}-{n}", OccurredAt = at, UserId = user, ItemId = item });
            }
        }

        UserEvents = userEvents;
    }

    /// <summary>The catalog (produced first, indexed before any user event).</summary>
    public IReadOnlyList<ItemUpserted> Items { get; }

    /// <summary>Clicks and reviews in production order.</summary>
    public IReadOnlyList<IStreamRecEvent> UserEvents { get; }

    /// <summary>The users that have at least one event.</summary>
    public IReadOnlySet<string> Users => UserEvents.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
}
