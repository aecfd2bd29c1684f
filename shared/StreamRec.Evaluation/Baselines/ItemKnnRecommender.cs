using StreamRec.Contracts;
using StreamRec.Domain;

namespace StreamRec.Evaluation.Baselines;

/// <summary>
/// Item-to-item collaborative filtering over co-occurrence: two items co-occur when one user clicked both within
/// their last <c>historySize</c> positive items. Similarity is cosine-normalised,
/// <c>sim(i, j) = co(i, j) / sqrt(n(i)·n(j))</c>, with n the click count. A user's list scores each item by
/// the sum of its similarities to the user's last <c>queryItems</c> clicks; short lists are topped up with the
/// most popular items. Incremental: everything is updated per click, as a streaming system would.
/// </summary>
public sealed class ItemKnnRecommender : IRecommenderSystem
{
    public const string DefaultName = "item-knn";

    private readonly int _historySize;
    private readonly int _queryItems;
    private readonly Dictionary<string, List<string>> _history = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, int>> _cooccurrence = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _clicks = new(StringComparer.Ordinal);
    private readonly HashSet<string> _retired = new(StringComparer.Ordinal);
    private readonly TrendingCounter _popular = new(TimeSpan.MaxValue);

    /// <param name="historySize">Recent positive items per user that new clicks co-occur with. Default 50.</param>
    /// <param name="queryItems">Recent clicks a list is built from. Default 20.</param>
    public ItemKnnRecommender(int historySize = 50, int queryItems = 20, string name = DefaultName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(historySize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queryItems, 1);
        _historySize = historySize;
        _queryItems = queryItems;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Cosine-normalised co-occurrence of two items (0 when they never co-occurred).</summary>
    public double Similarity(string a, string b) =>
        _cooccurrence.TryGetValue(a, out var row) && row.TryGetValue(b, out var co) ? co / Math.Sqrt((double)_clicks[a] * _clicks[b]) : 0;

    public ValueTask ObserveAsync(IStreamRecEvent e, CancellationToken cancellationToken)
    {
        switch (e)
        {
            case Click c:
                OnClick(c.UserId, c.ItemId, c.OccurredAt);
                break;
            case UserForget f:
                _history.Remove(f.UserId);
                break;
            case ItemRetired r:
                _retired.Add(r.ItemId);
                _popular.Remove(r.ItemId);
                break;
            case ItemUpserted u:
                _retired.Remove(u.ItemId);
                break;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<string>> RecommendAsync(string userId, int count, DateTimeOffset now, IReadOnlySet<string> exclude, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        if (_history.TryGetValue(userId, out var history))
        {
            for (var h = Math.Max(0, history.Count - _queryItems); h < history.Count; h++)
            {
                var source = history[h];
                if (!_cooccurrence.TryGetValue(source, out var row))
                {
                    continue;
                }

                var sourceClicks = (double)_clicks[source];
                foreach (var (item, co) in row)
                {
                    if (exclude.Contains(item) || _retired.Contains(item))
                    {
                        continue;
                    }

                    scores[item] = scores.GetValueOrDefault(item) + co / Math.Sqrt(sourceClicks * _clicks[item]);
                }
            }
        }

        var result = scores.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(count).Select(kv => kv.Key).ToList();
        if (result.Count < count)
        {
            var taken = new HashSet<string>(result, StringComparer.Ordinal);
            taken.UnionWith(exclude);
            foreach (var (item, _) in _popular.Top(count - result.Count, now, taken))
            {
                result.Add(item);
            }
        }

        return ValueTask.FromResult<IReadOnlyList<string>>(result);
    }

    private void OnClick(string user, string item, DateTimeOffset at)
    {
        if (_retired.Contains(item))
        {
            return;
        }

        if (!_history.TryGetValue(user, out var history))
        {
            _history[user] = history = [];
        }

        if (history.Remove(item))
        {
            // A repeat moves the item to the recent end but is not new evidence of co-occurrence.
            history.Add(item);
            return;
        }

        _clicks[item] = _clicks.GetValueOrDefault(item) + 1;
        _popular.Add(item, at);
        foreach (var other in history)
        {
            Increment(item, other);
            Increment(other, item);
        }

        history.Add(item);
        if (history.Count > _historySize)
        {
            history.RemoveAt(0);
        }
    }

    private void Increment(string a, string b)
    {
        if (!_cooccurrence.TryGetValue(a, out var row))
        {
            _cooccurrence[a] = row = new Dictionary<string, int>(StringComparer.Ordinal);
        }

        row[b] = row.GetValueOrDefault(b) + 1;
    }
}
