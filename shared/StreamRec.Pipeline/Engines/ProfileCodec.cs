using System.Globalization;
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
    /// profile back (the recommender): decoding it was most of a profile's decode. <paramref name="shareItemIds"/>: see
    /// <see cref="Decode"/>.</summary>
    public static async Task<Dictionary<string, UserProfile>> ReadAsync(
        IVectorStore store, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken, bool withOutbox = true, bool shareItemIds = false)
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
            result[point.Id] = Decode(point, dimension, withOutbox, shareItemIds);
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
            // Hex text, not JSON numbers: 64-bit values lose precision in readers that parse numbers as doubles.
            payload[UserFields.EventHashes] = new JsonArray([.. p.RecentEventIds.Select(h => (JsonNode?)h.ToString("x16", CultureInfo.InvariantCulture))]);
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
            var outbox = new JsonArray();
            for (var i = 0; i < p.Outbox.Count; i++)
            {
                outbox.Add(EncodeOutbox(p.Outbox[i], i == 0 ? null : p.Outbox[i - 1].Engagement, p.RecentItems));
            }

            payload[UserFields.Outbox] = outbox;
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

    /// <summary>The profile stored as <paramref name="point"/>. <paramref name="shareItemIds"/>: the recent items are the
    /// <see cref="ItemIdPool"/>'s shared strings, for profiles kept long (a cache): 200 strings of its own (about 9 KB, by
    /// arithmetic) spared per full user, for about 5 µs more per decode (200 lookups in the pool, BenchmarkDotNet
    /// <c>ProfileCodecBenchmarks</c>: 30.4 → 35.6 µs).</summary>
    public static UserProfile Decode(VectorPoint point, int dimension, bool withOutbox = true, bool shareItemIds = false)
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
            p.RecentItems.EnsureCapacity(recent.Count);
            foreach (var node in recent)
            {
                if (node is JsonValue v && v.TryGetValue<string>(out var id))
                {
                    p.RecentItems.Add(shareItemIds ? ItemIdPool.Intern(id) : id);
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

        if (payload[UserFields.EventHashes] is JsonArray eventHashes)
        {
            p.RecentEventIds.EnsureCapacity(eventHashes.Count);
            foreach (var node in eventHashes)
            {
                if (node is JsonValue v && v.TryGetValue<string>(out var hex) && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash))
                {
                    p.RecentEventIds.Add(hash);
                }
            }
        }
        else if (payload[UserFields.EventIds] is JsonArray eventIds)
        {
            // State written before event ids were hashed: the same window, hashed now.
            p.RecentEventIds.AddRange(eventIds.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var id) ? id : null).OfType<string>().Select(UserProfile.EventIdHash));
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
            AppliedEngagement? previous = null;
            foreach (var node in outbox)
            {
                var entry = node is JsonObject o ? DecodeOutbox(o, previous, p.RecentItems) : null;
                if (entry is not null)
                {
                    p.Outbox.Add(entry);
                }

                // An entry left out cannot be followed: the next one's history may be written relative to it.
                previous = entry?.Engagement;
            }
        }

        return p;
    }

    /// <summary>
    /// One outbox entry. Its history is most often the previous entry's history and item (a user's engagements of one
    /// batch follow each other): then only its length is written (<c>history_follows</c>), not 50 ids again; the first
    /// entry's is most often the items just before its own in the user's recent items, stored beside it (then only its
    /// length, <c>history_recent</c>). The items
    /// not liked are a bit mask over the history and the item (<c>not_positive_mask</c>, hex, bit i = position i, the
    /// item last). Both fall back to the plain lists when they would not give the entry back exactly.
    /// </summary>
    private static JsonObject EncodeOutbox(OutboxEntry entry, AppliedEngagement? previous, IReadOnlyList<string> recent)
    {
        var e = entry.Engagement;
        var o = new JsonObject
        {
            ["item_id"] = e.ItemId,
            ["topic"] = e.Topic,
            ["partition"] = e.Partition,
            ["offset"] = e.Offset,
        };
        if (previous is not null && Follows(previous, e.History))
        {
            o["history_follows"] = e.History.Count;
        }
        else if (previous is null && FromRecent(recent, e.ItemId, e.History.Count) is { } before && before.SequenceEqual(e.History, StringComparer.Ordinal))
        {
            o["history_recent"] = e.History.Count;
        }
        else
        {
            o["history"] = Strings(e.History);
        }

        if (e.Retried)
        {
            o["retried"] = true;
        }

        if (e.NotPositive is { Count: > 0 } notPositive)
        {
            if (NotPositiveMask(e, notPositive) is { } mask)
            {
                o["not_positive_mask"] = mask;
            }
            else
            {
                o["not_positive"] = Strings(notPositive.Order(StringComparer.Ordinal));
            }
        }

        if (entry.TriggerKey is { } trigger)
        {
            o["trigger"] = trigger;
            o["trigger_offset"] = entry.TriggerOffset;
        }

        return o;
    }

    /// <summary>True when <paramref name="history"/> is the last <c>history.Count</c> of the previous entry's history
    /// followed by its item.</summary>
    private static bool Follows(AppliedEngagement previous, IReadOnlyList<string> history) =>
        history.Count <= previous.History.Count + 1 && Followed(previous, history.Count).SequenceEqual(history, StringComparer.Ordinal);

    /// <summary>The <paramref name="count"/> items just before <paramref name="itemId"/> in the user's recent items; null
    /// when it is not there or fewer precede it.</summary>
    private static string[]? FromRecent(IReadOnlyList<string> recent, string itemId, int count)
    {
        for (var i = recent.Count - 1; i >= 0; i--)
        {
            if (string.Equals(recent[i], itemId, StringComparison.Ordinal))
            {
                return i >= count ? [.. recent.Skip(i - count).Take(count)] : null;
            }
        }

        return null;
    }

    private static string[] Followed(AppliedEngagement previous, int count)
    {
        var chain = previous.History.Count + 1;
        var history = new string[count];
        for (var i = 0; i < count; i++)
        {
            var at = chain - count + i;
            history[i] = at < previous.History.Count ? previous.History[at] : previous.ItemId;
        }

        return history;
    }

    /// <summary>The mask of <paramref name="notPositive"/> over the history and the item; null when an id of it is in
    /// neither (the plain list is written then).</summary>
    private static string? NotPositiveMask(AppliedEngagement e, IReadOnlySet<string> notPositive)
    {
        var bits = new byte[(e.History.Count + 8) / 8];
        var found = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i <= e.History.Count; i++)
        {
            var id = i < e.History.Count ? e.History[i] : e.ItemId;
            if (notPositive.Contains(id))
            {
                bits[i / 8] |= (byte)(1 << (i % 8));
                found.Add(id);
            }
        }

        return found.Count == notPositive.Count ? Convert.ToHexStringLower(bits) : null;
    }

    private static HashSet<string>? FromMask(string hex, IReadOnlyList<string> history, string itemId)
    {
        byte[] bits;
        try
        {
            bits = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return null;
        }

        var set = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < bits.Length * 8; i++)
        {
            if ((bits[i / 8] & (1 << (i % 8))) == 0)
            {
                continue;
            }

            if (i > history.Count)
            {
                return null;
            }

            set.Add(i < history.Count ? history[i] : itemId);
        }

        return set;
    }

    private static OutboxEntry? DecodeOutbox(JsonObject o, AppliedEngagement? previous, IReadOnlyList<string> recent)
    {
        // Written by this code; a damaged entry is left out rather than making the user unreadable.
        if (Str(o, "item_id") is not { } itemId || Str(o, "topic") is not { } topic)
        {
            return null;
        }

        string[] history;
        if (o["history"] is JsonArray plain)
        {
            history = [.. StringsOf(plain)];
        }
        else if (previous is not null && o["history_follows"] is JsonValue follows && follows.TryGetValue<int>(out var count)
            && count >= 0 && count <= previous.History.Count + 1)
        {
            history = Followed(previous, count);
        }
        else if (previous is null && o["history_recent"] is JsonValue fromRecent && fromRecent.TryGetValue<int>(out var length)
            && length >= 0 && FromRecent(recent, itemId, length) is { } before)
        {
            history = before;
        }
        else
        {
            return null;
        }

        HashSet<string>? notPositive = null;
        if (o["not_positive_mask"] is JsonValue m && m.TryGetValue<string>(out var mask))
        {
            if ((notPositive = FromMask(mask, history, itemId)) is null)
            {
                return null;
            }
        }
        else if (o["not_positive"] is JsonArray np)
        {
            notPositive = StringsOf(np).ToHashSet(StringComparer.Ordinal);
        }

        var engagement = new AppliedEngagement(
            itemId, history, topic, (int)Long(o, "partition"), Long(o, "offset"),
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
