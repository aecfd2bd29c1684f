using System.Text;
using System.Text.Json.Nodes;
using StreamRec.Contracts;
using StreamRec.Observability;
using StreamRec.Ports;

namespace StreamRec.Pipeline.Engines;

/// <summary>What <see cref="ItemIndexEngine.IndexAsync"/> did with a batch.</summary>
/// <param name="Upserted">Items written with a new vector.</param>
/// <param name="Retired">Items marked retired (or tombstoned).</param>
/// <param name="Stale">Events ignored because the store already holds that version or a newer one.</param>
public sealed record IndexResult(int Upserted, int Retired, int Stale);

/// <summary>
/// Encodes items and writes them to the items collection. Kafka-free: the item-indexer service, the
/// all-in-one host and the offline evaluation all call this.
/// </summary>
/// <remarks>
/// Versions: an event whose version is not newer than the stored one is ignored, so an out-of-order or
/// replayed update never overwrites a newer item. A retirement keeps the point (with its vector) and
/// sets <c>retired</c>, which every recommendation query filters out; a retirement for an item not seen
/// yet stores a tombstone carrying its version, so a late, older upsert cannot bring it back. A forced retirement
/// (<c>force: true</c>, for operators) ignores the stored version and replaces it with its own: the way to remove an item
/// whose version a bad event pushed far into the future.
/// </remarks>
public sealed class ItemIndexEngine
{
    private readonly IVectorStore _store;
    private readonly ITextEncoder _encoder;
    private readonly TimeProvider _time;

    public ItemIndexEngine(IVectorStore store, ITextEncoder encoder, TimeProvider time)
    {
        _store = store;
        _encoder = encoder;
        _time = time;
    }

    public Task EnsureCollectionAsync(CancellationToken cancellationToken) =>
        _store.EnsureCollectionAsync(Collections.ItemsSpec(_encoder.Dimension), cancellationToken);

    /// <summary>The text the encoder sees for an item: title, text and tags.</summary>
    public static string TextOf(ItemUpserted item)
    {
        var sb = new StringBuilder(item.Title.Length + (item.Text?.Length ?? 0) + 64);
        sb.Append(item.Title);
        if (!string.IsNullOrWhiteSpace(item.Text))
        {
            sb.Append(". ").Append(item.Text);
        }

        if (item.Tags is { Count: > 0 })
        {
            sb.Append(". ").AppendJoin(", ", item.Tags);
        }

        return sb.ToString();
    }

    /// <summary>Indexes a batch of <see cref="ItemUpserted"/> and <see cref="ItemRetired"/> events (others are ignored).</summary>
    public async Task<IndexResult> IndexAsync(IReadOnlyList<IStreamRecEvent> events, CancellationToken cancellationToken)
    {
        // Newest version per item within the batch; equal versions keep the later event (a replay of the same event is identical).
        var latest = new Dictionary<string, IStreamRecEvent>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e is not (ItemUpserted or ItemRetired))
            {
                continue;
            }

            var id = e.Key;
            if (!latest.TryGetValue(id, out var current) || IsForced(e) || (VersionOf(e) >= VersionOf(current) && !IsForced(current)))
            {
                latest[id] = e;
            }
        }

        if (latest.Count == 0)
        {
            return new IndexResult(0, 0, 0);
        }

        var ids = latest.Keys.ToArray();
        var needVectors = latest.Values.Any(e => e is ItemRetired);
        var existing = (await _store.GetAsync(Collections.Items, ids, withVectors: needVectors, withPayload: true, cancellationToken))
            .ToDictionary(p => p.Id, StringComparer.Ordinal);

        var stale = events.Count(e => e is ItemUpserted or ItemRetired) - latest.Count;
        var upserts = new List<ItemUpserted>();
        var retirements = new List<ItemRetired>();
        foreach (var (id, e) in latest)
        {
            if (existing.TryGetValue(id, out var point) && StoredVersion(point) >= VersionOf(e) && !IsForced(e))
            {
                stale++;
                continue;
            }

            if (e is ItemUpserted u)
            {
                upserts.Add(u);
            }
            else
            {
                retirements.Add((ItemRetired)e);
            }
        }

        var points = new List<VectorPoint>(upserts.Count + retirements.Count);
        if (upserts.Count > 0)
        {
            var started = _time.GetTimestamp();
            var vectors = await _encoder.EncodeAsync(upserts.Select(TextOf).ToArray(), cancellationToken);
            StreamRecMetrics.StageDuration.WithLabels("encode").Observe(_time.GetElapsedTime(started).TotalSeconds);
            for (var i = 0; i < upserts.Count; i++)
            {
                points.Add(new VectorPoint(upserts[i].ItemId, new Dictionary<string, float[]> { [Collections.ItemVector] = vectors[i] }, PayloadOf(upserts[i])));
            }
        }

        foreach (var r in retirements)
        {
            points.Add(RetiredPoint(r, existing.GetValueOrDefault(r.ItemId)));
        }

        if (points.Count > 0)
        {
            var started = _time.GetTimestamp();
            await _store.UpsertAsync(Collections.Items, points, cancellationToken);
            StreamRecMetrics.StageDuration.WithLabels("store").Observe(_time.GetElapsedTime(started).TotalSeconds);
        }

        StreamRecMetrics.ItemsIndexed.WithLabels("upsert").Inc(upserts.Count);
        StreamRecMetrics.ItemsIndexed.WithLabels("retire").Inc(retirements.Count);
        return new IndexResult(upserts.Count, retirements.Count, stale);
    }

    private JsonObject PayloadOf(ItemUpserted u)
    {
        var tags = new JsonArray();
        foreach (var tag in u.Tags ?? [])
        {
            tags.Add(tag);
        }

        return new JsonObject
        {
            [ItemFields.ItemId] = u.ItemId,
            [ItemFields.Title] = u.Title,
            [ItemFields.Tags] = tags,
            [ItemFields.PublishedAt] = (double)(u.PublishedAt ?? u.OccurredAt).ToUnixTimeMilliseconds() / 1000.0,
            [ItemFields.Retired] = false,
            [ItemFields.Version] = u.EffectiveVersion,
            [ItemFields.UpdatedAt] = _time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
    }

    private VectorPoint RetiredPoint(ItemRetired r, VectorPoint? existing)
    {
        if (existing is not null && existing.Vectors.TryGetValue(Collections.ItemVector, out var vector) && existing.Payload is not null)
        {
            var payload = (JsonObject)existing.Payload.DeepClone();
            payload[ItemFields.Retired] = true;
            payload[ItemFields.Version] = r.EffectiveVersion;
            payload[ItemFields.UpdatedAt] = _time.GetUtcNow().ToUnixTimeMilliseconds();
            return new VectorPoint(r.ItemId, new Dictionary<string, float[]> { [Collections.ItemVector] = vector }, payload);
        }

        // Retired before it was ever indexed: a placeholder unit vector, filtered out everywhere by retired=true.
        var placeholder = new float[_encoder.Dimension];
        placeholder[0] = 1f;
        return new VectorPoint(
            r.ItemId,
            new Dictionary<string, float[]> { [Collections.ItemVector] = placeholder },
            new JsonObject
            {
                [ItemFields.ItemId] = r.ItemId,
                [ItemFields.Retired] = true,
                [ItemFields.Tombstone] = true,
                [ItemFields.Version] = r.EffectiveVersion,
                [ItemFields.UpdatedAt] = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            });
    }

    private static bool IsForced(IStreamRecEvent e) => e is ItemRetired { Force: true };

    private static long VersionOf(IStreamRecEvent e) => e switch
    {
        ItemUpserted u => u.EffectiveVersion,
        ItemRetired r => r.EffectiveVersion,
        _ => long.MinValue,
    };

    private static long StoredVersion(VectorPoint point) =>
        point.Payload?[ItemFields.Version] is JsonValue v && v.TryGetValue<long>(out var version) ? version : long.MinValue;
}
