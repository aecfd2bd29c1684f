using StreamRec.Contracts;
using StreamRec.Kafka.Consuming;
using StreamRec.Pipeline.Engines;

namespace StreamRec.Pipeline.Handlers;

/// <summary>Parses a consumed batch: good messages become positioned events, bad ones poison entries with the parser's reason.</summary>
internal static class BatchDecoder
{
    public static (List<(int Index, PositionedEvent Event)> Events, List<PoisonMessage> Poison) Decode(
        IReadOnlyList<ConsumedMessage> batch, Func<IStreamRecEvent, string, bool> belongs, ParseLimits limits)
    {
        var events = new List<(int, PositionedEvent)>(batch.Count);
        var poison = new List<PoisonMessage>();
        for (var i = 0; i < batch.Count; i++)
        {
            var m = batch[i];
            var parsed = EventParser.Parse(m.Value, limits);
            if (!parsed.IsSuccess)
            {
                poison.Add(new PoisonMessage(i, parsed.Error!.ToString()));
                continue;
            }

            var e = parsed.Event!;
            if (!belongs(e, m.Topic))
            {
                poison.Add(new PoisonMessage(i, $"InvalidValue: schema '{e.Schema}' does not belong on topic {m.Topic}"));
                continue;
            }

            if (m.Key is not null && !string.Equals(m.Key, e.Key, StringComparison.Ordinal))
            {
                // Keys decide partitions, and partitions decide which instance owns a user: a mismatch would split a user's state.
                poison.Add(new PoisonMessage(i, $"InvalidValue: message key does not match the event's {(e is ItemUpserted or ItemRetired ? "item_id" : "user_id")}"));
                continue;
            }

            events.Add((i, new PositionedEvent(e, m.Topic, m.Partition, m.Offset, m.Timestamp)));
        }

        return (events, poison);
    }

    public static TriggerRef TriggerOf(PositionedEvent p) => new()
    {
        EventId = p.Event.EventId,
        OccurredAt = p.Event.OccurredAt,
        ReceivedAt = p.ReceivedAt,
        Topic = p.Topic,
        Partition = p.Partition,
        Offset = p.Offset,
    };
}
