using System.Globalization;
using StreamRec.Contracts;
using StreamRec.Datasets;

namespace StreamRec.SystemBench.Pipeline;

/// <summary>The events a pipeline run replays: the catalogue (indexed before measuring) and the user events, in time order.</summary>
/// <param name="Name">Where they come from, for the report.</param>
public sealed record EventSource(string Name, IReadOnlyList<ItemUpserted> Items, IReadOnlyList<IStreamRecEvent> UserEvents)
{
    private static readonly string[] Words =
        ("space rocket galaxy planet astronaut orbit star nebula recipe kitchen pasta sauce bread oven flour tomato garden " +
         "flower soil seed plant water tree leaf football goal match team league player stadium ball detective murder " +
         "mystery comedy drama action romance war western horror thriller documentary animation family music history")
        .Split(' ');

    /// <summary>MovieLens (ml-latest-small) as StreamRec events when the zip is found, else a synthetic stream.</summary>
    public static EventSource Load(string? dataPath, int syntheticItems, int syntheticEvents)
    {
        if (MovieLensDataset.FindZip(dataPath) is { } zip)
        {
            var dataset = MovieLensDataset.Load(zip);
            var items = new List<ItemUpserted>();
            var users = new List<IStreamRecEvent>();
            foreach (var e in MovieLensEvents.ToEvents(dataset))
            {
                if (e is ItemUpserted item)
                {
                    items.Add(item);
                }
                else
                {
                    users.Add(e);
                }
            }

            return new EventSource($"MovieLens ml-latest-small ({Path.GetFileName(zip)})", items, users);
        }

        return Synthetic(syntheticItems, syntheticEvents, users: Math.Max(100, syntheticEvents / 100), seed: 11);
    }

    /// <summary>Seeded synthetic catalogue and clicks (about one review in five, a tenth of those with text), popularity skewed.</summary>
    public static EventSource Synthetic(int items, int events, int users, int seed)
    {
        var random = new Random(seed);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var catalogue = Enumerable.Range(0, items).Select(i =>
        {
            var text = string.Join(' ', Enumerable.Range(0, 12).Select(_ => Words[random.Next(Words.Length)]));
            var id = "syn-" + i.ToString(CultureInfo.InvariantCulture);
            return new ItemUpserted
            {
                EventId = "syn-i-" + id,
                OccurredAt = t0,
                ItemId = id,
                Title = text[..Math.Min(30, text.Length)],
                Text = text,
                PublishedAt = t0.AddDays(-random.Next(0, 365)),
                Version = 1,
            };
        }).ToArray();

        var stream = new List<IStreamRecEvent>(events);
        for (var i = 0; i < events; i++)
        {
            var user = "syn-u" + random.Next(users).ToString(CultureInfo.InvariantCulture);
            // Squaring a uniform draw favours low ids: a few popular items, a long tail.
            var item = catalogue[(int)(Math.Pow(random.NextDouble(), 2) * items)].ItemId;
            var at = t0.AddSeconds(i);
            var suffix = i.ToString(CultureInfo.InvariantCulture);
            stream.Add(random.Next(5) == 0
                ? new Review { EventId = "syn-r-" + suffix, OccurredAt = at, UserId = user, ItemId = item, Rating = random.Next(1, 11) / 2.0, Text = random.Next(10) == 0 ? "great " + Words[random.Next(Words.Length)] : null }
                : new Click { EventId = "syn-c-" + suffix, OccurredAt = at, UserId = user, ItemId = item });
        }

        return new EventSource($"synthetic ({items} items, {users} users)", catalogue, stream);
    }
}
