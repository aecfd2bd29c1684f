using System.Globalization;
using System.Text;
using StreamRec.Contracts;

namespace StreamRec.SystemBench.Pipeline;

/// <summary>Which user events a <see cref="SyntheticPopulation"/> stream holds.</summary>
public enum EventMix
{
    /// <summary>Clicks only.</summary>
    Clicks,

    /// <summary>
    /// As the MovieLens replay turns ratings into events: every engagement is a review with a rating (MovieLens's rating
    /// distribution), plus a click at the same instant when the rating is 3.5 or more; a few reviews carry text.
    /// </summary>
    MovieLensMix,
}

/// <summary>The shape of a seeded synthetic population. Every default is the steady-state benchmark's.</summary>
public sealed record PopulationOptions
{
    /// <summary>Users. Default 100,000.</summary>
    public int Users { get; init; } = 100_000;

    /// <summary>Items, each with a short title and description from a word table. Default 10,000.</summary>
    public int Items { get; init; } = 10_000;

    /// <summary>Seed of every random draw: the same options give the same catalogue and the same events. Default 16.</summary>
    public int Seed { get; init; } = 16;

    /// <summary>Exponent s of the items' Zipf popularity (the item of popularity rank r is drawn with weight 1/r^s). Default 1.0.</summary>
    public double ZipfExponent { get; init; } = 1.0;

    /// <summary>Mean engagements per session (geometric; a session is one user's burst). Default 8.</summary>
    public double MeanSessionLength { get; init; } = 8;

    /// <summary>Sessions open at once: the stream interleaves their events, as many users browsing at the same time. Default 64.</summary>
    public int ConcurrentSessions { get; init; } = 64;

    /// <summary>Whether a user may engage an item again. Default true (popular items come back, as in click streams); false
    /// gives MovieLens's shape, where a user rates a film once: a repeat pairs with nothing on the item side, so only then
    /// does a click with a full history touch as many co-engagement rows as a MovieLens event.</summary>
    public bool RepeatItems { get; init; } = true;

    /// <summary>Share of reviews that carry text in <see cref="EventMix.MovieLensMix"/> (MovieLens: a few percent of ratings have a tag). Default 0.03.</summary>
    public double ReviewTextShare { get; init; } = 0.03;
}

/// <summary>
/// A seeded synthetic population for the steady-state benchmark: a catalogue whose items have text the real encoder can
/// work on, Zipf-distributed item popularity, and user events in bursty sessions. Deterministic: the same options give
/// the same items and the same events, in the same order.
/// </summary>
public static class SyntheticPopulation
{
    private static readonly string[] Words =
        ("space rocket galaxy planet astronaut orbit star nebula comet moon recipe kitchen pasta sauce bread oven flour " +
         "tomato garlic cheese soup dessert garden flower soil seed plant water tree leaf forest river mountain ocean " +
         "island desert winter summer football goal match team league player stadium ball coach season final detective " +
         "murder mystery clue secret spy agent heist prison escape comedy drama action romance war western horror thriller " +
         "documentary animation family music history science robot future city village castle king queen dragon sword " +
         "magic wizard ghost vampire zombie pirate ship train car road journey friendship love betrayal revenge courage " +
         "dream memory island school teacher student doctor hospital lawyer court journalist election president soldier " +
         "battle empire rebellion machine computer hacker virus storm fire ice night morning sunset")
        .Split(' ');

    private static readonly string[] ReviewWords =
        ("great loved boring slow funny moving brilliant weak predictable clever beautiful dull surprising tense silly " +
         "charming dark long short confusing touching epic average overrated underrated classic").Split(' ');

    // MovieLens ml-latest-small's share of each half-star rating (0.5 ... 5.0), rounded.
    private static readonly double[] RatingWeights = [0.014, 0.028, 0.018, 0.075, 0.055, 0.199, 0.130, 0.266, 0.085, 0.130];

    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The catalogue: ids <c>pop-i{n}</c>, a 2–4 word title and a 10–20 word description.</summary>
    public static IReadOnlyList<ItemUpserted> Items(PopulationOptions options)
    {
        var random = new Random(options.Seed);
        var items = new ItemUpserted[options.Items];
        for (var i = 0; i < items.Length; i++)
        {
            var id = ItemId(i);
            items[i] = new ItemUpserted
            {
                EventId = "pop-item-" + id,
                OccurredAt = Epoch,
                ItemId = id,
                Title = Phrase(random, Words, random.Next(2, 5), capitalise: true),
                Text = Phrase(random, Words, random.Next(10, 21), capitalise: true) + ".",
                PublishedAt = Epoch.AddDays(-random.Next(0, 365)),
                Version = 1,
            };
        }

        return items;
    }

    /// <summary>
    /// <paramref name="count"/> user events in time order: <see cref="PopulationOptions.ConcurrentSessions"/> sessions are
    /// open at once, each the burst of one random user (a few seconds between its events); every event is drawn from a
    /// random open session, and a finished session is replaced by a new one. Items are drawn by Zipf popularity (without
    /// <see cref="PopulationOptions.RepeatItems"/>, drawn again until the user has not engaged the item yet).
    /// Lazy: a backlog of millions is produced without holding it in memory (except, without repeats, each user's
    /// engaged items).
    /// </summary>
    public static IEnumerable<IStreamRecEvent> Events(PopulationOptions options, EventMix mix, int count)
    {
        // A different stream from the catalogue's, so changing the event count never changes the items. Not
        // HashCode.Combine: it is seeded per process, so every run drew a different stream.
        var random = new Random(unchecked((((options.Seed * 31) + 0x5eed) * 31) + (int)mix));
        var zipf = new ZipfSampler(options.Items, options.ZipfExponent);
        var rank = Permutation(options.Items, new Random(options.Seed + 1));
        var sessions = new Session[Math.Max(1, options.ConcurrentSessions)];
        var engaged = options.RepeatItems ? null : new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        var at = Epoch;
        for (var s = 0; s < sessions.Length; s++)
        {
            sessions[s] = NewSession(random, options);
        }

        var produced = 0;
        while (produced < count)
        {
            var s = random.Next(sessions.Length);
            var session = sessions[s];
            // The stream's clock: about 50 ms between events overall, so each of the 64 sessions sees a few seconds between its own.
            at = at.AddMilliseconds(1 + random.Next(100));
            var drawn = zipf.Sample(random);
            if (engaged is not null)
            {
                if (!engaged.TryGetValue(session.UserId, out var seen))
                {
                    engaged[session.UserId] = seen = [];
                }

                drawn = Unseen(drawn, seen, zipf, random, options.Items);
                seen.Add(drawn);
            }

            var item = ItemId(rank[drawn]);
            var suffix = produced.ToString(CultureInfo.InvariantCulture);
            if (mix == EventMix.Clicks)
            {
                yield return new Click { EventId = "pop-c-" + suffix, OccurredAt = at, UserId = session.UserId, ItemId = item };
                produced++;
            }
            else
            {
                var rating = (Draw(random, RatingWeights) + 1) / 2.0;
                var text = random.NextDouble() < options.ReviewTextShare ? Phrase(random, ReviewWords, random.Next(2, 6), capitalise: false) : null;
                yield return new Review { EventId = "pop-r-" + suffix, OccurredAt = at, UserId = session.UserId, ItemId = item, Rating = rating, Text = text };
                produced++;
                if (rating >= 3.5 && produced < count)
                {
                    yield return new Click { EventId = "pop-c-" + suffix, OccurredAt = at, UserId = session.UserId, ItemId = item };
                    produced++;
                }
            }

            if (--session.Remaining <= 0)
            {
                sessions[s] = NewSession(random, options);
            }
        }
    }

    /// <summary>The id of item <paramref name="index"/>.</summary>
    public static string ItemId(int index) => "pop-i" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The id of user <paramref name="index"/>.</summary>
    public static string UserId(int index) => "pop-u" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>A popularity rank the user has not engaged: Zipf draws while they keep hitting seen items (a few for a
    /// heavy user), then the most popular unseen rank, so the draw always ends. Every rank seen: any rank (the user
    /// has engaged the whole catalogue).</summary>
    private static int Unseen(int drawn, HashSet<int> seen, ZipfSampler zipf, Random random, int items)
    {
        for (var attempt = 0; attempt < 32 && seen.Contains(drawn); attempt++)
        {
            drawn = zipf.Sample(random);
        }

        for (var rank = 0; rank < items && seen.Contains(drawn); rank++)
        {
            drawn = rank;
        }

        return drawn;
    }

    private static Session NewSession(Random random, PopulationOptions options)
    {
        // Geometric length with the given mean (at least one event).
        var p = 1.0 / Math.Max(1, options.MeanSessionLength);
        var length = 1 + (int)Math.Floor(Math.Log(1 - random.NextDouble()) / Math.Log(1 - Math.Min(p, 0.999999)));
        return new Session(UserId(random.Next(options.Users)), length);
    }

    private static int[] Permutation(int n, Random random)
    {
        var result = Enumerable.Range(0, n).ToArray();
        random.Shuffle(result);
        return result;
    }

    private static int Draw(Random random, double[] weights)
    {
        var u = random.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            u -= weights[i];
            if (u < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    private static string Phrase(Random random, string[] words, int count, bool capitalise)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }

            var word = words[random.Next(words.Length)];
            text.Append(i == 0 && capitalise ? char.ToUpperInvariant(word[0]) + word[1..] : word);
        }

        return text.ToString();
    }

    private sealed class Session(string userId, int remaining)
    {
        public string UserId { get; } = userId;

        public int Remaining { get; set; } = remaining;
    }
}

/// <summary>Draws popularity ranks 0..n-1 with probability proportional to 1/(rank+1)^s, by binary search over the CDF.</summary>
internal sealed class ZipfSampler
{
    private readonly double[] _cdf;

    public ZipfSampler(int n, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(exponent);
        _cdf = new double[n];
        var sum = 0.0;
        for (var r = 0; r < n; r++)
        {
            sum += 1.0 / Math.Pow(r + 1, exponent);
            _cdf[r] = sum;
        }

        for (var r = 0; r < n; r++)
        {
            _cdf[r] /= sum;
        }
    }

    /// <summary>Probability of rank <paramref name="rank"/>.</summary>
    public double Probability(int rank) => rank == 0 ? _cdf[0] : _cdf[rank] - _cdf[rank - 1];

    public int Sample(Random random)
    {
        var u = random.NextDouble();
        var index = Array.BinarySearch(_cdf, u);
        return Math.Min(index >= 0 ? index : ~index, _cdf.Length - 1);
    }
}
