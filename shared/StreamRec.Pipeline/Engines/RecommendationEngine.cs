using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Observability;
using StreamRec.Ports;

namespace StreamRec.Pipeline.Engines;

/// <summary>A computed list before it is wrapped in a <see cref="RecommendationList"/>.</summary>
/// <param name="Strategy"><c>personalized</c>, <c>trending</c> or <c>forgotten</c>.</param>
/// <param name="Items">The ranked items (empty when forgotten or nothing is indexed).</param>
public sealed record RecommendationResult(string Strategy, IReadOnlyList<RankedItem> Items)
{
    public const string Personalized = "personalized";
    public const string Trending = "trending";
    public const string ForgottenStrategy = "forgotten";
}

/// <summary>
/// Turns a user profile into a ranked list: candidates from three sources — the K nearest items to the user's text
/// query, the items co-engaged with the user's recent items (when an <see cref="ICoEngagementSource"/> is given), and
/// the trending items — none seen or retired; re-ranked with text similarity, co-engagement, freshness and trend;
/// N selected by MMR. Users with no direction yet get the trending list. Kafka-free: the recommender's handler and
/// the offline evaluation share it.
/// </summary>
public sealed class RecommendationEngine
{
    private static readonly VectorFilter NotRetired = new() { MustNot = [MatchCondition.Of(ItemFields.Retired, true)] };

    private readonly IVectorStore _store;
    private readonly TrendingCounter _trending;
    private readonly RankingOptions _ranking;
    private readonly ProfileOptions _profile;
    private readonly TimeProvider _time;
    private readonly ICoEngagementSource? _coEngagement;
    private readonly ItemFactsCache? _facts;

    public RecommendationEngine(
        IVectorStore store, TrendingCounter trending, RankingOptions ranking, ProfileOptions profile, TimeProvider time, ICoEngagementSource? coEngagement = null)
    {
        _store = store;
        _trending = trending;
        _ranking = ranking;
        _profile = profile;
        _time = time;
        _coEngagement = coEngagement;
        _facts = ranking.ItemFactsCacheSeconds > 0 ? new ItemFactsCache(TimeSpan.FromSeconds(ranking.ItemFactsCacheSeconds)) : null;
    }

    public RankingOptions Ranking => _ranking;

    public TrendingCounter Trending => _trending;

    /// <summary>Reads the stored profiles of <paramref name="userIds"/>, for reading only (without their engagement
    /// outbox); unknown users are absent from the result.</summary>
    public Task<Dictionary<string, UserProfile>> LoadProfilesAsync(IReadOnlyCollection<string> userIds, CancellationToken cancellationToken) =>
        ProfileCodec.ReadAsync(_store, userIds, cancellationToken, withOutbox: false);

    /// <summary>Lists for several users in one batched vector-store round trip. <paramref name="now"/> is the event time
    /// the lists are for (the triggering event's time), which drives freshness and trending.</summary>
    public async Task<IReadOnlyList<RecommendationResult>> RecommendAsync(IReadOnlyList<UserProfile?> profiles, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var results = new RecommendationResult?[profiles.Count];
        var queries = new List<VectorQuery>();
        var queryOwners = new List<int>();
        var queryVectors = new List<(float[] Short, float[] Long)>();
        for (var i = 0; i < profiles.Count; i++)
        {
            var p = profiles[i];
            if (p is { Forgotten: true })
            {
                results[i] = new RecommendationResult(RecommendationResult.ForgottenStrategy, []);
                continue;
            }

            var q = p?.QueryVector(_profile.ShortTermWeight);
            if (p is null || q is null)
            {
                continue; // trending, below
            }

            var filter = p.RecentItems.Count == 0 ? NotRetired : NotRetired with { ExcludeIds = p.RecentItems.ToHashSet(StringComparer.Ordinal) };
            // With the facts cache the hits come without payloads: their facts are the cache's (read from the store for
            // the hits it lacks), not projected from each hit's payload for every list.
            queries.Add(new VectorQuery(q, Collections.ItemVector, _ranking.Candidates, filter, WithVectors: true, WithPayload: _facts is null, PayloadFields: CandidateFields));
            queryOwners.Add(i);
            queryVectors.Add((VectorMath.Normalized(p.ShortTerm), VectorMath.Normalized(p.LongTerm)));
        }

        if (queries.Count > 0)
        {
            var started = _time.GetTimestamp();
            var answers = await _store.QueryBatchAsync(Collections.Items, queries, cancellationToken);
            var extra = await OtherSourcesAsync(profiles, queryOwners, answers, now, cancellationToken);
            var facts = await FactsAsync(answers, cancellationToken);
            StreamRecMetrics.StageDuration.WithLabels("retrieve").Observe(_time.GetElapsedTime(started).TotalSeconds);
            started = _time.GetTimestamp();
            for (var j = 0; j < answers.Count; j++)
            {
                var (shortTerm, longTerm) = queryVectors[j];
                var query = queries[j].Vector;
                var (coScores, additional) = extra[j];
                var candidates = new List<Candidate>(answers[j].Count + additional.Count);
                var titles = new List<TitleOf>(candidates.Capacity); // titles[i] is candidates[i]'s
                for (var k = 0; k < answers[j].Count; k++)
                {
                    var point = answers[j][k];
                    var (publishedAt, title) = point.Payload is { } payload ? (PublishedAt(payload), new TitleOf(payload, null)) : Facts(facts?[j][k]);
                    if (ToCandidate(point, point.Score, publishedAt, now, shortTerm, longTerm, coScores, CandidateSources.Text) is { } c)
                    {
                        candidates.Add(c);
                        titles.Add(title);
                    }
                }

                foreach (var (point, sources) in additional)
                {
                    var similarity = point.Vectors is { } v && v.TryGetValue(Collections.ItemVector, out var vector) ? VectorMath.Dot(query, vector) : 0;
                    if (ToCandidate(point, similarity, PublishedAt(point.Payload), now, shortTerm, longTerm, coScores, sources) is { } c)
                    {
                        candidates.Add(c);
                        titles.Add(new TitleOf(point.Payload, null));
                    }
                }

                results[queryOwners[j]] = new RecommendationResult(RecommendationResult.Personalized, WithTitles(Ranker.Rank(candidates, now, _ranking), candidates, titles));
            }

            StreamRecMetrics.StageDuration.WithLabels("rank").Observe(_time.GetElapsedTime(started).TotalSeconds);
        }

        for (var i = 0; i < results.Length; i++)
        {
            results[i] ??= await TrendingAsync(profiles[i], now, cancellationToken);
        }

        return results!;
    }

    /// <summary>The trending list: the most clicked items lately (time-decayed), minus what the user saw and retired items.</summary>
    public async Task<RecommendationResult> TrendingAsync(UserProfile? profile, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var seen = profile?.RecentItems.ToHashSet(StringComparer.Ordinal);
        // Over-fetch: some of the top ids may be retired or gone from the store.
        var top = _trending.Top(_ranking.ListSize * 2 + 8, now, seen);
        if (top.Count == 0)
        {
            return new RecommendationResult(RecommendationResult.Trending, []);
        }

        var points = await _store.GetAsync(Collections.Items, top.Select(t => t.ItemId).ToArray(), withVectors: true, FetchedFields, cancellationToken);
        var byId = points.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var items = new List<RankedItem>(_ranking.ListSize);
        foreach (var (id, score) in top)
        {
            if (items.Count == _ranking.ListSize)
            {
                break;
            }

            if (!byId.TryGetValue(id, out var point) || IsRetired(point.Payload) || !point.Vectors.TryGetValue(Collections.ItemVector, out var vector))
            {
                continue;
            }

            var candidate = new Candidate(id, vector, 0, PublishedAt(point.Payload), score, Title: Title(point.Payload));
            items.Add(new RankedItem(candidate, score, items.Count + 1, [Ranker.ReasonTrending]));
        }

        return new RecommendationResult(RecommendationResult.Trending, items);
    }

    /// <summary>
    /// For each text query j: the co-engagement scores of its user, and the candidates the co-engagement and trending
    /// sources add beyond the text-nearest ones (read from the store in one batch for all users; retired ones dropped).
    /// </summary>
    private async Task<List<(Dictionary<string, double> CoScores, List<(ScoredPoint Point, CandidateSources Sources)> Additional)>> OtherSourcesAsync(
        IReadOnlyList<UserProfile?> profiles, List<int> queryOwners, IReadOnlyList<IReadOnlyList<ScoredPoint>> answers, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var perQuery = new List<(Dictionary<string, double>, Dictionary<string, CandidateSources>)>(answers.Count);
        var toFetch = new HashSet<string>(StringComparer.Ordinal);
        var trending = _ranking.TrendingCandidates > 0 ? _trending.Top(_ranking.TrendingCandidates + 50, now) : [];
        for (var j = 0; j < answers.Count; j++)
        {
            var profile = profiles[queryOwners[j]]!;
            var seen = profile.RecentItems.ToHashSet(StringComparer.Ordinal);
            var fromText = answers[j].Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
            var coScores = new Dictionary<string, double>(StringComparer.Ordinal);
            var additional = new Dictionary<string, CandidateSources>(StringComparer.Ordinal);
            if (_coEngagement is not null && _ranking.CoEngagementWeight > 0 && _ranking.CoEngagementCandidates > 0 && profile.RecentItems.Count > 0)
            {
                var notPositive = profile.NotPositive.Count == 0 ? null : profile.NotPositive.ToHashSet(StringComparer.Ordinal);
                foreach (var (item, score) in await _coEngagement.ScoreAsync(profile.RecentItems, seen, _ranking.CoEngagementCandidates, notPositive, cancellationToken))
                {
                    coScores[item] = score;
                    if (!fromText.Contains(item))
                    {
                        additional[item] = CandidateSources.CoEngagement;
                    }
                }
            }

            var taken = 0;
            foreach (var (item, _) in trending)
            {
                if (taken == _ranking.TrendingCandidates)
                {
                    break;
                }

                if (seen.Contains(item))
                {
                    continue;
                }

                taken++;
                if (!fromText.Contains(item))
                {
                    additional[item] = additional.GetValueOrDefault(item) | CandidateSources.Trending;
                }
            }

            toFetch.UnionWith(additional.Keys);
            perQuery.Add((coScores, additional));
        }

        var points = toFetch.Count == 0
            ? new Dictionary<string, VectorPoint>(StringComparer.Ordinal)
            : (await _store.GetAsync(Collections.Items, toFetch.ToArray(), withVectors: true, FetchedFields, cancellationToken))
                .Where(p => !IsRetired(p.Payload))
                .ToDictionary(p => p.Id, StringComparer.Ordinal);
        return perQuery.Select(q => (q.Item1, q.Item2
                .Where(kv => points.ContainsKey(kv.Key))
                .Select(kv => (new ScoredPoint(kv.Key, 0, points[kv.Key].Vectors, points[kv.Key].Payload), kv.Value))
                .ToList()))
            .ToList();
    }

    private Candidate? ToCandidate(
        ScoredPoint point, double similarity, DateTimeOffset? publishedAt, DateTimeOffset now, float[] shortTerm, float[] longTerm, Dictionary<string, double> coScores,
        CandidateSources sources)
    {
        if (point.Vectors is null || !point.Vectors.TryGetValue(Collections.ItemVector, out var vector))
        {
            return null;
        }

        var co = coScores.GetValueOrDefault(point.Id);
        return new Candidate(
            point.Id,
            vector,
            similarity,
            publishedAt,
            _trending.Score(point.Id, now),
            VectorMath.Dot(shortTerm, vector),
            VectorMath.Dot(longTerm, vector),
            Title: null, // read for the listed items only (WithTitles): the ranker does not look at it
            co,
            co > 0 ? sources | CandidateSources.CoEngagement : sources);
    }

    /// <summary>The ranked items with their titles, read from the payloads of the candidates they are (a list's ten
    /// titles instead of its four hundred candidates').</summary>
    private static IReadOnlyList<RankedItem> WithTitles(IReadOnlyList<RankedItem> ranked, List<Candidate> candidates, List<TitleOf> titles)
    {
        var titled = new RankedItem[ranked.Count];
        for (var r = 0; r < ranked.Count; r++)
        {
            var index = candidates.FindIndex(c => ReferenceEquals(c, ranked[r].Candidate));
            titled[r] = index < 0 ? ranked[r] : ranked[r] with { Candidate = ranked[r].Candidate with { Title = titles[index].Read() } };
        }

        return titled;
    }

    /// <summary>A candidate's title: known already (from the facts cache), or to be read from its payload when listed.</summary>
    private readonly record struct TitleOf(JsonObject? Payload, string? Known)
    {
        public string? Read() => Known ?? Title(Payload);
    }

    /// <summary>The facts of every hit of <paramref name="answers"/> that came without a payload (all of them with the
    /// facts cache, none without it), by answer and hit: from the cache while younger than its age, the rest read from
    /// the store in one batch and cached. A hit the store no longer has gets none (its candidate then has no title or
    /// publication time).</summary>
    private async Task<ItemFacts?[][]?> FactsAsync(IReadOnlyList<IReadOnlyList<ScoredPoint>> answers, CancellationToken cancellationToken)
    {
        if (_facts is null)
        {
            return null;
        }

        // Aged by the clock, not by the lists' time (a trigger's event time, which a replay may take backwards).
        var now = _time.GetUtcNow();
        var facts = new ItemFacts?[answers.Count][];
        HashSet<string>? missing = null;
        for (var j = 0; j < answers.Count; j++)
        {
            var answer = answers[j];
            facts[j] = new ItemFacts?[answer.Count];
            for (var k = 0; k < answer.Count; k++)
            {
                if (answer[k].Payload is null && !_facts.TryGet(answer[k].Id, now, out facts[j][k]))
                {
                    (missing ??= new HashSet<string>(StringComparer.Ordinal)).Add(answer[k].Id);
                }
            }
        }

        if (missing is not null)
        {
            var read = await _store.GetAsync(Collections.Items, [.. missing], withVectors: false, CandidateFields, cancellationToken);
            var fresh = read.ToDictionary(p => p.Id, p => new ItemFacts(PublishedAt(p.Payload), Title(p.Payload)), StringComparer.Ordinal);
            _facts.Set(fresh, now);
            for (var j = 0; j < answers.Count; j++)
            {
                for (var k = 0; k < answers[j].Count; k++)
                {
                    facts[j][k] ??= fresh.GetValueOrDefault(answers[j][k].Id);
                }
            }
        }

        return facts;
    }

    private static (DateTimeOffset? PublishedAt, TitleOf Title) Facts(ItemFacts? facts) =>
        facts is { } known ? (known.PublishedAt, new TitleOf(null, known.Title)) : (null, new TitleOf(null, null));

    /// <summary>What a text candidate's payload is read for: its publication time (<see cref="ToCandidate"/>) and, for
    /// the listed items only, its title (<see cref="WithTitles"/>). The rest of an item's payload (text, tags,
    /// version...) is not built for the two hundred candidates of a list.</summary>
    private static readonly string[] CandidateFields = [ItemFields.Title, ItemFields.PublishedAt];

    /// <summary>What is read of a candidate fetched by id (from the co-engagement and trending sources): as
    /// <see cref="CandidateFields"/>, and whether it is retired (a query filters that out; a read by id does not). From
    /// Qdrant the rest of each payload (the item's text among it) no longer crosses the network for the two hundred
    /// co-engaged candidates of a list; in the embedded store the steady bench showed no change (its payloads are read
    /// lazily).</summary>
    private static readonly string[] FetchedFields = [ItemFields.Title, ItemFields.PublishedAt, ItemFields.Retired];

    private static bool IsRetired(JsonObject? payload) =>
        payload?[ItemFields.Retired] is JsonValue v && v.TryGetValue<bool>(out var retired) && retired;

    private static string? Title(JsonObject? payload) =>
        payload?[ItemFields.Title] is JsonValue v && v.TryGetValue<string>(out var title) ? title : null;

    private static DateTimeOffset? PublishedAt(JsonObject? payload) =>
        payload?[ItemFields.PublishedAt] is JsonValue v && v.TryGetValue<double>(out var seconds)
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000))
            : null;

    /// <summary>Wraps a result as the message downstream apps receive.</summary>
    public static RecommendationList ToMessage(string userId, RecommendationResult result, TriggerRef trigger, DateTimeOffset generatedAt) => new()
    {
        // Deterministic, so a list recomputed after a crash carries the same id as the first one.
        EventId = "rec-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId + "\n" + trigger.EventId)).AsSpan(0, 12)),
        UserId = userId,
        GeneratedAt = generatedAt,
        Strategy = result.Strategy,
        Trigger = trigger,
        Items = result.Items.Select(r => new RecommendedItem
        {
            ItemId = r.Candidate.ItemId,
            Title = r.Candidate.Title,
            Score = Math.Round(r.Score, 6),
            Rank = r.Rank,
            Reasons = r.Reasons,
        }).ToArray(),
    };
}
