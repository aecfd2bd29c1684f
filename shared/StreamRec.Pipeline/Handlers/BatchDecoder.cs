using StreamRec.Contracts;
using StreamRec.Messaging;
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
                poison.Add(new PoisonMessage(i, $"{DeadLetterCodes.WrongTopic}: schema '{e.Schema}' does not belong on topic {m.Topic}"));
                continue;
            }

            // Keys decide partitions, and partitions decide which instance owns a user: a mismatch would split a user's
            // state. One rule for every producer: an absent or empty key lets the event's id decide (a null and a 0-byte
            // key look the same to most clients); a non-empty key must equal it.
            if (!string.IsNullOrEmpty(m.Key) && !string.Equals(m.Key, e.Key, StringComparison.Ordinal))
            {
                var field = e is ItemUpserted or ItemRetired ? "item_id" : "user_id";
                poison.Add(new PoisonMessage(i, $"{DeadLetterCodes.KeyMismatch}: the message key differs from {field}; send {field} as the key, or no key"));
                continue;
            }

            events.Add((i, new PositionedEvent(e, m.Topic, m.Partition, m.Offset, m.Timestamp)));
        }

        return (events, poison);
    }
}
