using System.Globalization;
using StreamRec.Contracts;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;

namespace StreamRec.Evaluation.Protocol;

/// <summary>Where a run is: <c>encode</c> (catalogue vectors) or <c>replay</c> (events).</summary>
public readonly record struct EvaluationProgress(string Phase, long Done, long Total);

/// <summary>
/// The replay protocol (docs/evaluation.md): the stream is replayed in time order; just before each target
/// interaction every system is asked for the user's list, which is scored against what the user clicked, and only
/// then do the systems observe the interaction. Every system sees the same events in the same order, gets the same
/// exclusion set, and is measured with the same item vectors.
/// </summary>
public sealed class ReplayEvaluator
{
    private readonly EvaluationOptions _options;
    private readonly ITextEncoder _itemEncoder;
    private readonly TimeProvider _time;

    /// <param name="itemEncoder">Gives the item vectors that diversity is measured with (the same for every system). Pass the
    /// same (caching) encoder the StreamRec systems use so the catalogue is encoded once.</param>
    public ReplayEvaluator(EvaluationOptions options, ITextEncoder itemEncoder, TimeProvider? time = null)
    {
        if (options.RecallListSize < options.ListSize)
        {
            throw new ArgumentException("RecallListSize must be at least ListSize", nameof(options));
        }

        _options = options;
        _itemEncoder = itemEncoder;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Orders events by time, keeping the given order among equal times (a stable sort).</summary>
    public static IReadOnlyList<IStreamRecEvent> InTimeOrder(IEnumerable<IStreamRecEvent> events) =>
        events.Select((e, i) => (e, i)).OrderBy(x => x.e.OccurredAt).ThenBy(x => x.i).Select(x => x.e).ToArray();

    public async Task<EvaluationReport> RunAsync(
        string datasetName,
        IEnumerable<IStreamRecEvent> events,
        IReadOnlyList<IRecommenderSystem> systems,
        IProgress<EvaluationProgress>? progress,
        CancellationToken cancellationToken)
    {
        var sorted = InTimeOrder(events);
        var plan = TargetPlan.Build(sorted, _options);
        var textVectors = await EncodeCatalogueAsync(sorted, progress, cancellationToken);

        var evalAt = plan.Targets.GroupBy(t => t.EvalIndex).ToDictionary(g => g.Key, g => g.ToArray());
        var state = new HarnessState();
        var testStart = TestStart(plan);
        var scores = systems.Select(s => new SystemScore(s.Name, _options, testStart)).ToArray();
        var lists = new IReadOnlyList<string>[systems.Count];

        for (var j = 0; j < sorted.Count; j++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (evalAt.TryGetValue(j, out var targets))
            {
                foreach (var target in targets)
                {
                    var exclude = state.SeenBy(target.UserId);
                    for (var s = 0; s < systems.Count; s++)
                    {
                        var started = _time.GetTimestamp();
                        lists[s] = await systems[s].RecommendAsync(target.UserId, _options.RecallListSize, target.At, exclude, cancellationToken);
                        scores[s].RecommendSeconds += _time.GetElapsedTime(started).TotalSeconds;
                        scores[s].Score(target, lists[s], exclude, state);
                    }
                }
            }

            var e = sorted[j];
            state.Observe(e, textVectors);
            for (var s = 0; s < systems.Count; s++)
            {
                var started = _time.GetTimestamp();
                await systems[s].ObserveAsync(e, cancellationToken);
                scores[s].ObserveSeconds += _time.GetElapsedTime(started).TotalSeconds;
            }

            if ((j + 1) % 1000 == 0 || j + 1 == sorted.Count)
            {
                progress?.Report(new EvaluationProgress("replay", j + 1, sorted.Count));
            }
        }

        var summary = new DatasetSummary(
            sorted.Count,
            state.CatalogueSize,
            state.Users,
            state.Clicks,
            state.Reviews,
            plan.First,
            plan.Last,
            plan.WarmupEnd,
            plan.Eligible,
            plan.Targets.Count) { TestStart = testStart };
        return new EvaluationReport(
            datasetName,
            _itemEncoder.Info.ModelName,
            EvaluationSettings.From(_options),
            summary,
            WithIntervals(scores, state.CatalogueSize));
    }

    /// <summary>The middle of the scored period: targets before it are the validation set, from it on the test set.</summary>
    public static DateTimeOffset TestStart(TargetPlan plan) => plan.WarmupEnd + ((plan.Last - plan.WarmupEnd) / 2);

    /// <summary>Each system's result with its ratio intervals against the best baseline (by overall NDCG).</summary>
    private SystemResult[] WithIntervals(SystemScore[] scores, int catalogueSize)
    {
        var reference = scores
            .Where(s => _options.Baselines.Contains(s.Name, StringComparer.Ordinal))
            .MaxBy(s => s.Ndcgs.Count == 0 ? 0 : s.Ndcgs.Average());
        return scores.Select(s =>
        {
            var result = s.ToResult(catalogueSize);
            if (reference is null || s.Ndcgs.Count == 0)
            {
                return result;
            }

            var all = Enumerable.Range(0, s.Ndcgs.Count).ToArray();
            var test = all.Where(i => s.IsTest[i]).ToArray();
            var coldItems = all.Where(i => s.IsColdItem[i]).ToArray();
            return result with
            {
                NdcgVsBest = PairedBootstrap.Ratio(reference.Name, s.Ndcgs, reference.Ndcgs, all, _options.BootstrapResamples, _options.Seed),
                TestNdcgVsBest = PairedBootstrap.Ratio(reference.Name, s.Ndcgs, reference.Ndcgs, test, _options.BootstrapResamples, _options.Seed),
                HitRateVsBest = PairedBootstrap.Ratio(reference.Name, s.Hits, reference.Hits, all, _options.BootstrapResamples, _options.Seed),
                ColdItemNdcgVsBest = PairedBootstrap.Ratio(reference.Name, s.Ndcgs, reference.Ndcgs, coldItems, _options.BootstrapResamples, _options.Seed),
            };
        }).ToArray();
    }

    /// <summary>The label of the window that holds <paramref name="at"/>: <c>2005</c> for yearly windows, <c>2005-Q3</c> for quarters, else <c>2005-07</c>.</summary>
    public static (string Label, DateTimeOffset Start) WindowOf(DateTimeOffset at, int months)
    {
        var utc = at.UtcDateTime;
        var startMonth = (utc.Month - 1) / months * months + 1;
        var start = new DateTimeOffset(utc.Year, startMonth, 1, 0, 0, 0, TimeSpan.Zero);
        var label = months switch
        {
            12 => start.Year.ToString(CultureInfo.InvariantCulture),
            3 => string.Create(CultureInfo.InvariantCulture, $"{start.Year}-Q{(startMonth - 1) / 3 + 1}"),
            _ => start.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        };
        return (label, start);
    }

    /// <summary>Encodes every distinct item text once, up front: content is not behaviour, and batching is what makes the encoder fast.</summary>
    private async Task<Dictionary<string, float[]>> EncodeCatalogueAsync(IReadOnlyList<IStreamRecEvent> events, IProgress<EvaluationProgress>? progress, CancellationToken cancellationToken)
    {
        var texts = events.OfType<ItemUpserted>().Select(ItemIndexEngine.TextOf)
            .Concat(events.OfType<Review>().Select(r => r.Text).Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!))
            .Distinct(StringComparer.Ordinal).ToArray();
        var vectors = new Dictionary<string, float[]>(texts.Length, StringComparer.Ordinal);
        for (var i = 0; i < texts.Length; i += _options.EncodeBatchSize)
        {
            var batch = texts.AsSpan(i, Math.Min(_options.EncodeBatchSize, texts.Length - i)).ToArray();
            var encoded = await _itemEncoder.EncodeAsync(batch, cancellationToken);
            for (var k = 0; k < batch.Length; k++)
            {
                vectors[batch[k]] = encoded[k];
            }

            progress?.Report(new EvaluationProgress("encode", i + batch.Length, texts.Length));
        }

        return vectors;
    }

    /// <summary>What the harness itself knows at each point of the replay (never ahead of the systems).</summary>
    internal sealed class HarnessState
    {
        private static readonly HashSet<string> Nothing = [];
        private readonly Dictionary<string, HashSet<string>> _seen = new(StringComparer.Ordinal);
        private readonly Dictionary<string, HashSet<string>> _itemUsers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (DateTimeOffset Published, float[]? Vector)> _items = new(StringComparer.Ordinal);
        private readonly HashSet<string> _activeUsers = new(StringComparer.Ordinal);

        public int CatalogueSize => _items.Count;

        public int Users => _activeUsers.Count;

        public long Clicks { get; private set; }

        public long Reviews { get; private set; }

        public IReadOnlySet<string> SeenBy(string userId) => _seen.TryGetValue(userId, out var s) ? s : Nothing;

        public float[]? VectorOf(string itemId) => _items.TryGetValue(itemId, out var i) ? i.Vector : null;

        public DateTimeOffset? PublishedAt(string itemId) => _items.TryGetValue(itemId, out var i) ? i.Published : null;

        public double SelfInformation(string itemId) =>
            RankingMetrics.SelfInformation(_itemUsers.TryGetValue(itemId, out var users) ? users.Count : 0, _activeUsers.Count);

        public void Observe(IStreamRecEvent e, Dictionary<string, float[]> textVectors)
        {
            switch (e)
            {
                case ItemUpserted u:
                    _items[u.ItemId] = (u.PublishedAt ?? u.OccurredAt, textVectors.GetValueOrDefault(ItemIndexEngine.TextOf(u)));
                    break;
                case UserForget f:
                    _seen.Remove(f.UserId);
                    break;
                case Click or Review:
                    var (user, item) = TargetPlan.UserItem(e);
                    if (!_seen.TryGetValue(user, out var seen))
                    {
                        _seen[user] = seen = new HashSet<string>(StringComparer.Ordinal);
                    }

                    seen.Add(item);
                    _activeUsers.Add(user);
                    if (!_itemUsers.TryGetValue(item, out var users))
                    {
                        _itemUsers[item] = users = new HashSet<string>(StringComparer.Ordinal);
                    }

                    users.Add(user);
                    if (e is Click)
                    {
                        Clicks++;
                    }
                    else
                    {
                        Reviews++;
                    }

                    break;
            }
        }
    }

    /// <summary>Running sums for one system.</summary>
    private sealed class SystemScore
    {
        private readonly string _name;
        private readonly EvaluationOptions _options;
        private readonly MetricAccumulator _overall = new();
        private readonly MetricAccumulator _validation = new();
        private readonly MetricAccumulator _test = new();
        private readonly DateTimeOffset _testStart;
        private readonly MetricAccumulator _coldUsers = new();
        private readonly MetricAccumulator _coldItems = new();
        private readonly MetricAccumulator _validationColdItems = new();
        private readonly SortedDictionary<DateTimeOffset, (string Label, MetricAccumulator Metrics)> _windows = [];
        private readonly HashSet<string> _recommended = new(StringComparer.Ordinal);
        private readonly List<float[]> _vectorBuffer = [];
        private double _diversitySum;
        private long _diversityLists;
        private readonly double[] _periodDiversitySum = new double[2]; // [validation, test]
        private readonly long[] _periodDiversityLists = new long[2];
        private double _noveltySum;
        private double _ageDaysSum;
        private long _recommendedItems;
        private long _agedItems;
        private int _violations;
        private int _shortLists;

        public SystemScore(string name, EvaluationOptions options, DateTimeOffset testStart)
        {
            _name = name;
            _options = options;
            _testStart = testStart;
        }

        public string Name => _name;

        /// <summary>Per-target NDCG, HitRate and period, in target order (the same order for every system).</summary>
        public List<double> Ndcgs { get; } = [];

        public List<double> Hits { get; } = [];

        public List<bool> IsTest { get; } = [];

        public List<bool> IsColdItem { get; } = [];

        public double ObserveSeconds { get; set; }

        public double RecommendSeconds { get; set; }

        public void Score(Target target, IReadOnlyList<string> list, IReadOnlySet<string> exclude, HarnessState state)
        {
            var k = _options.ListSize;
            var rank = RankingMetrics.RankOf(list, target.ItemId, _options.RecallListSize);
            var hit = RankingMetrics.Hit(rank, k);
            var ndcg = RankingMetrics.Ndcg(rank, k);
            var rr = RankingMetrics.ReciprocalRank(rank, _options.RecallListSize);
            var recall = RankingMetrics.Recall(list, _options.RecallListSize, target.Relevant);

            _overall.Add(hit, ndcg, recall, rr);
            var isTest = target.At >= _testStart;
            (isTest ? _test : _validation).Add(hit, ndcg, recall, rr);
            Ndcgs.Add(ndcg);
            Hits.Add(hit);
            IsTest.Add(isTest);
            IsColdItem.Add(target.ColdItem);
            if (target.ColdUser)
            {
                _coldUsers.Add(hit, ndcg, recall, rr);
            }

            if (target.ColdItem)
            {
                _coldItems.Add(hit, ndcg, recall, rr);
                if (!isTest)
                {
                    _validationColdItems.Add(hit, ndcg, recall, rr);
                }
            }

            var (label, start) = WindowOf(target.At, _options.WindowMonths);
            if (!_windows.TryGetValue(start, out var window))
            {
                _windows[start] = window = (label, new MetricAccumulator());
            }

            window.Metrics.Add(hit, ndcg, recall, rr);

            // Beyond accuracy: over the top-k list the user would see.
            var top = Math.Min(k, list.Count);
            if (top < k)
            {
                _shortLists++;
            }

            var violated = false;
            _vectorBuffer.Clear();
            for (var i = 0; i < top; i++)
            {
                var item = list[i];
                violated |= exclude.Contains(item);
                _recommended.Add(item);
                _noveltySum += state.SelfInformation(item);
                _recommendedItems++;
                if (state.PublishedAt(item) is { } published)
                {
                    _ageDaysSum += Math.Max(0, (target.At - published).TotalDays);
                    _agedItems++;
                }

                if (state.VectorOf(item) is { } v)
                {
                    _vectorBuffer.Add(v);
                }
            }

            if (violated)
            {
                _violations++;
            }

            if (_vectorBuffer.Count >= 2)
            {
                var diversity = RankingMetrics.IntraListDiversity(_vectorBuffer);
                _diversitySum += diversity;
                _diversityLists++;
                var period = target.At >= _testStart ? 1 : 0;
                _periodDiversitySum[period] += diversity;
                _periodDiversityLists[period]++;
            }
        }

        public SystemResult ToResult(int catalogueSize) => new(
            _name,
            _overall.ToMetricSet(),
            _coldUsers.ToMetricSet(),
            _coldItems.ToMetricSet(),
            catalogueSize == 0 ? 0 : (double)_recommended.Count / catalogueSize,
            _diversityLists == 0 ? 0 : _diversitySum / _diversityLists,
            _recommendedItems == 0 ? 0 : _noveltySum / _recommendedItems,
            _agedItems == 0 ? 0 : _ageDaysSum / _agedItems,
            _violations,
            _shortLists,
            ObserveSeconds,
            RecommendSeconds,
            _windows.Select(w => new WindowResult(w.Value.Label, w.Key, w.Value.Metrics.ToMetricSet())).ToArray())
        {
            Validation = _validation.ToMetricSet(),
            Test = _test.ToMetricSet(),
            ValidationDiversity = _periodDiversityLists[0] == 0 ? 0 : _periodDiversitySum[0] / _periodDiversityLists[0],
            TestDiversity = _periodDiversityLists[1] == 0 ? 0 : _periodDiversitySum[1] / _periodDiversityLists[1],
            ValidationColdItems = _validationColdItems.ToMetricSet(),
        };
    }

    private sealed class MetricAccumulator
    {
        private int _count;
        private double _hit;
        private double _ndcg;
        private double _recall;
        private double _rr;

        public void Add(double hit, double ndcg, double recall, double rr)
        {
            _count++;
            _hit += hit;
            _ndcg += ndcg;
            _recall += recall;
            _rr += rr;
        }

        public MetricSet ToMetricSet() => _count == 0
            ? new MetricSet(0, 0, 0, 0, 0)
            : new MetricSet(_count, _hit / _count, _ndcg / _count, _recall / _count, _rr / _count);
    }
}
