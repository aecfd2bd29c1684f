using StreamRec.Domain;
using StreamRec.Messaging;
using StreamRec.Observability;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.ItemSide;

namespace StreamRec.Pipeline.Handlers;

/// <summary>
/// The item side: streamrec.engagements (keyed by bucket of items) → each item's co-engagement row in the
/// item-engagement collection. Scales by the topic's partitions like the other services: one writer per row.
/// </summary>
/// <remarks>
/// Exactly-once effect: every contribution names the user event it came from. A row applies an in-order contribution
/// only above its source partition's watermark, and a late one (from a user's parking list) only when its id is not
/// among the row's recent late ids. So a batch replayed after a crash here, or contributions published twice by a
/// profile-updater that crashed between publishing them and saving the user's state, change nothing the second time.
/// The rows are written (durable) before the handler returns and the consumer stores the offsets.
/// </remarks>
public sealed class CoEngagementHandler : IBatchHandler
{
    private readonly CoEngagementStore _rows;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // This handler is the only writer of its partitions' rows, so what it last wrote is what the store holds: rows stay
    // in memory between batches, and are dropped when partitions move or a batch fails.
    private readonly LruCache<string, CoEngagementRow> _cache;

    public CoEngagementHandler(CoEngagementStore rows, TimeProvider time)
    {
        _rows = rows;
        _time = time;
        _cache = new LruCache<string, CoEngagementRow>(Math.Max(1, rows.Options.WriteCacheRows), StringComparer.Ordinal);
    }

    public async Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var poison = new List<PoisonMessage>();
        var messages = new List<EngagementMessage>(batch.Count);
        var ids = new Utf8StringPool();
        for (var i = 0; i < batch.Count; i++)
        {
            var (message, error) = EngagementMessage.Parse(batch[i].Value, ids);
            if (message is null)
            {
                poison.Add(new PoisonMessage(i, error!));
            }
            else
            {
                messages.Add(message);
            }
        }

        if (messages.Count == 0)
        {
            return poison;
        }

        var rowIds = messages.SelectMany(m => m.Rows).Select(r => r.ItemId).Distinct(StringComparer.Ordinal).ToArray();
        try
        {
            return await ApplyAsync(messages, await RowsAsync(rowIds, cancellationToken), poison, started, cancellationToken);
        }
        catch (Exception)
        {
            // Rows changed in memory may not have reached the store: reload them on the retry.
            lock (_gate)
            {
                foreach (var id in rowIds)
                {
                    _cache.Remove(id);
                }
            }

            throw;
        }
    }

    private async Task<IReadOnlyList<PoisonMessage>> ApplyAsync(
        List<EngagementMessage> messages, Dictionary<string, CoEngagementRow> rows, List<PoisonMessage> poison, long started, CancellationToken cancellationToken)
    {
        var changed = new Dictionary<string, CoEngagementRow>(StringComparer.Ordinal);
        long applied = 0, skipped = 0;
        foreach (var target in messages.SelectMany(m => m.Rows))
        {
            if (!rows.TryGetValue(target.ItemId, out var row))
            {
                rows[target.ItemId] = row = new CoEngagementRow();
            }

            var before = applied;
            foreach (var contribution in target.Contributions)
            {
                if (row.Apply(contribution, _rows.Options.NeighbourLimit))
                {
                    applied++;
                }
                else
                {
                    skipped++;
                }
            }

            if (applied > before)
            {
                changed[target.ItemId] = row;
            }
        }

        await _rows.SaveAsync(changed, cancellationToken);
        StreamRecMetrics.CoEngagementContributions.WithLabels(StreamRecMetrics.Outcomes.Ok).Inc(applied);
        StreamRecMetrics.CoEngagementContributions.WithLabels(StreamRecMetrics.Outcomes.SkippedReplay).Inc(skipped);
        StreamRecMetrics.StageDuration.WithLabels("co_engagement").Observe(_time.GetElapsedTime(started).TotalSeconds);
        lock (_gate)
        {
            foreach (var (id, row) in rows)
            {
                _cache.Set(id, row);
            }
        }

        return poison;
    }

    private async Task<Dictionary<string, CoEngagementRow>> RowsAsync(string[] ids, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, CoEngagementRow>(StringComparer.Ordinal);
        List<string> missing;
        lock (_gate)
        {
            missing = _cache.Lookup(ids, rows);
        }

        foreach (var (id, row) in await _rows.LoadAsync(missing, cancellationToken))
        {
            rows[id] = row;
        }

        return rows;
    }

    public void OnPartitionsAssigned(IReadOnlyCollection<PartitionId> partitions)
    {
    }

    /// <summary>Another instance may own these rows next: cached ones could go stale, so drop them all.</summary>
    public void OnPartitionsRevoked(IReadOnlyCollection<PartitionId> partitions)
    {
        lock (_gate)
        {
            _cache.Clear();
        }
    }
}
