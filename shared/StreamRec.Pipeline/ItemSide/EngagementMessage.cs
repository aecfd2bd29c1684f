using System.Buffers;
using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;
using System.Text;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Messaging;

namespace StreamRec.Pipeline.ItemSide;

/// <summary>
/// Internal message on <see cref="Topics.Engagements"/> (profile-updater to the item side): every contribution one batch
/// of user events makes to the rows of one bucket of items, in the order they were applied. Keyed by the bucket
/// (<see cref="BucketOf"/>): a row's bucket never changes, so each row always reaches the same partition and has one
/// writer, while one batch sends at most <see cref="CoEngagementOptions.Buckets"/> messages instead of one per touched
/// row (a click touches up to HistorySize + 1 rows).
/// </summary>
public sealed record EngagementMessage
{
    public const string SchemaId = "streamrec.engagement/v1";

    public string Schema { get; init; } = SchemaId;
    public required string EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string Bucket { get; init; }
    public required IReadOnlyList<RowContributions> Rows { get; init; }

    /// <summary>The bucket of an item's row: FNV-1a of its UTF-8 id, modulo <paramref name="buckets"/>. Stable across
    /// processes and versions; every producer must use the same number of buckets.</summary>
    public static string BucketOf(string itemId, int buckets) => "b" + BucketIndex(itemId, buckets).ToString(CultureInfo.InvariantCulture);

    private static uint BucketIndex(string itemId, int buckets)
    {
        var hash = 2166136261u;
        Span<byte> small = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(itemId.Length) <= small.Length ? small : new byte[Encoding.UTF8.GetByteCount(itemId)];
        foreach (var b in bytes[..Encoding.UTF8.GetBytes(itemId, bytes)])
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash % (uint)buckets;
    }

    /// <summary>One row's share of an engagement: its whole pair list (the engaged item's own row), or one pair back.</summary>
    private readonly record struct Touch(int Engagement, int Pair);

    /// <summary>
    /// The messages for a batch's applied engagements: one per bucket touched, rows and contributions in applied order
    /// (<see cref="StreamRec.Domain.CoEngagement.Contributions"/>, written straight to the binary encoding).
    /// </summary>
    public static IReadOnlyList<OutgoingMessage> For(IReadOnlyList<AppliedEngagement> engagements, CoEngagementOptions options, DateTimeOffset now)
    {
        var pairsOf = new IReadOnlyList<(string Other, double Weight)>[engagements.Count];
        var rows = new Dictionary<string, List<Touch>>(StringComparer.Ordinal);
        var buckets = new Dictionary<uint, List<string>>();
        var bucketOrder = new List<uint>();
        for (var e = 0; e < engagements.Count; e++)
        {
            var engagement = engagements[e];
            if (StreamRec.Domain.CoEngagement.IsRepeat(engagement.History, engagement.ItemId, options))
            {
                continue;
            }

            var pairs = pairsOf[e] = StreamRec.Domain.CoEngagement.Pairs(engagement.History, engagement.ItemId, options, engagement.NotPositive);
            TouchRow(engagement.ItemId, new Touch(e, -1));
            for (var p = 0; p < pairs.Count; p++)
            {
                TouchRow(pairs[p].Other, new Touch(e, p));
            }
        }

        var messages = new OutgoingMessage[bucketOrder.Count];
        // Each engagement's source partition, as an index into the batch's distinct sources (a handful), and per message
        // that index's place in the message's own source list (-1 until the message names it).
        var allSources = new List<string>();
        var sourceOf = new int[engagements.Count];
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var e = 0; e < engagements.Count; e++)
        {
            var key = engagements[e].PartitionKey;
            if (!byName.TryGetValue(key, out sourceOf[e]))
            {
                byName[key] = sourceOf[e] = allSources.Count;
                allSources.Add(key);
            }
        }

        var sources = new List<string>();
        var localIndex = new int[allSources.Count];
        var buffer = new ArrayBufferWriter<byte>(4096);
        for (var m = 0; m < bucketOrder.Count; m++)
        {
            var members = buckets[bucketOrder[m]];
            sources.Clear();
            Array.Fill(localIndex, -1);
            var total = 0;
            foreach (var member in members)
            {
                foreach (var touch in rows[member])
                {
                    var source = sourceOf[touch.Engagement];
                    if (localIndex[source] < 0)
                    {
                        localIndex[source] = sources.Count;
                        sources.Add(allSources[source]);
                    }

                    total++;
                }
            }

            var bucket = "b" + bucketOrder[m].ToString(CultureInfo.InvariantCulture);
            var first = engagements[rows[members[0]][0].Engagement];
            var writer = new EngagementBinary.Writer(
                // Deterministic: the same contributions give the same id after a replay.
                string.Create(CultureInfo.InvariantCulture, $"eng-{bucket}-{first.PartitionKey}@{first.Offset}-{members.Count}-{total}"),
                now, bucket, sources, members.Count, buffer);
            foreach (var member in members)
            {
                var touches = rows[member];
                writer.Row(member, touches.Count);
                foreach (var (e, p) in touches)
                {
                    var engagement = engagements[e];
                    var pairs = pairsOf[e];
                    var source = localIndex[sourceOf[e]];
                    if (p < 0)
                    {
                        var backward = StreamRec.Domain.CoEngagement.BackwardPairs(pairs, options);
                        writer.Contribution(source, engagement.Offset, engagement.Retried, 1, backward.Count);
                        foreach (var (other, weight) in backward)
                        {
                            writer.Pair(other, weight);
                        }
                    }
                    else
                    {
                        writer.Contribution(source, engagement.Offset, engagement.Retried, 0, 1);
                        writer.Pair(engagement.ItemId, pairs[p].Weight);
                    }
                }
            }

            messages[m] = new OutgoingMessage(Topics.Engagements, bucket, writer.ToArray());
        }

        return messages;

        void TouchRow(string rowId, Touch touch)
        {
            if (!rows.TryGetValue(rowId, out var list))
            {
                rows[rowId] = list = [];
                var bucket = BucketIndex(rowId, options.Buckets);
                if (!buckets.TryGetValue(bucket, out var members))
                {
                    buckets[bucket] = members = [];
                    bucketOrder.Add(bucket);
                }

                members.Add(rowId);
            }

            list.Add(touch);
        }
    }

    /// <summary>The JSON of v1 (what <see cref="For"/> wrote before the binary encoding; still read).</summary>
    public static byte[] ToJson(EngagementMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(V1Message.From(message), EngagementJsonContext.Default.V1Message);

    /// <summary>Parses one message, binary (<see cref="EngagementBinary"/>) or the JSON of v1; null with the reason when it
    /// is not a valid engagement message.</summary>
    public static (EngagementMessage? Message, string? Error) Parse(ReadOnlySpan<byte> value) => Parse(value, null);

    /// <summary><see cref="Parse(ReadOnlySpan{byte})"/>, item ids of binary messages through <paramref name="ids"/>.</summary>
    internal static (EngagementMessage? Message, string? Error) Parse(ReadOnlySpan<byte> value, Utf8StringPool? ids)
    {
        if (EngagementBinary.IsBinary(value))
        {
            return EngagementBinary.Read(value, ids);
        }

        try
        {
            var message = JsonSerializer.Deserialize(value, EngagementJsonContext.Default.V1Message);
            if (message is null || message.Schema != SchemaId)
            {
                return (null, $"{DeadLetterCodes.UnknownSchema}: expected schema '{SchemaId}'");
            }

            return message.IsComplete ? Validate(message.ToMessage()) : (null, Invalid);
        }
        catch (JsonException ex)
        {
            return (null, $"{DeadLetterCodes.MalformedJson}: {ex.Message.Split('.')[0]}");
        }
    }

    internal const string Invalid = $"{DeadLetterCodes.InvalidValue}: rows, item_id, contributions, source and pairs are required, weights and counts finite";

    private static (EngagementMessage? Message, string? Error) Validate(EngagementMessage message)
    {
        foreach (var row in message.Rows)
        {
            if (string.IsNullOrEmpty(row.ItemId))
            {
                return (null, Invalid);
            }

            foreach (var c in row.Contributions)
            {
                if (string.IsNullOrEmpty(c.Source) || !double.IsFinite(c.Count))
                {
                    return (null, Invalid);
                }

                foreach (var (itemId, weight) in c.Pairs)
                {
                    if (string.IsNullOrEmpty(itemId) || !double.IsFinite(weight))
                    {
                        return (null, Invalid);
                    }
                }
            }
        }

        return (message, null);
    }
}

/// <summary>The contributions to one item's row, in applied order.</summary>
public sealed record RowContributions
{
    public required string ItemId { get; init; }
    public required IReadOnlyList<CoEngagementContribution> Contributions { get; init; }
}

/// <summary>The JSON shape of v1 (snake_case; defaults left out: most contributions are a neighbour's).</summary>
internal sealed record V1Message
{
    public string? Schema { get; init; }
    public required string? EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string? Bucket { get; init; }
    public required IReadOnlyList<V1Row?>? Rows { get; init; }

    public bool IsComplete => EventId is not null && Bucket is not null && Rows is not null
        && Rows.All(r => r is { ItemId: not null, Contributions: not null } && r.Contributions.All(c => c is { Source: not null, Pairs: not null } && c.Pairs.All(p => p is { ItemId: not null })));

    public static V1Message From(EngagementMessage m) => new()
    {
        Schema = m.Schema,
        EventId = m.EventId,
        OccurredAt = m.OccurredAt,
        Bucket = m.Bucket,
        Rows = [.. m.Rows.Select(r => new V1Row
        {
            ItemId = r.ItemId,
            Contributions = [.. r.Contributions.Select(c => new V1Contribution
            {
                Source = c.Source, Offset = c.Offset, Retried = c.Retried, Count = c.Count,
                Pairs = [.. c.Pairs.Select(p => new V1Pair { ItemId = p.ItemId, Weight = p.Weight })],
            })],
        })],
    };

    /// <summary>The message; call only when <see cref="IsComplete"/>.</summary>
    public EngagementMessage ToMessage() => new()
    {
        Schema = Schema!,
        EventId = EventId!,
        OccurredAt = OccurredAt,
        Bucket = Bucket!,
        Rows = [.. Rows!.Select(r => new RowContributions
        {
            ItemId = r!.ItemId!,
            Contributions = [.. r.Contributions!.Select(c => new CoEngagementContribution(
                c!.Source!, c.Offset, c.Retried, c.Count, [.. c.Pairs!.Select(p => (p!.ItemId!, p.Weight))]))],
        })],
    };
}

internal sealed record V1Row
{
    public required string? ItemId { get; init; }
    public required IReadOnlyList<V1Contribution?>? Contributions { get; init; }
}

internal sealed record V1Contribution
{
    public required string? Source { get; init; }
    public long Offset { get; init; }
    public bool Retried { get; init; }
    public double Count { get; init; }
    public required IReadOnlyList<V1Pair?>? Pairs { get; init; }
}

internal sealed record V1Pair
{
    public required string? ItemId { get; init; }
    public required double Weight { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(V1Message))]
internal sealed partial class EngagementJsonContext : JsonSerializerContext;
