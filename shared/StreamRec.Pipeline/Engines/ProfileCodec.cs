using System.Text.Json.Nodes;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Ports;

namespace StreamRec.Pipeline.Engines;

/// <summary>Maps a <see cref="UserProfile"/> to a users-collection point and back.</summary>
public static class ProfileCodec
{
    /// <summary>Reads the stored profiles of <paramref name="userIds"/>; users never stored are absent from the result.
    /// <paramref name="withOutbox"/> false leaves <see cref="UserProfile.Outbox"/> empty, for readers that never write the
    /// profile back (the recommender): decoding it was most of a profile's decode.</summary>
    public static async Task<Dictionary<string, UserProfile>> ReadAsync(
        IVectorStore store, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken, bool withOutbox = true)
    {
        var result = new Dictionary<string, UserProfile>(userIds.Count, StringComparer.Ordinal);
        if (userIds.Count == 0)
        {
            return result;
        }

        var points = await store.GetAsync(Collections.Users, userIds.ToArray(), withVectors: true, withPayload: true, cancellationToken);
        foreach (var point in points)
        {
            var dimension = point.Vectors.TryGetValue(Collections.LongTermVector, out var l) ? l.Length : 0;
            result[point.Id] = Decode(point, dimension, withOutbox);
        }

        return result;
    }

    public static VectorPoint Encode(UserProfile p)
    {
        var recent = new JsonArray();
        foreach (var id in p.RecentItems)
        {
            recent.Add(id);
        }

        var offsets = new JsonObject();
        foreach (var (key, offset) in p.AppliedOffsets.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            offsets[key] = offset;
        }

        var payload = new JsonObject
        {
            [UserFields.UserId] = p.UserId,
            [UserFields.ReferenceTime] = p.ReferenceTime == DateTimeOffset.MinValue ? null : p.ReferenceTime.ToUnixTimeMilliseconds(),
            [UserFields.Recent] = recent,
            [UserFields.Clicks] = p.Clicks,
            [UserFields.Reviews] = p.Reviews,
            [UserFields.Version] = p.Version,
            [UserFields.Offsets] = offsets,
            [UserFields.Forgotten] = p.Forgotten,
        };
        if (p.NotPositive.Count > 0)
        {
            payload[UserFields.NotPositive] = new JsonArray([.. p.NotPositive.Select(id => (JsonNode?)id)]);
        }

        if (p.RecentEventIds.Count > 0)
        {
            payload[UserFields.EventIds] = new JsonArray([.. p.RecentEventIds.Select(id => (JsonNode?)id)]);
        }

        if (p.Parked.Count > 0)
        {
            payload[UserFields.Parked] = new JsonArray([.. p.Parked.Select(e => (JsonNode?)EncodeParked(e))]);
        }

        if (p.PendingNotice is { } notice)
        {
            payload[UserFields.PendingNotice] = new JsonObject
            {
                ["event_id"] = notice.EventId,
                ["topic"] = notice.Topic,
                ["partition"] = notice.Partition,
                ["offset"] = notice.Offset,
                ["occurred_ms"] = notice.OccurredAt.ToUnixTimeMilliseconds(),
                ["received_ms"] = notice.ReceivedAt.ToUnixTimeMilliseconds(),
            };
        }

        if (p.Outbox.Count > 0)
        {
            payload[UserFields.Outbox] = new JsonArray([.. p.Outbox.Select(e => (JsonNode?)EncodeOutbox(e))]);
        }

        // A retry round's outbox entries are found the way its pending notice is: no replay will publish them again.
        var waitingIn = p.Parked.Select(e => e.PartitionKey).Append(p.PendingNotice?.PartitionKey)
            .Concat(p.Outbox.Where(e => e.TriggerKey is null).Select(e => e.RecoveryKey)).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        if (waitingIn.Length > 0)
        {
            payload[UserFields.ParkedIn] = new JsonArray([.. waitingIn.Select(k => (JsonNode?)k)]);
        }

        return new VectorPoint(
            p.UserId,
            new Dictionary<string, float[]> { [Collections.ShortTermVector] = (float[])p.ShortTerm.Clone(), [Collections.LongTermVector] = (float[])p.LongTerm.Clone() },
            payload);
    }

    public static UserProfile Decode(VectorPoint point, int dimension, bool withOutbox = true)
    {
        var p = new UserProfile(point.Id, dimension);
        if (point.Vectors.TryGetValue(Collections.ShortTermVector, out var s) && point.Vectors.TryGetValue(Collections.LongTermVector, out var l)
            && s.Length == dimension && l.Length == dimension)
        {
            p.SetVectors((float[])s.Clone(), (float[])l.Clone());
        }

        var payload = point.Payload;
        if (payload is null)
        {
            return p;
        }

        if (payload[UserFields.ReferenceTime] is JsonValue rt && rt.TryGetValue<long>(out var ms))
        {
            p.ReferenceTime = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        if (payload[UserFields.Recent] is JsonArray recent)
        {
            foreach (var node in recent)
            {
                if (node is JsonValue v && v.TryGetValue<string>(out var id))
                {
                    p.RecentItems.Add(id);
                }
            }
        }

        p.Clicks = Long(payload, UserFields.Clicks);
        p.Reviews = Long(payload, UserFields.Reviews);
        p.Version = Long(payload, UserFields.Version);
        p.Forgotten = payload[UserFields.Forgotten] is JsonValue f && f.TryGetValue<bool>(out var forgotten) && forgotten;
        if (payload[UserFields.Offsets] is JsonObject offsets)
        {
            foreach (var (key, node) in offsets)
            {
                if (node is JsonValue v && v.TryGetValue<long>(out var offset))
                {
                    p.AppliedOffsets[key] = offset;
                }
            }
        }

        if (payload[UserFields.NotPositive] is JsonArray notPositive)
        {
            p.NotPositive.AddRange(notPositive.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var id) ? id : null).OfType<string>());
        }

        if (payload[UserFields.EventIds] is JsonArray eventIds)
        {
            p.RecentEventIds.AddRange(eventIds.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var id) ? id : null).OfType<string>());
        }

        if (payload[UserFields.Parked] is JsonArray parked)
        {
            p.Parked.AddRange(parked.OfType<JsonObject>().Select(DecodeParked).OfType<ParkedEvent>());
        }

        if (payload[UserFields.PendingNotice] is JsonObject n && Str(n, "event_id") is { } noticeId && Str(n, "topic") is { } noticeTopic)
        {
            p.PendingNotice = new PendingNotice(
                noticeId, noticeTopic, (int)Long(n, "partition"), Long(n, "offset"),
                DateTimeOffset.FromUnixTimeMilliseconds(Long(n, "occurred_ms")), DateTimeOffset.FromUnixTimeMilliseconds(Long(n, "received_ms")));
        }

        if (withOutbox && payload[UserFields.Outbox] is JsonArray outbox)
        {
            p.Outbox.AddRange(outbox.OfType<JsonObject>().Select(DecodeOutbox).OfType<OutboxEntry>());
        }

        return p;
    }

    private static JsonObject EncodeOutbox(OutboxEntry entry)
    {
        var e = entry.Engagement;
        var o = new JsonObject
        {
            ["item_id"] = e.ItemId,
            ["history"] = Strings(e.History),
            ["topic"] = e.Topic,
            ["partition"] = e.Partition,
            ["offset"] = e.Offset,
        };
        if (e.Retried)
        {
            o["retried"] = true;
        }

        if (e.NotPositive is { Count: > 0 } notPositive)
        {
            o["not_positive"] = Strings(notPositive.Order(StringComparer.Ordinal));
        }

        if (entry.TriggerKey is { } trigger)
        {
            o["trigger"] = trigger;
            o["trigger_offset"] = entry.TriggerOffset;
        }

        return o;
    }

    private static OutboxEntry? DecodeOutbox(JsonObject o)
    {
        // Written by this code; a damaged entry is left out rather than making the user unreadable.
        if (Str(o, "item_id") is not { } itemId || Str(o, "topic") is not { } topic || o["history"] is not JsonArray history)
        {
            return null;
        }

        var notPositive = o["not_positive"] is JsonArray np ? StringsOf(np).ToHashSet(StringComparer.Ordinal) : null;
        var engagement = new AppliedEngagement(
            itemId, [.. StringsOf(history)], topic, (int)Long(o, "partition"), Long(o, "offset"),
            o["retried"] is JsonValue r && r.TryGetValue<bool>(out var retried) && retried, notPositive);
        var trigger = Str(o, "trigger");
        return new OutboxEntry(engagement, trigger, trigger is null ? 0 : Long(o, "trigger_offset"));
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);

    private static IEnumerable<string> StringsOf(JsonArray array) =>
        array.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s : null).OfType<string>();

    private static JsonObject EncodeParked(ParkedEvent e) => new()
    {
        ["topic"] = e.Topic,
        ["partition"] = e.Partition,
        ["offset"] = e.Offset,
        ["key"] = e.Key,
        ["value"] = Convert.ToBase64String(e.Value),
        ["item_id"] = e.ItemId,
        ["event_id"] = e.EventId,
        ["received_ms"] = e.ReceivedAt.ToUnixTimeMilliseconds(),
        ["parked_ms"] = e.ParkedAt.ToUnixTimeMilliseconds(),
        ["attempts"] = e.Attempts,
        ["next_ms"] = e.NextAttemptAt.ToUnixTimeMilliseconds(),
        ["reason"] = e.Reason,
    };

    private static ParkedEvent? DecodeParked(JsonObject o)
    {
        // Written by this code, so never expected to be damaged; a damaged entry must not make the whole user unreadable.
        if (Str(o, "topic") is not { } topic || Str(o, "value") is not { } value || Str(o, "item_id") is not { } itemId || Str(o, "event_id") is not { } eventId)
        {
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            return null;
        }

        return new ParkedEvent
        {
            Topic = topic,
            Partition = (int)Long(o, "partition"),
            Offset = Long(o, "offset"),
            Key = Str(o, "key"),
            Value = bytes,
            ItemId = itemId,
            EventId = eventId,
            ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(Long(o, "received_ms")),
            ParkedAt = DateTimeOffset.FromUnixTimeMilliseconds(Long(o, "parked_ms")),
            Attempts = (int)Long(o, "attempts"),
            NextAttemptAt = DateTimeOffset.FromUnixTimeMilliseconds(Long(o, "next_ms")),
            Reason = Str(o, "reason") ?? "",
        };
    }

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long Long(JsonObject payload, string key) =>
        payload[key] is JsonValue v && v.TryGetValue<long>(out var value) ? value
        : payload[key] is JsonValue d && d.TryGetValue<double>(out var dv) ? (long)dv : 0;

}
