using System.Text.Json.Nodes;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Observability;
using StreamRec.Ports;

namespace StreamRec.Pipeline.Engines;

/// <summary>An event with where it came from. Offsets make replays detectable; ReceivedAt is the Kafka timestamp.</summary>
public sealed record PositionedEvent(IStreamRecEvent Event, string Topic, int Partition, long Offset, DateTimeOffset ReceivedAt);

public enum ApplyOutcome
{
    /// <summary>The event changed the profile.</summary>
    Applied,

    /// <summary>Its offset was already applied to this user: nothing changed.</summary>
    SkippedReplay,

    /// <summary>The item has no vector yet (not indexed, or a tombstone): try again later.</summary>
    ItemNotReady,

    /// <summary>The user was forgotten.</summary>
    Forgotten,

    /// <summary>The event cannot be applied, ever (see the reason).</summary>
    Rejected,
}

/// <param name="Outcome">What happened.</param>
/// <param name="Reason">For <see cref="ApplyOutcome.Rejected"/> and <see cref="ApplyOutcome.ItemNotReady"/>.</param>
public readonly record struct ApplyResult(ApplyOutcome Outcome, string? Reason = null);

/// <summary>
/// Applies clicks, reviews and forget requests to user profiles, and loads and saves profiles in the users
/// collection. Kafka-free: the profile-updater's handler and the offline evaluation share it.
/// </summary>
public sealed class ProfileEngine
{
    private readonly IVectorStore _store;
    private readonly ITextEncoder _encoder;
    private readonly ProfileOptions _options;
    private readonly TimeProvider _time;

    public ProfileEngine(IVectorStore store, ITextEncoder encoder, ProfileOptions options, TimeProvider time)
    {
        _store = store;
        _encoder = encoder;
        _options = options;
        _time = time;
    }

    public ProfileOptions Options => _options;

    public int Dimension => _encoder.Dimension;

    public Task EnsureCollectionAsync(CancellationToken cancellationToken) =>
        _store.EnsureCollectionAsync(Collections.UsersSpec(_encoder.Dimension), cancellationToken);

    /// <summary>Loads the profiles of <paramref name="userIds"/>; users with no stored state get a new, empty profile.</summary>
    public async Task<Dictionary<string, UserProfile>> LoadAsync(IReadOnlyCollection<string> userIds, CancellationToken cancellationToken)
    {
        var result = await ProfileCodec.ReadAsync(_store, userIds, cancellationToken);
        foreach (var id in userIds)
        {
            if (!result.TryGetValue(id, out var stored) || stored.Dimension != _encoder.Dimension)
            {
                result[id] = new UserProfile(id, _encoder.Dimension);
            }
        }

        return result;
    }

    /// <summary>Writes the profiles (durable on return).</summary>
    public Task SaveAsync(IReadOnlyCollection<UserProfile> profiles, CancellationToken cancellationToken) =>
        profiles.Count == 0
            ? Task.CompletedTask
            : _store.UpsertAsync(Collections.Users, profiles.Select(ProfileCodec.Encode).ToArray(), cancellationToken);

    /// <summary>Item vectors for the ids that are indexed and not tombstones. Retired items still count: a click on one still says something about the user.</summary>
    public async Task<Dictionary<string, float[]>> ItemVectorsAsync(IReadOnlyCollection<string> itemIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, float[]>(itemIds.Count, StringComparer.Ordinal);
        if (itemIds.Count == 0)
        {
            return result;
        }

        var points = await _store.GetAsync(Collections.Items, itemIds.ToArray(), withVectors: true, withPayload: true, cancellationToken);
        foreach (var p in points)
        {
            var tombstone = p.Payload?[ItemFields.Tombstone] is JsonValue t && t.TryGetValue<bool>(out var isTombstone) && isTombstone;
            if (!tombstone && p.Vectors.TryGetValue(Collections.ItemVector, out var v))
            {
                result[p.Id] = v;
            }
        }

        return result;
    }

    /// <summary>Encodes the review texts of a batch in one encoder call; result[i] is null where event i has no text.</summary>
    public async Task<float[]?[]> ReviewTextVectorsAsync(IReadOnlyList<PositionedEvent> events, CancellationToken cancellationToken)
    {
        var result = new float[]?[events.Count];
        var indexes = new List<int>();
        var texts = new List<string>();
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Event is Review { Text: { } text } && !string.IsNullOrWhiteSpace(text))
            {
                indexes.Add(i);
                texts.Add(text);
            }
        }

        if (texts.Count > 0)
        {
            var started = _time.GetTimestamp();
            var vectors = await _encoder.EncodeAsync(texts, cancellationToken);
            StreamRecMetrics.StageDuration.WithLabels("encode").Observe(_time.GetElapsedTime(started).TotalSeconds);
            for (var j = 0; j < indexes.Count; j++)
            {
                result[indexes[j]] = vectors[j];
            }
        }

        return result;
    }

    /// <summary>
    /// Applies one event to its user's profile. Pure apart from reading the clock for the future-skew check:
    /// the caller supplies the item's vector (null when not indexed) and the review text's vector.
    /// </summary>
    public ApplyResult Apply(UserProfile profile, PositionedEvent positioned, float[]? itemVector, float[]? textVector)
    {
        var e = positioned.Event;
        if (profile.HasApplied(positioned.Topic, positioned.Partition, positioned.Offset))
        {
            return new ApplyResult(ApplyOutcome.SkippedReplay);
        }

        if (e.OccurredAt > _time.GetUtcNow() + _options.MaxFutureSkew)
        {
            return new ApplyResult(ApplyOutcome.Rejected, $"occurred_at {e.OccurredAt:O} is more than {_options.MaxFutureSkew} in the future");
        }

        switch (e)
        {
            case UserForget:
                profile.Forget();
                break;

            case Click click:
                if (itemVector is null)
                {
                    return new ApplyResult(ApplyOutcome.ItemNotReady, $"item '{click.ItemId}' is not indexed yet");
                }

                profile.AddContribution(itemVector, _options.ClickWeight, click.OccurredAt, _options);
                profile.RememberItem(click.ItemId, _options.SeenHistory);
                profile.Clicks++;
                profile.Forgotten = false;
                break;

            case Review review:
                if (itemVector is null)
                {
                    return new ApplyResult(ApplyOutcome.ItemNotReady, $"item '{review.ItemId}' is not indexed yet");
                }

                var direction = InteractionWeights.ReviewVector(itemVector, textVector ?? [], _options);
                profile.AddContribution(direction, InteractionWeights.Review(review.Rating, _options), review.OccurredAt, _options);
                profile.RememberItem(review.ItemId, _options.SeenHistory);
                profile.Reviews++;
                profile.Forgotten = false;
                break;

            default:
                return new ApplyResult(ApplyOutcome.Rejected, $"schema '{e.Schema}' does not belong on {positioned.Topic}");
        }

        profile.MarkApplied(positioned.Topic, positioned.Partition, positioned.Offset);
        profile.Version++;
        return new ApplyResult(e is UserForget ? ApplyOutcome.Forgotten : ApplyOutcome.Applied);
    }

    /// <summary>The item id a user event refers to, if any.</summary>
    public static string? ItemIdOf(IStreamRecEvent e) => e switch
    {
        Click c => c.ItemId,
        Review r => r.ItemId,
        _ => null,
    };
}

/// <summary>Maps a <see cref="UserProfile"/> to a users-collection point and back.</summary>
public static class ProfileCodec
{
    /// <summary>Reads the stored profiles of <paramref name="userIds"/>; users never stored are absent from the result.</summary>
    public static async Task<Dictionary<string, UserProfile>> ReadAsync(IVectorStore store, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken)
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
            result[point.Id] = Decode(point, dimension);
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

        return new VectorPoint(
            p.UserId,
            new Dictionary<string, float[]> { [Collections.ShortTermVector] = (float[])p.ShortTerm.Clone(), [Collections.LongTermVector] = (float[])p.LongTerm.Clone() },
            payload);
    }

    public static UserProfile Decode(VectorPoint point, int dimension)
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

        return p;
    }

    private static long Long(JsonObject payload, string key) =>
        payload[key] is JsonValue v && v.TryGetValue<long>(out var value) ? value
        : payload[key] is JsonValue d && d.TryGetValue<double>(out var dv) ? (long)dv : 0;

}
