using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Messaging;
using StreamRec.Pipeline.Engines;

namespace StreamRec.Pipeline.Handlers;

/// <summary>item-indexer: items topic → encoder → items collection.</summary>
public sealed class ItemIndexerHandler : IBatchHandler
{
    private readonly ItemIndexEngine _engine;
    private readonly ParseLimits _limits;
    private readonly ProfileOptions _profile;
    private readonly TimeProvider _time;

    public ItemIndexerHandler(ItemIndexEngine engine, ParseLimits limits, ProfileOptions profile, TimeProvider time)
    {
        _engine = engine;
        _limits = limits;
        _profile = profile;
        _time = time;
    }

    public async Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        var (events, poison) = BatchDecoder.Decode(batch, static (e, topic) => e is ItemUpserted or ItemRetired && topic == Topics.Items, _limits);

        // The same future-skew limit as user events: an item stamped in 2199 would take version 2199 (its occurred_at) and
        // make every later retirement look stale.
        var now = _time.GetUtcNow();
        var accepted = new List<IStreamRecEvent>(events.Count);
        foreach (var (index, positioned) in events)
        {
            if (ProfileEngine.FutureSkewReason(positioned.Event, now, _profile.MaxFutureSkew) is { } reason)
            {
                poison.Add(new PoisonMessage(index, reason));
            }
            else
            {
                accepted.Add(positioned.Event);
            }
        }

        if (accepted.Count > 0)
        {
            await _engine.IndexAsync(accepted, cancellationToken);
        }

        return poison;
    }

    public void OnPartitionsAssigned(IReadOnlyCollection<PartitionId> partitions)
    {
    }

    public void OnPartitionsRevoked(IReadOnlyCollection<PartitionId> partitions)
    {
    }
}
