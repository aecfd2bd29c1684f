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
    private EngagementBatch? _spare;

    public CoEngagementHandler(CoEngagementStore rows, TimeProvider time)
    {
        _rows = rows;
        _time = time;
        _cache = CoEngagementStore.RowCache<CoEngagementRow>(rows.Options, static row => row.EstimatedBytes);
    }

    public async Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        // Read flat: no message, contribution or pair-array object per contribution (a click makes about fifty), into
        // arrays kept from the previous batch. They keep the size of the largest batch: at MovieLens's fifty pairs per
        // click a full batch holds a few hundred thousand contributions, so tens of MB (by arithmetic, not measured).
        var contributions = Interlocked.Exchange(ref _spare, null) ?? new EngagementBatch();
        try
        {
            return await HandleAsync(batch, contributions, started, cancellationToken);
        }
        finally
        {
            contributions.Clear();
            _spare = contributions;
        }
    }

    private async Task<IReadOnlyList<PoisonMessage>> HandleAsync(
        IReadOnlyList<ConsumedMessage> batch, EngagementBatch contributions, long started, CancellationToken cancellationToken)
    {
        var poison = new List<PoisonMessage>();
        var ids = new Utf8StringPool();
        for (var i = 0; i < batch.Count; i++)
        {
            var value = batch[i].Value;
            string? error;
            if (EngagementBinary.IsBinary(value))
            {
                error = EngagementBinary.ReadInto(value, ids, contributions).Error;
            }
            else
            {
                (var message, error) = EngagementMessage.Parse(value, ids);
                if (message is not null)
                {
                    contributions.Add(message);
                }
            }

            if (error is not null)
            {
                poison.Add(new PoisonMessage(i, error));
            }
        }

        if (contributions.EntryCount == 0)
        {
            return poison;
        }

        var rowIds = contributions.RowIds;
        try
        {
            return await ApplyAsync(contributions, await RowsAsync(rowIds, cancellationToken), poison, started, cancellationToken);
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
        EngagementBatch contributions, Dictionary<string, CoEngagementRow> loaded, List<PoisonMessage> poison, long started, CancellationToken cancellationToken)
    {
        var rowIds = contributions.RowIds;
        var rows = new CoEngagementRow[rowIds.Count];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = loaded.GetValueOrDefault(rowIds[r]) ?? new CoEngagementRow();
        }

        var changed = new bool[rows.Length];
        long applied = 0, skipped = 0;
        var limit = _rows.Options.NeighbourLimit;
        foreach (ref readonly var entry in contributions.Entries)
        {
            if (rows[entry.Row].Apply(entry.Source, entry.Offset, entry.Retried, entry.Count, contributions.PairsOf(entry), limit))
            {
                applied++;
                changed[entry.Row] = true;
            }
            else
            {
                skipped++;
            }
        }

        var toSave = new Dictionary<string, CoEngagementRow>(StringComparer.Ordinal);
        for (var r = 0; r < rows.Length; r++)
        {
            if (changed[r])
            {
                toSave[rowIds[r]] = rows[r];
            }
        }

        await _rows.SaveAsync(toSave, cancellationToken);
        StreamRecMetrics.CoEngagementRowsWritten.Inc(toSave.Count);
        StreamRecMetrics.CoEngagementContributions.WithLabels(StreamRecMetrics.Outcomes.Ok).Inc(applied);
        StreamRecMetrics.CoEngagementContributions.WithLabels(StreamRecMetrics.Outcomes.SkippedReplay).Inc(skipped);
        StreamRecMetrics.StageDuration.WithLabels("co_engagement").Observe(_time.GetElapsedTime(started).TotalSeconds);
        lock (_gate)
        {
            for (var r = 0; r < rows.Length; r++)
            {
                _cache.Set(rowIds[r], rows[r]);
            }
        }

        return poison;
    }

    private async Task<Dictionary<string, CoEngagementRow>> RowsAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
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
