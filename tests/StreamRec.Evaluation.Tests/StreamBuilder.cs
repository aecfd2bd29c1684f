using StreamRec.Contracts;

namespace StreamRec.Evaluation.Tests;

/// <summary>Builds small event streams by hand: times are minutes after <see cref="T0"/>.</summary>
internal sealed class StreamBuilder
{
    public static readonly DateTimeOffset T0 = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<IStreamRecEvent> _events = [];
    private int _next;

    public IReadOnlyList<IStreamRecEvent> Events => _events;

    public static DateTimeOffset At(double minutes) => T0.AddMinutes(minutes);

    public StreamBuilder Item(string id, double minute, string? text = null, DateTimeOffset? published = null)
    {
        _events.Add(new ItemUpserted { EventId = $"i{_next++}", OccurredAt = At(minute), ItemId = id, Title = id, Text = text ?? id, PublishedAt = published, Version = 1 });
        return this;
    }

    public StreamBuilder Click(string user, string item, double minute)
    {
        _events.Add(new Click { EventId = $"c{_next++}", OccurredAt = At(minute), UserId = user, ItemId = item });
        return this;
    }

    public StreamBuilder Review(string user, string item, double minute, double rating, string? text = null)
    {
        _events.Add(new Review { EventId = $"r{_next++}", OccurredAt = At(minute), UserId = user, ItemId = item, Rating = rating, Text = text });
        return this;
    }

    /// <summary>A MovieLens-style rating: a review, plus a click at the same instant when rating ≥ 3.5.</summary>
    public StreamBuilder Rate(string user, string item, double minute, double rating)
    {
        Review(user, item, minute, rating);
        return rating >= 3.5 ? Click(user, item, minute) : this;
    }

    public StreamBuilder Retire(string item, double minute)
    {
        _events.Add(new ItemRetired { EventId = $"x{_next++}", OccurredAt = At(minute), ItemId = item, Version = 2 });
        return this;
    }
}

/// <summary>Test systems that record what they were shown and asked.</summary>
internal sealed class SpySystem : IRecommenderSystem
{
    private readonly Func<SpySystem, string, IReadOnlySet<string>, IReadOnlyList<string>> _recommend;

    public SpySystem(string name, Func<SpySystem, string, IReadOnlySet<string>, IReadOnlyList<string>>? recommend = null)
    {
        Name = name;
        _recommend = recommend ?? ((_, _, _) => []);
    }

    public string Name { get; }

    public List<IStreamRecEvent> Observed { get; } = [];

    /// <summary>Per call: the user, the list time, and how many events had been observed.</summary>
    public List<(string User, DateTimeOffset Now, int ObservedCount)> Calls { get; } = [];

    public ValueTask ObserveAsync(IStreamRecEvent e, CancellationToken cancellationToken)
    {
        Observed.Add(e);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<string>> RecommendAsync(string userId, int count, DateTimeOffset now, IReadOnlySet<string> exclude, CancellationToken cancellationToken)
    {
        Calls.Add((userId, now, Observed.Count));
        return ValueTask.FromResult<IReadOnlyList<string>>(_recommend(this, userId, exclude).Take(count).ToArray());
    }

    /// <summary>Recommends the items this user touched most recently, newest first, ignoring the exclusion set:
    /// it can only hit if the evaluator showed it the target interaction before asking.</summary>
    public static SpySystem LastObserved() => new("last-observed", (spy, user, _) => spy.Observed
        .Select(e => e switch { Click c when c.UserId == user => c.ItemId, Review r when r.UserId == user => r.ItemId, _ => null })
        .Where(i => i is not null).Select(i => i!).Reverse().Distinct().ToArray());

    /// <summary>Knows the whole stream: recommends the user's next clicked items at or after the list time. A sanity
    /// check that the scoring can see a perfect system.</summary>
    public static SpySystem Clairvoyant(IReadOnlyList<IStreamRecEvent> all) => new("clairvoyant", (spy, user, exclude) =>
    {
        var now = spy.Calls[^1].Now;
        return all.OfType<Click>().Where(c => c.UserId == user && c.OccurredAt >= now && !exclude.Contains(c.ItemId))
            .OrderBy(c => c.OccurredAt).Select(c => c.ItemId).Distinct().ToArray();
    });
}
