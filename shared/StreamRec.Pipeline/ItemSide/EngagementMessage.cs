using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using System.Text.Json;
using System.Text;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Messaging;
using StreamRec.Pipeline.Engines;

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
    public static string BucketOf(string itemId, int buckets)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(itemId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return "b" + (hash % (uint)buckets).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The messages for a batch's applied engagements: one per bucket touched, rows and contributions in applied order.</summary>
    public static IReadOnlyList<OutgoingMessage> For(IReadOnlyList<AppliedEngagement> engagements, CoEngagementOptions options, DateTimeOffset now)
    {
        var rows = new Dictionary<string, List<ContributionDto>>(StringComparer.Ordinal);
        var buckets = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var bucketOrder = new List<string>();
        foreach (var engagement in engagements)
        {
            var source = $"{engagement.Topic}:{engagement.Partition.ToString(CultureInfo.InvariantCulture)}";
            foreach (var (rowId, c) in StreamRec.Domain.CoEngagement.Contributions(engagement.History, engagement.ItemId, source, engagement.Offset, engagement.Retried, options, engagement.NotPositive))
            {
                if (!rows.TryGetValue(rowId, out var list))
                {
                    rows[rowId] = list = [];
                    var bucket = BucketOf(rowId, options.Buckets);
                    if (!buckets.TryGetValue(bucket, out var members))
                    {
                        buckets[bucket] = members = [];
                        bucketOrder.Add(bucket);
                    }

                    members.Add(rowId);
                }

                list.Add(ContributionDto.From(c));
            }
        }

        return bucketOrder.Select(bucket =>
        {
            var members = buckets[bucket];
            var first = rows[members[0]][0];
            var message = new EngagementMessage
            {
                // Deterministic: the same contributions give the same id after a replay.
                EventId = "eng-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
                    $"{bucket}\n{first.Source}@{first.Offset}\n{members.Count}\n{members.Sum(m => rows[m].Count)}")).AsSpan(0, 12)),
                OccurredAt = now,
                Bucket = bucket,
                Rows = members.Select(m => new RowContributions { ItemId = m, Contributions = rows[m] }).ToArray(),
            };
            return new OutgoingMessage(Topics.Engagements, bucket, EngagementBinary.Write(message));
        }).ToArray();
    }

    /// <summary>The JSON of v1 (what <see cref="For"/> wrote before the binary encoding; still read).</summary>
    public static byte[] ToJson(EngagementMessage message) => JsonSerializer.SerializeToUtf8Bytes(message, EngagementJsonContext.Default.EngagementMessage);

    /// <summary>Parses one message, binary (<see cref="EngagementBinary"/>) or the JSON of v1; null with the reason when it
    /// is not a valid engagement message.</summary>
    public static (EngagementMessage? Message, string? Error) Parse(ReadOnlySpan<byte> value)
    {
        if (EngagementBinary.IsBinary(value))
        {
            var (binary, error) = EngagementBinary.Read(value);
            return binary is null ? (null, error) : Validate(binary);
        }

        try
        {
            var message = JsonSerializer.Deserialize(value, EngagementJsonContext.Default.EngagementMessage);
            if (message is null || message.Schema != SchemaId)
            {
                return (null, $"{DeadLetterCodes.UnknownSchema}: expected schema '{SchemaId}'");
            }

            return Validate(message);
        }
        catch (JsonException ex)
        {
            return (null, $"{DeadLetterCodes.MalformedJson}: {ex.Message.Split('.')[0]}");
        }
    }

    private static (EngagementMessage? Message, string? Error) Validate(EngagementMessage message) =>
        message.Rows is null || message.Rows.Any(r => r is null || string.IsNullOrEmpty(r.ItemId) || r.Contributions is null
            || r.Contributions.Any(c => c is null || string.IsNullOrEmpty(c.Source) || c.Pairs is null || !double.IsFinite(c.Count)
                || c.Pairs.Any(p => p is null || string.IsNullOrEmpty(p.ItemId) || !double.IsFinite(p.Weight))))
            ? (null, $"{DeadLetterCodes.InvalidValue}: rows, item_id, contributions, source and pairs are required, weights and counts finite")
            : (message, null);
}

/// <summary>The contributions to one item's row.</summary>
public sealed record RowContributions
{
    public required string ItemId { get; init; }
    public required IReadOnlyList<ContributionDto> Contributions { get; init; }
}

/// <summary>One contribution on the wire.</summary>
public sealed record ContributionDto
{
    public required string Source { get; init; }
    public long Offset { get; init; }
    public bool Retried { get; init; }
    public double Count { get; init; }
    public required IReadOnlyList<PairDto> Pairs { get; init; }

    public static ContributionDto From(CoEngagementContribution c) => new()
    {
        Source = c.Source,
        Offset = c.Offset,
        Retried = c.Retried,
        Count = c.Count,
        Pairs = c.Pairs.Select(p => new PairDto { ItemId = p.ItemId, Weight = p.Weight }).ToArray(),
    };

    public CoEngagementContribution ToDomain() => new(Source, Offset, Retried, Count, Pairs.Select(p => (p.ItemId, p.Weight)).ToArray());
}

public sealed record PairDto
{
    public required string ItemId { get; init; }
    public required double Weight { get; init; }
}

// Defaults (retried false, count 0 on a neighbour's row) are left out: most contributions are a neighbour's.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(EngagementMessage))]
internal sealed partial class EngagementJsonContext : JsonSerializerContext;
