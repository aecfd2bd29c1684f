using StreamRec.Contracts;

namespace StreamRec.Chaos;

/// <summary>
/// A seeded input for crash and chaos runs: a catalog in four unrelated subjects, then clicks and rated reviews.
/// Every user both clicks and reviews (about one event in four is a review, sometimes of the item just clicked), and all
/// of a user's events sit in one partition of the user-events topic and are applied in the order they were produced: a
/// run without faults then gives bit-for-bit the same state, and any difference is a lost, doubled or reordered event.
/// Reviews carry no text, because encoder output may vary in the last bits with the batch it was computed in.
/// Optionally some events are turned into events on items that are not in the catalog: <b>late</b> items, published
/// after their last reference (the services park those events and apply them once the item arrives), and items that
/// <b>never</b> come (clicks only; the services park them and dead-letter them <c>ItemNotIndexed</c> after the bounds).
/// The mixing draws from its own random sequence, so the rest of the workload is the same with or without it.
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

    /// <param name="seed">Seed of everything.</param>
    /// <param name="events">Clicks and reviews in total (late and never-coming ones included).</param>
    /// <param name="users">Distinct users; 0: events / 8, between 4 and 5,000.</param>
    /// <param name="itemsPerSubject">Catalog items per subject.</param>
    /// <param name="lateItems">Items published late; item k is referenced only within the k-th of <paramref name="lateItems"/> equal slices of the events.</param>
    /// <param name="lateEvents">Events (clicks or reviews) turned into events on a late item.</param>
    /// <param name="neverEvents">Clicks turned into clicks on an item that never comes (one item each).</param>
    public ChaosWorkload(int seed, int events, int users = 0, int itemsPerSubject = 6, int lateItems = 0, int lateEvents = 0, int neverEvents = 0)
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
        var lastClicked = new Dictionary<int, string>();
        for (var n = 0; n < events; n++)
        {
            var u = rng.Next(users);
            // Each user sticks mostly to one subject, so their lists mean something.
            var subject = rng.NextDouble() < 0.8 ? u % Subjects.Length : rng.Next(Subjects.Length);
            var item = $"{Subjects[subject].Topic}-{1 + rng.Next(itemsPerSubject)}";
            var at = Start.AddSeconds(n * 7 + rng.Next(5)).AddMilliseconds(rng.Next(1000));
            var user = $"user-{u:D5}";
            if (rng.Next(4) == 3)
            {
                // Half the reviews are of the item the user clicked last (MovieLens sends a rating with a click of its film).
                if (rng.Next(2) == 0 && lastClicked.TryGetValue(u, out var clicked))
                {
                    item = clicked;
                }

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
                userEvents.Add(new Click { EventId = $"chaos-{seed}-{n}", OccurredAt = at, UserId = user, ItemId = item });
                lastClicked[u] = item;
            }
        }

        (LateItems, NeverEventIds) = MixIn(seed, userEvents, lateItems, lateEvents, neverEvents);
        LateEventIds = userEvents.Where(e => LateItems.Any(l => l.Item.ItemId == ItemOf(e))).Select(e => e.EventId).ToHashSet(StringComparer.Ordinal);
        UserEvents = userEvents;
    }

    /// <summary>An item published late: after the event at index <see cref="LastReference"/> of <see cref="UserEvents"/>, its last reference.</summary>
    public sealed record LateItem(ItemUpserted Item, int LastReference);

    /// <summary>Items not in <see cref="Items"/>: produce each after its last reference.</summary>
    public IReadOnlyList<LateItem> LateItems { get; }

    /// <summary>Events on a late item: each must be applied exactly once, after its item arrives.</summary>
    public IReadOnlySet<string> LateEventIds { get; }

    /// <summary>Clicks on items that never come: each must be dead-lettered <c>ItemNotIndexed</c> and never applied.</summary>
    public IReadOnlySet<string> NeverEventIds { get; }

    /// <summary>Catalog and late items: every item that is indexed by the end of a run.</summary>
    public IReadOnlyList<string> AllItemIds => [.. Items.Select(i => i.ItemId), .. LateItems.Select(l => l.Item.ItemId)];

    private static (List<LateItem> Late, HashSet<string> Never) MixIn(int seed, List<IStreamRecEvent> events, int lateItems, int lateEvents, int neverEvents)
    {
        var rng = new Random(unchecked(seed * 7919 + 13));
        var late = new List<LateItem>();
        var taken = new HashSet<int>();
        lateItems = Math.Min(lateItems, lateEvents);
        for (var k = 0; k < lateItems; k++)
        {
            // The same slices as the chaos runner's rounds when lateItems equals the number of rounds.
            var from = Slice(k, lateItems, events.Count);
            var to = Slice(k + 1, lateItems, events.Count);
            var (subject, words) = Subjects[k % Subjects.Length];
            var id = $"late-{subject}-{k + 1}";
            var wanted = lateEvents / lateItems + (k < lateEvents % lateItems ? 1 : 0);
            var last = -1;
            // A fixed budget of draws (collisions are redrawn): bounding by the shrinking remainder would stop early.
            for (int attempt = 0, budget = 20 * wanted; attempt < budget && wanted > 0 && to > from; attempt++)
            {
                var i = from + rng.Next(to - from);
                if (!taken.Add(i))
                {
                    continue;
                }

                events[i] = WithItem(events[i], id);
                last = Math.Max(last, i);
                wanted--;
            }

            if (last >= 0)
            {
                var w = words.Split(' ');
                late.Add(new LateItem(
                    new ItemUpserted
                    {
                        EventId = $"item-{id}",
                        OccurredAt = Start.AddDays(-30),
                        ItemId = id,
                        Title = $"{subject} late {k + 1}",
                        Text = string.Join(' ', Enumerable.Range(0, w.Length).Select(j => w[(w.Length - 1 - j + k) % w.Length])),
                        Tags = [subject],
                        PublishedAt = Start.AddDays(-30),
                    },
                    last));
            }
        }

        var never = new HashSet<string>(StringComparer.Ordinal);
        var clicks = Enumerable.Range(0, events.Count).Where(i => events[i] is Click && !taken.Contains(i)).ToList();
        for (var n = 0; n < neverEvents && clicks.Count > 0; n++)
        {
            var pick = rng.Next(clicks.Count);
            var i = clicks[pick];
            clicks.RemoveAt(pick);
            events[i] = WithItem(events[i], $"never-{n + 1}");
            never.Add(events[i].EventId);
        }

        return (late, never);
    }

    /// <summary>First index of slice <paramref name="k"/> of <paramref name="parts"/>: the smallest i with ⌊i·parts/count⌋ ≥ k.</summary>
    public static int Slice(int k, int parts, int count) => (int)(((long)k * count + parts - 1) / parts);

    private static IStreamRecEvent WithItem(IStreamRecEvent e, string itemId) => e switch
    {
        Click c => c with { ItemId = itemId },
        Review r => r with { ItemId = itemId },
        _ => e,
    };

    private static string? ItemOf(IStreamRecEvent e) => e switch
    {
        Click c => c.ItemId,
        Review r => r.ItemId,
        _ => null,
    };

    /// <summary>The catalog (produced first, indexed before any user event).</summary>
    public IReadOnlyList<ItemUpserted> Items { get; }

    /// <summary>Clicks and reviews in production order.</summary>
    public IReadOnlyList<IStreamRecEvent> UserEvents { get; }

    /// <summary>The users that have at least one event.</summary>
    public IReadOnlySet<string> Users => UserEvents.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
}
