using System.ComponentModel.DataAnnotations;
using System.Runtime.InteropServices;

namespace StreamRec.Domain;

/// <summary>
/// Settings of the co-engagement source (sequence-aware item-to-item co-occurrence, after V-SKNN / STAN's
/// position decays), bound from <see cref="SectionName"/>. The defaults are the ones chosen on the MovieLens validation
/// window (docs/evaluation.md); none was tuned on its test period.
/// </summary>
public sealed class CoEngagementOptions
{
    public const string SectionName = "StreamRec:CoEngagement";

    /// <summary>How many of a user's most recent engaged items a new engagement pairs with. Default 50.</summary>
    [Range(1, 1_000)]
    public int HistorySize { get; set; } = 50;

    /// <summary>A pair's weight halves every this many positions between the two items in the user's sequence
    /// (<c>w = 2^(-(d-1)/h)</c>, d = 1 for neighbours). Default 20; 0 turns the weighting off (every pair counts 1).</summary>
    [Range(0.0, 10_000.0)]
    public double PairHalfLifePositions { get; set; } = 20;

    /// <summary>A pair's weight is multiplied by this for each of its two items the user did not engage with positively
    /// (a review rated at or below neutral; see <see cref="UserProfile.NotPositive"/>): a low rating is weaker evidence
    /// of shared taste than a high one. Default 0.8; 1 counts every engagement alike (clicks are always positive).</summary>
    [Range(0.0, 1.0)]
    public double NotPositivePairWeight { get; set; } = 0.8;

    /// <summary>The weight of a pair in the row of the later of its two items (the earlier item is a neighbour that came
    /// before), relative to its weight in the earlier item's row (the later item came after: what a list built from
    /// recent items is after). 1 is symmetric; below 1 is the sequential-rule view; 0 leaves the pairs out of the later
    /// item's row (half the item side's writes). Default 1.</summary>
    [Range(0.0, 1.0)]
    public double BackwardPairWeight { get; set; } = 1;

    /// <summary>How many of the user's most recent items a list is built from. Default 20.</summary>
    [Range(1, 1_000)]
    public int QueryItems { get; set; } = 20;

    /// <summary>A recent item's say in the list halves every this many positions back from the newest
    /// (<c>q = 2^(-p/h)</c>, p = 0 for the newest). Default 5; 0 turns the weighting off.</summary>
    [Range(0.0, 10_000.0)]
    public double QueryHalfLifePositions { get; set; } = 5;

    /// <summary>A recent item's say in the list is also divided by its engagement count to this power
    /// (<c>q = 2^(-p/h) / n(h)^e</c>): 0.5 is the plain cosine, lower lets items many users engaged with speak louder.
    /// Default 0.5 (0.3 was 1.3 % more accurate on MovieLens's validation period, within its noise, and found a sixth
    /// fewer new items).</summary>
    [Range(0.0, 2.0)]
    public double QueryCountExponent { get; set; } = 0.5;

    /// <summary>A candidate's score is divided by its own engagement count to this power (<c>/ n(j)^c</c>): 0.5 is the
    /// plain cosine, lower favours items many users engaged with, higher the rarer ones (the asymmetric cosine of
    /// Aiolli 2013 splits the exponent between the two sides the same way). Default 0.5.</summary>
    [Range(0.0, 2.0)]
    public double CandidateCountExponent { get; set; } = 0.5;

    /// <summary>A recent item the user did not engage with positively (a review rated at or below neutral) has this
    /// times the say of a liked one in the list (its neighbours are still pulled in: what a user bothered to rate says
    /// something about their taste even when the rating is low). Default 0.5; 0 leaves such items out (they still count
    /// as positions back for the recency weights), 1 counts them alike.</summary>
    [Range(0.0, 1.0)]
    public double NotPositiveQueryWeight { get; set; } = 0.5;

    /// <summary>Neighbours kept per item: past twice this many, a row keeps its strongest this many. Default 500 (at 200
    /// the pruning cost 3 % of NDCG on the validation period: specific neighbours were dropped before they grew).</summary>
    [Range(1, 100_000)]
    public int NeighbourLimit { get; set; } = 500;

    /// <summary>Buckets the item side's rows are grouped in on streamrec.engagements (the message key): one batch of user
    /// events sends at most this many messages. Every producer must use the same value; change it only with an empty
    /// topic. Default 256 (partitions of the topic beyond it would stay idle).</summary>
    [Range(1, 1_000_000)]
    public int Buckets { get; set; } = 256;

    /// <summary>How long the recommender reuses an item's row it read, in seconds: lists may miss co-engagement learned
    /// in that time, in exchange for far fewer reads. Default 30; 0 reads every time.</summary>
    [Range(0, 86_400)]
    public int ReadCacheSeconds { get; set; } = 30;

    /// <summary>Rows the item side keeps in memory between batches (it is their only writer while it owns their
    /// partition). Default 100,000.</summary>
    [Range(0, 100_000_000)]
    public int WriteCacheRows { get; set; } = 100_000;

    /// <summary>Most memory, in MB, each of the two row caches may hold (the item side's write cache and the
    /// recommender's read cache), besides <see cref="WriteCacheRows"/> rows: each row is weighed by an estimate of its
    /// heap size (<see cref="CoEngagementRow.EstimatedBytes"/>; the read cache's packed rows
    /// <see cref="PackedCoEngagementRow.EstimatedBytes"/>, 12 B per neighbour), and the least recently used go first.
    /// Default 512: about 6,500 full rows (1,000 neighbours, about 80 KB each) in the write cache, every row of a
    /// catalogue like MovieLens's (9,700 items, most rows far from full), and about 40,000 in the read cache; bounded by
    /// rows alone, 100,000 full rows would have taken about 8 GB in the write cache.</summary>
    [Range(1, 1_000_000)]
    public int CacheMegabytes { get; set; } = 512;

    /// <summary>Declare the rows on disk (<see cref="StreamRec.Ports.CollectionSpec.OnDisk"/>): the embedded store then reads
    /// a row from its file when the caches miss and keeps only its id in memory (106 B instead of 41.6 KB a row of 750
    /// neighbours); Qdrant keeps them cold. Default false: with the rows on disk, `make chaos` took longer to recover
    /// from a kill (mean 7.2 s, max 22 s, against 5.1–5.3 s and 11–12 s), as a restarted item side reads every row it
    /// touches back from the file. Takes effect at the next start, on the stored rows as well.</summary>
    public bool RowsOnDisk { get; set; }

    public CoEngagementOptions Clone() => (CoEngagementOptions)MemberwiseClone();
}

/// <summary>
/// What one engagement adds to one item's row, and where it came from: the user event at <see cref="Offset"/> of
/// <see cref="Source"/> ("topic:partition"). <see cref="Retried"/> is true when the event was applied late, from the
/// user's parking list, rather than in offset order.
/// </summary>
/// <param name="Count">1 on the engaged item's own row, 0 on its neighbours' rows.</param>
/// <param name="Pairs">The co-engaged items and their weights.</param>
public sealed record CoEngagementContribution(string Source, long Offset, bool Retried, double Count, IReadOnlyList<(string ItemId, double Weight)> Pairs)
{
    /// <summary>The contribution's identity, for the rows' duplicate checks.</summary>
    public string Id => IdOf(Source, Offset);

    /// <summary>The identity of the contribution from the event at <paramref name="offset"/> of <paramref name="source"/>.</summary>
    public static string IdOf(string source, long offset) => source + "@" + offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// What engagement taught about one item: its engagement mass (<see cref="Count"/>: the distinct users who engaged
/// with it) and the position-weighted co-engagement with other items (<see cref="Neighbours"/>), plus what makes
/// applying contributions exactly-once: per source partition the highest offset applied in order
/// (<see cref="Watermarks"/>), and the ids of the latest contributions applied late (<see cref="RetryIds"/>).
/// </summary>
public sealed class CoEngagementRow
{
    /// <summary>How many late (retried) contribution ids a row remembers. Late ones are rare: events whose item was
    /// not indexed yet; a duplicate of one can only follow a crash between its publication and its user's state write.</summary>
    public const int RetryIdWindow = 256;

    public double Count { get; set; }

    public Dictionary<string, double> Neighbours { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> Watermarks { get; } = new(StringComparer.Ordinal);

    public List<string> RetryIds { get; } = [];

    /// <summary>About how many bytes of heap the row takes when it holds its own id strings (as a row read from the store
    /// does): 80 per neighbour (a dictionary entry of about 28 B and an id of up to a dozen characters), 80 per source
    /// watermark and remembered late id, 200 for the rest. A test holds it within a quarter of what building such a row
    /// allocates. What the row caches are bounded by (<see cref="CoEngagementOptions.CacheMegabytes"/>).</summary>
    public long EstimatedBytes => 200 + (80L * Neighbours.Count) + (80L * (Watermarks.Count + RetryIds.Count));

    /// <summary>
    /// Applies <paramref name="contribution"/> unless it was applied before: an in-order one at or below its source's
    /// watermark, a late one whose id is remembered. Returns whether it was applied.
    /// </summary>
    public bool Apply(CoEngagementContribution contribution, int neighbourLimit) =>
        contribution.Pairs switch
        {
            (string, double)[] array => Apply(contribution.Source, contribution.Offset, contribution.Retried, contribution.Count, array, neighbourLimit),
            List<(string, double)> list => Apply(contribution.Source, contribution.Offset, contribution.Retried, contribution.Count, CollectionsMarshal.AsSpan(list), neighbourLimit),
            var pairs => Apply(contribution.Source, contribution.Offset, contribution.Retried, contribution.Count, pairs.ToArray(), neighbourLimit),
        };

    /// <summary>
    /// <see cref="Apply(CoEngagementContribution, int)"/> for a contribution given by its parts: <paramref name="count"/>
    /// and <paramref name="pairs"/> from the user event at <paramref name="offset"/> of <paramref name="source"/>.
    /// </summary>
    public bool Apply(string source, long offset, bool retried, double count, ReadOnlySpan<(string ItemId, double Weight)> pairs, int neighbourLimit)
    {
        if (retried)
        {
            var id = CoEngagementContribution.IdOf(source, offset);
            if (RetryIds.Contains(id, StringComparer.Ordinal))
            {
                return false;
            }

            RetryIds.Add(id);
            if (RetryIds.Count > RetryIdWindow)
            {
                RetryIds.RemoveRange(0, RetryIds.Count - RetryIdWindow);
            }
        }
        else
        {
            ref var applied = ref CollectionsMarshal.GetValueRefOrAddDefault(Watermarks, source, out var seen);
            if (seen && offset <= applied)
            {
                return false;
            }

            applied = offset;
        }

        Count += count;
        foreach (var (item, weight) in pairs)
        {
            Add(item, weight, neighbourLimit);
        }

        return true;
    }

    /// <summary>Adds <paramref name="weight"/> to the pair with <paramref name="other"/>, keeping the strongest
    /// <paramref name="limit"/> once the row holds twice that many (ties by id, so replays prune alike).</summary>
    public void Add(string other, double weight, int limit)
    {
        CollectionsMarshal.GetValueRefOrAddDefault(Neighbours, other, out _) += weight;
        if (Neighbours.Count > 2 * limit)
        {
            var keep = Neighbours.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(limit).ToArray();
            Neighbours.Clear();
            foreach (var (id, w) in keep)
            {
                Neighbours[id] = w;
            }
        }
    }
}

/// <summary>
/// The pure math of the co-engagement source. When a user engages with an item for the first time, it pairs with each
/// of the user's last <see cref="CoEngagementOptions.HistorySize"/> items, weighted by their distance in the sequence;
/// a list scores item j as <c>Σ_h q(h)·W(h, j) / (n(h)^e · n(j)^c)</c> over the user's recent items h, q decaying by
/// position and lower for items the user did not like (e = c = 0.5 is the cosine). A pair weighs the same in the earlier item's row as in the later one's (a symmetric similarity) unless <see cref="CoEngagementOptions.BackwardPairWeight"/> is below 1.
/// </summary>
public static class CoEngagement
{
    /// <summary>
    /// Every pair weight a contribution carries is a multiple of 2^-24 (<see cref="OnGrid"/>). A row sums contributions
    /// from many users, in the order they reach its partition of streamrec.engagements, and that order changes between
    /// runs and after a crash (the profile-updater's batches interleave its partitions differently). Doubles on one grid
    /// add exactly while the sum stays below 2^29 (53 bits of mantissa less 24), so the sum does not depend on the order:
    /// rows are the same bit for bit, not merely to the last few bits. A weight moves by at most 3·10^-8.
    /// </summary>
    public const double WeightGrid = 1.0 / (1 << 24);

    /// <summary><paramref name="weight"/> rounded to the nearest multiple of <see cref="WeightGrid"/>.</summary>
    public static double OnGrid(double weight) => Math.Round(weight * (1 << 24)) * WeightGrid;

    /// <summary>True when <paramref name="item"/> is among the user's last <see cref="CoEngagementOptions.HistorySize"/>
    /// items: a repeat is not new evidence, and adds nothing to any row.</summary>
    public static bool IsRepeat(IReadOnlyList<string> history, string item, CoEngagementOptions options)
    {
        for (var i = Math.Max(0, history.Count - options.HistorySize); i < history.Count; i++)
        {
            if (string.Equals(history[i], item, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The pairs a new engagement with <paramref name="item"/> adds, given the user's sequence before it
    /// (oldest first). Empty when the item is already in the sequence: a repeat is not new evidence.
    /// <paramref name="notPositive"/> holds the items (the new one included) the user's latest engagement with was not
    /// positive; their pairs weigh <see cref="CoEngagementOptions.NotPositivePairWeight"/> times less per such item.</summary>
    public static IReadOnlyList<(string Other, double Weight)> Pairs(
        IReadOnlyList<string> history, string item, CoEngagementOptions options, IReadOnlySet<string>? notPositive = null)
    {
        if (IsRepeat(history, item, options))
        {
            return [];
        }

        var first = Math.Max(0, history.Count - options.HistorySize);
        var pairs = new List<(string, double)>(history.Count - first);
        var itemFactor = RatingFactor(notPositive, item, options);
        for (var i = history.Count - 1; i >= first; i--)
        {
            var distance = history.Count - i;
            pairs.Add((history[i], OnGrid(itemFactor * RatingFactor(notPositive, history[i], options) * Decay(distance - 1, options.PairHalfLifePositions))));
        }

        return pairs;
    }

    /// <summary>
    /// The contributions one new engagement with <paramref name="item"/> makes, one per row it touches: the item's own
    /// (count 1, every pair, times <see cref="CoEngagementOptions.BackwardPairWeight"/>) and each co-engaged item's
    /// (count 0, the pair forward). Empty for a repeat.
    /// </summary>
    public static IReadOnlyList<(string RowId, CoEngagementContribution Contribution)> Contributions(
        IReadOnlyList<string> history, string item, string source, long offset, bool retried, CoEngagementOptions options,
        IReadOnlySet<string>? notPositive = null)
    {
        if (IsRepeat(history, item, options))
        {
            return [];
        }

        var pairs = Pairs(history, item, options, notPositive);

        var backward = BackwardPairs(pairs, options);
        var result = new List<(string, CoEngagementContribution)>(pairs.Count + 1)
        {
            (item, new CoEngagementContribution(source, offset, retried, 1, backward)),
        };
        foreach (var (other, weight) in pairs)
        {
            result.Add((other, new CoEngagementContribution(source, offset, retried, 0, [(item, weight)])));
        }

        return result;
    }

    /// <summary>Applies <paramref name="pairs"/> of a new engagement with <paramref name="item"/> to the rows (both directions:
    /// the item's own row with the pairs times <see cref="CoEngagementOptions.BackwardPairWeight"/>).</summary>
    public static void Apply(IDictionary<string, CoEngagementRow> rows, string item, IReadOnlyList<(string Other, double Weight)> pairs, CoEngagementOptions options)
    {
        var row = RowOf(rows, item);
        row.Count++;
        foreach (var (other, weight) in BackwardPairs(pairs, options))
        {
            row.Add(other, weight, options.NeighbourLimit);
        }

        foreach (var (other, weight) in pairs)
        {
            RowOf(rows, other).Add(item, weight, options.NeighbourLimit);
        }
    }

    /// <summary>The pairs as the engaged item's own row receives them: times <see cref="CoEngagementOptions.BackwardPairWeight"/>,
    /// none at all when it is 0 (the row then only counts the engagement).</summary>
    public static IReadOnlyList<(string Other, double Weight)> BackwardPairs(IReadOnlyList<(string Other, double Weight)> pairs, CoEngagementOptions options) =>
        options.BackwardPairWeight switch
        {
            1 => pairs,
            0 => [],
            var b => [.. pairs.Select(p => (p.Other, OnGrid(p.Weight * b)))],
        };

    /// <summary>
    /// Co-engagement scores of every item reachable from the user's recent items (oldest first), best first, without
    /// <paramref name="exclude"/>. <paramref name="rowOf"/> gives an item's row (null when it has none);
    /// <paramref name="notPositive"/> the recent items the user did not like (<see cref="CoEngagementOptions.NotPositiveQueryWeight"/>).
    /// </summary>
    public static IReadOnlyList<(string ItemId, double Score)> Score(
        IReadOnlyList<string> recent, Func<string, CoEngagementRow?> rowOf, CoEngagementOptions options, IReadOnlySet<string>? exclude, int limit,
        IReadOnlySet<string>? notPositive = null) =>
        Normalise(PartialScores(recent, rowOf, options, notPositive), rowOf, options, exclude, limit);

    /// <summary>The weight of the recent item at <paramref name="i"/> (of count <paramref name="count"/>) in a list's query:
    /// decayed by its position from the newest, lower when the user did not like it, divided by its count to the
    /// exponent. False when it weighs nothing (<see cref="CoEngagementOptions.NotPositiveQueryWeight"/> 0).</summary>
    private static bool TryQueryWeight(IReadOnlyList<string> recent, int i, double count, CoEngagementOptions options, IReadOnlySet<string>? notPositive, out double q)
    {
        var liking = notPositive?.Contains(recent[i]) == true ? options.NotPositiveQueryWeight : 1;
        q = liking <= 0 ? 0 : liking * Decay(recent.Count - 1 - i, options.QueryHalfLifePositions) / Math.Pow(count, options.QueryCountExponent);
        return liking > 0;
    }

    /// <summary>
    /// The first half of <see cref="Score"/>: for every item reachable from the recent items' rows, the sum over those
    /// rows of the query weight times the pair's weight, not yet divided by the item's own count, nothing excluded.
    /// One dictionary update per neighbour: a list reads up to <see cref="CoEngagementOptions.QueryItems"/> rows of up
    /// to twice <see cref="CoEngagementOptions.NeighbourLimit"/> neighbours each.
    /// </summary>
    /// <param name="into">Where to add the sums (a caller scoring many lists passes an emptied dictionary it keeps, so a
    /// list of tens of thousands of neighbours does not grow a new one each time); a new one when null.</param>
    public static Dictionary<string, double> PartialScores(
        IReadOnlyList<string> recent, Func<string, CoEngagementRow?> rowOf, CoEngagementOptions options, IReadOnlySet<string>? notPositive = null,
        Dictionary<string, double>? into = null)
    {
        var scores = into ?? new Dictionary<string, double>(StringComparer.Ordinal);
        var first = Math.Max(0, recent.Count - options.QueryItems);
        for (var i = recent.Count - 1; i >= first; i--)
        {
            if (rowOf(recent[i]) is not { Count: > 0 } source || !TryQueryWeight(recent, i, source.Count, options, notPositive, out var q))
            {
                continue;
            }

            foreach (var (item, weight) in source.Neighbours)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(scores, item, out _) += q * weight;
            }
        }

        return scores;
    }

    /// <summary>
    /// The second half of <see cref="Score"/>: each partial score divided by its item's count to the
    /// <see cref="CoEngagementOptions.CandidateCountExponent"/> (items without a row, or with a count of 0, dropped),
    /// best first (equal scores by id), the first <paramref name="limit"/>, without <paramref name="exclude"/>.
    /// </summary>
    public static IReadOnlyList<(string ItemId, double Score)> Normalise(
        Dictionary<string, double> partial, Func<string, CoEngagementRow?> rowOf, CoEngagementOptions options, IReadOnlySet<string>? exclude, int limit)
    {
        var best = new TopScores(limit);
        foreach (var (item, sum) in partial)
        {
            Offer(best, item, sum, rowOf, options, exclude);
        }

        return best.ToSortedList();
    }

    /// <summary>
    /// <see cref="PartialScores(IReadOnlyList{string}, Func{string, CoEngagementRow?}, CoEngagementOptions, IReadOnlySet{string}?, Dictionary{string, double}?)"/>
    /// over packed rows into <paramref name="into"/> (numbers of <paramref name="ids"/>): the same sums, each added to in
    /// the same order, so bit for bit the same; an array write per neighbour instead of a string-keyed dictionary update
    /// (BenchmarkDotNet, ItemSideBenchmarks.Score).
    /// </summary>
    public static void PartialScores(
        IReadOnlyList<string> recent, Func<string, PackedCoEngagementRow?> rowOf, ItemIdTable ids, CoEngagementOptions options, IReadOnlySet<string>? notPositive,
        CoEngagementSums into)
    {
        into.EnsureCapacity(ids.Count);
        var first = Math.Max(0, recent.Count - options.QueryItems);
        for (var i = recent.Count - 1; i >= first; i--)
        {
            if (rowOf(recent[i]) is not { Count: > 0 } source || !TryQueryWeight(recent, i, source.Count, options, notPositive, out var q))
            {
                continue;
            }

            var neighbours = source.Neighbours;
            var weights = source.Weights;
            for (var k = 0; k < neighbours.Length; k++)
            {
                into.Add(neighbours[k], q * weights[k]);
            }
        }
    }

    /// <summary>
    /// The candidate pool a list ranks before it has read the candidates' counts: the ids <see cref="Normalise(Dictionary{string, double}, Func{string, CoEngagementRow?}, CoEngagementOptions, IReadOnlySet{string}?, int)"/>
    /// would keep if only <paramref name="rows"/> had rows and every other item counted 1 (a sum is then its own score),
    /// over packed rows and sums by number; in no particular order (only which ids are kept matters), and without the
    /// items of <paramref name="rows"/>, which compete for the places but whose rows the caller holds. An item whose
    /// sum would not enter the kept best is passed over before anything is looked up for it: a list's partial sums hold
    /// tens of thousands of items.
    /// </summary>
    public static List<string> CandidatePool(
        CoEngagementSums partial, ItemIdTable ids, IReadOnlyDictionary<string, PackedCoEngagementRow> rows, CoEngagementOptions options,
        IReadOnlySet<string>? exclude, int limit)
    {
        // Kept by number, not by id: most of the tens of thousands of offers are turned away by one comparison of
        // scores, and a kept one is compared by id only on a tie.
        var best = new BoundedHeap<(int Number, double Score), ByScoreThenNumberedId>(limit, new ByScoreThenNumberedId(ids));
        Span<int> own = rows.Count <= 64 ? stackalloc int[rows.Count] : new int[rows.Count];
        var o = 0;
        foreach (var row in rows.Values)
        {
            own[o++] = row.Item;
        }

        // The offers' order does not change what is kept (the order is total), so the items with rows, whose score is
        // not their sum, are offered after the loop.
        foreach (var number in partial.Touched)
        {
            partial.TryGet(number, out var sum);
            if (best.WouldAccept((number, sum)) && !own.Contains(number) && exclude?.Contains(ids.IdOf(number)) != true)
            {
                best.Offer((number, sum));
            }
        }

        foreach (var (item, row) in rows)
        {
            if (partial.TryGet(row.Item, out var sum) && exclude?.Contains(item) != true && row.Count > 0)
            {
                best.Offer((row.Item, Normalised(sum, row.Count, options)));
            }
        }

        var pool = new List<string>(best.Count);
        foreach (var (number, _) in best.Kept)
        {
            if (!own.Contains(number))
            {
                pool.Add(ids.IdOf(number));
            }
        }

        return pool;
    }

    /// <summary>
    /// <see cref="Normalise(Dictionary{string, double}, Func{string, CoEngagementRow?}, CoEngagementOptions, IReadOnlySet{string}?, int)"/>
    /// over packed rows and sums by number, among the items of <paramref name="rows"/> only (every other item would be
    /// dropped anyway, having no row): those with a partial sum, each divided by its count.
    /// </summary>
    public static IReadOnlyList<(string ItemId, double Score)> Normalise(
        IReadOnlyDictionary<string, PackedCoEngagementRow> rows, CoEngagementSums partial, CoEngagementOptions options, IReadOnlySet<string>? exclude, int limit)
    {
        var best = new TopScores(limit);
        foreach (var (item, row) in rows)
        {
            if (partial.TryGet(row.Item, out var sum) && exclude?.Contains(item) != true)
            {
                Offer(best, item, sum, row.Count, options);
            }
        }

        return best.ToSortedList();
    }

    private static void Offer(TopScores best, string item, double sum, Func<string, CoEngagementRow?> rowOf, CoEngagementOptions options, IReadOnlySet<string>? exclude)
    {
        if (exclude?.Contains(item) != true)
        {
            Offer(best, item, sum, rowOf(item)?.Count ?? 0, options);
        }
    }

    /// <summary>Offers <paramref name="item"/> at its sum divided by its count <paramref name="n"/> to the exponent;
    /// nothing when the count is not positive.</summary>
    private static void Offer(TopScores best, string item, double sum, double n, CoEngagementOptions options)
    {
        if (n > 0)
        {
            best.Offer(item, Normalised(sum, n, options));
        }
    }

    /// <summary><paramref name="sum"/> divided by the count <paramref name="n"/> (positive) to the exponent.</summary>
    private static double Normalised(double sum, double n, CoEngagementOptions options) =>
        sum / (options.CandidateCountExponent == 0.5 ? Math.Sqrt(n) : Math.Pow(n, options.CandidateCountExponent));

    /// <summary>
    /// The best <c>limit</c> (id, score) pairs offered (<see cref="BoundedHeap{TEntry, TOrder}"/> by score, then id): the
    /// order is total (ids are distinct), so the answer is the one a full sort would give.
    /// </summary>
    private sealed class TopScores(int limit)
    {
        private readonly BoundedHeap<(string Id, double Score), ByScoreThenId> _heap = new(limit, default);

        public void Offer(string id, double score) => _heap.Offer((id, score));

        /// <summary>What was kept, best first (equal scores by id).</summary>
        public List<(string ItemId, double Score)> ToSortedList()
        {
            var result = new List<(string, double)>(_heap.Count);
            result.AddRange(_heap.Kept);
            result.Sort(static (a, b) => ByScoreThenId.BestFirst(a, b));
            return result;
        }
    }

    /// <summary>The lists' order: higher score first, equal scores by id.</summary>
    private readonly struct ByScoreThenId : IWorse<(string Id, double Score)>
    {
        public static int BestFirst((string Id, double Score) a, (string Id, double Score) b) =>
            b.Score.CompareTo(a.Score) is var c && c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);

        public bool Worse((string Id, double Score) a, (string Id, double Score) b) => BestFirst(a, b) > 0;
    }

    /// <summary>The same order over item numbers of an <see cref="ItemIdTable"/>: ids are looked up only on a tied score.</summary>
    private readonly struct ByScoreThenNumberedId(ItemIdTable ids) : IWorse<(int Number, double Score)>
    {
        public bool Worse((int Number, double Score) a, (int Number, double Score) b) =>
            b.Score.CompareTo(a.Score) is var c && c != 0 ? c > 0 : string.CompareOrdinal(ids.IdOf(a.Number), ids.IdOf(b.Number)) > 0;
    }

    private interface IWorse<in TEntry>
    {
        /// <summary>True when <paramref name="a"/> ranks below <paramref name="b"/>.</summary>
        bool Worse(TEntry a, TEntry b);
    }

    /// <summary>
    /// The best <c>limit</c> entries offered, in a heap whose root is the worst kept: a list's neighbours number tens of
    /// thousands and it keeps a few hundred, so most offers cost one comparison and nothing is sorted but what is kept.
    /// The order is a struct, so its comparison is inlined.
    /// </summary>
    private sealed class BoundedHeap<TEntry, TOrder>(int limit, TOrder order)
        where TOrder : struct, IWorse<TEntry>
    {
        private readonly int _limit = Math.Max(0, limit);
        private TEntry[] _heap = new TEntry[Math.Clamp(limit, 0, 1024)];
        private int _count;

        public int Count => _count;

        /// <summary>The entries kept, in no particular order.</summary>
        public ReadOnlySpan<TEntry> Kept => _heap.AsSpan(0, _count);

        public bool WouldAccept(TEntry entry) => _count < _limit || (_count > 0 && order.Worse(_heap[0], entry));

        public void Offer(TEntry entry)
        {
            if (_count < _limit)
            {
                if (_count == _heap.Length)
                {
                    Array.Resize(ref _heap, (int)Math.Min(_limit, 2L * _heap.Length));
                }

                var i = _count++;
                while (i > 0)
                {
                    var parent = (i - 1) / 2;
                    if (!order.Worse(entry, _heap[parent]))
                    {
                        break;
                    }

                    _heap[i] = _heap[parent];
                    i = parent;
                }

                _heap[i] = entry;
            }
            else if (_count > 0 && order.Worse(_heap[0], entry))
            {
                var i = 0;
                while (true)
                {
                    var child = 2 * i + 1;
                    if (child >= _count)
                    {
                        break;
                    }

                    if (child + 1 < _count && order.Worse(_heap[child + 1], _heap[child]))
                    {
                        child++;
                    }

                    if (!order.Worse(_heap[child], entry))
                    {
                        break;
                    }

                    _heap[i] = _heap[child];
                    i = child;
                }

                _heap[i] = entry;
            }
        }
    }

    /// <summary>The row of <paramref name="item"/> in <paramref name="rows"/>, added empty when it has none.</summary>
    public static CoEngagementRow RowOf(IDictionary<string, CoEngagementRow> rows, string item)
    {
        if (!rows.TryGetValue(item, out var row))
        {
            rows[item] = row = new CoEngagementRow();
        }

        return row;
    }

    private static double RatingFactor(IReadOnlySet<string>? notPositive, string item, CoEngagementOptions options) =>
        notPositive?.Contains(item) == true ? options.NotPositivePairWeight : 1;

    /// <summary><c>2^(-steps/halfLife)</c>; 1 when the half-life is 0 (weighting off).</summary>
    private static double Decay(int steps, double halfLife) => halfLife <= 0 ? 1 : Math.Pow(2, -steps / halfLife);
}
