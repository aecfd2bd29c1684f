using Confluent.Kafka;
using StreamRec.Contracts;
using StreamRec.Kafka.Consuming;
using StreamRec.Pipeline.Engines;

namespace StreamRec.Pipeline.Handlers;

/// <summary>item-indexer: items topic → encoder → items collection.</summary>
public sealed class ItemIndexerHandler : IBatchHandler
{
    private readonly ItemIndexEngine _engine;
    private readonly ParseLimits _limits;

    public ItemIndexerHandler(ItemIndexEngine engine, ParseLimits limits)
    {
        _engine = engine;
        _limits = limits;
    }

    public async Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        var (events, poison) = BatchDecoder.Decode(batch, static (e, topic) => e is ItemUpserted or ItemRetired && topic == Topics.Items, _limits);
        if (events.Count > 0)
        {
            await _engine.IndexAsync(events.Select(x => x.Event.Event).ToArray(), cancellationToken);
        }

        return poison;
    }

    public void OnPartitionsAssigned(IReadOnlyCollection<TopicPartition> partitions)
    {
    }

    public void OnPartitionsRevoked(IReadOnlyCollection<TopicPartition> partitions)
    {
    }
}
