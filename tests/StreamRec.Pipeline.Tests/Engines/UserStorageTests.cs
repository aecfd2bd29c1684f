using System.IO.Hashing;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Pipeline.Tests.Engines;

/// <summary>How a user's state is stored: the duplicate window as id hashes, recent items sharing one string per id in
/// the profile cache, and the users collection on disk by default.</summary>
public sealed class UserStorageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streamrec-users-").FullName;
    private readonly HashingEncoder _encoder = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void EventIdHash_IsXxh3OfTheUtf8Bytes_SoStoredWindowsStayValidAcrossVersions()
    {
        foreach (var id in new[] { "evt-1", "ml-r-1-2492", "événement-ü-😀", new string('x', 600) })
        {
            Assert.Equal(XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(id)), UserProfile.EventIdHash(id));
        }

        Assert.NotEqual(UserProfile.EventIdHash("evt-1"), UserProfile.EventIdHash("evt-2"));
    }

    [Fact]
    public void DuplicateWindow_RoundTripsAsHashes_AndStillRecognisesTheIds()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        for (var i = 0; i < 120; i++)
        {
            profile.RememberEvent($"evt-{i}", 100);
        }

        var point = ProfileCodec.Encode(profile);
        var stored = Assert.IsType<JsonArray>(point.Payload![UserFields.EventHashes]);
        Assert.Equal(100, stored.Count);
        Assert.All(stored, h => Assert.Matches("^[0-9a-f]{16}$", h!.GetValue<string>()));
        Assert.Null(point.Payload[UserFields.EventIds]);

        var loaded = ProfileCodec.Decode(point, _encoder.Dimension);

        Assert.Equal(profile.RecentEventIds, loaded.RecentEventIds);
        Assert.True(loaded.HasSeenEvent("evt-20"));
        Assert.True(loaded.HasSeenEvent("evt-119"));
        Assert.False(loaded.HasSeenEvent("evt-19"));
    }

    [Fact]
    public void StateWrittenBeforeHashes_ItsEventIdsAreHashedOnRead_SoARetriedDuplicateIsStillCaught()
    {
        var point = ProfileCodec.Encode(new UserProfile("u", _encoder.Dimension));
        point.Payload![UserFields.EventIds] = new JsonArray("evt-a", "evt-b");

        var loaded = ProfileCodec.Decode(point, _encoder.Dimension);

        Assert.True(loaded.HasSeenEvent("evt-a"));
        Assert.True(loaded.HasSeenEvent("evt-b"));
        Assert.False(loaded.HasSeenEvent("evt-c"));
        loaded.RememberEvent("evt-c", 100);
        var rewritten = ProfileCodec.Encode(loaded);
        Assert.Null(rewritten.Payload![UserFields.EventIds]);
        Assert.Equal(3, Assert.IsType<JsonArray>(rewritten.Payload[UserFields.EventHashes]).Count);
    }

    [Fact]
    public void ProfilesLoadedForTheCache_ShareOneStringPerItemId_OthersKeepTheirOwn()
    {
        var first = new UserProfile("a", _encoder.Dimension);
        var second = new UserProfile("b", _encoder.Dimension);
        foreach (var profile in new[] { first, second })
        {
            // Fresh strings, as events bring them.
            profile.RememberItem(new string("shared-item".AsSpan()), 200);
            profile.RememberItem(new string($"own-{profile.UserId}".AsSpan()), 200);
        }

        Assert.Same(first.RecentItems[0], second.RecentItems[0]);

        var cachedA = ProfileCodec.Decode(Stored(first), _encoder.Dimension, shareItemIds: true);
        var cachedB = ProfileCodec.Decode(Stored(second), _encoder.Dimension, shareItemIds: true);
        var plain = ProfileCodec.Decode(Stored(first), _encoder.Dimension);

        Assert.Same(cachedA.RecentItems[0], cachedB.RecentItems[0]);
        Assert.Same(first.RecentItems[0], cachedA.RecentItems[0]);
        Assert.Equal("shared-item", plain.RecentItems[0]);
        Assert.NotSame(first.RecentItems[0], plain.RecentItems[0]);
        Assert.Equal(first.RecentItems, cachedA.RecentItems);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UsersCollection_IsDeclaredWhereTheOptionSays_AndProfilesRoundTripEitherWay(bool onDisk)
    {
        var options = new ProfileOptions { UsersOnDisk = onDisk };
        var time = new FakeTimeProvider(Catalog.T0.AddDays(1));
        var item = Catalog.Items().First();
        var itemVector = new float[_encoder.Dimension];
        itemVector[0] = 1;
        using (var embedded = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = Path.Combine(_directory, "vectors.db"), SynchronousFull = false }))
        {
            var store = new SpecRecordingStore(embedded);
            var engine = new ProfileEngine(store, _encoder, options, time);
            await engine.EnsureCollectionAsync(Ct);
            Assert.Equal(onDisk, Assert.Single(store.Specs).OnDisk);
            var profile = (await engine.LoadAsync(["u1"], Ct))["u1"];
            var click = new Click { EventId = "e1", OccurredAt = Catalog.T0, UserId = "u1", ItemId = item.ItemId };
            engine.Apply(profile, new PositionedEvent(click, Topics.UserEvents, 0, 7, Catalog.T0), itemVector, null);
            await engine.SaveAsync([profile], Ct);
        }

        // Reopened with the other setting: the stored users move, and read back alike.
        using var reopened = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = Path.Combine(_directory, "vectors.db"), SynchronousFull = false });
        var again = new ProfileEngine(reopened, _encoder, new ProfileOptions { UsersOnDisk = !onDisk }, time);
        await again.EnsureCollectionAsync(Ct);
        var loaded = (await again.LoadAsync(["u1"], Ct))["u1"];
        Assert.Equal(1, loaded.Clicks);
        Assert.True(loaded.HasSeenEvent("e1"));
        Assert.Equal([item.ItemId], loaded.RecentItems);
        Assert.Equal(1, await reopened.CountAsync(Collections.Users, Ct));
    }

    /// <summary>Forwards to a real store and remembers the collection specs it was asked to ensure.</summary>
    private sealed class SpecRecordingStore(IVectorStore inner) : IVectorStore
    {
        public List<CollectionSpec> Specs { get; } = [];

        public Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken)
        {
            Specs.Add(spec);
            return inner.EnsureCollectionAsync(spec, cancellationToken);
        }

        public Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken) => inner.UpsertAsync(collection, points, cancellationToken);

        public Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken) =>
            inner.GetAsync(collection, ids, withVectors, withPayload, cancellationToken);

        public Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) => inner.DeleteAsync(collection, ids, cancellationToken);

        public Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken) => inner.QueryAsync(collection, query, cancellationToken);

        public Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken) =>
            inner.QueryBatchAsync(collection, queries, cancellationToken);

        public Task<long> CountAsync(string collection, CancellationToken cancellationToken) => inner.CountAsync(collection, cancellationToken);

        public Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken) => inner.ScrollAsync(collection, request, cancellationToken);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The profile's point as a store gives it back: its payload parsed from text, every string a new one.</summary>
    private static VectorPoint Stored(UserProfile profile)
    {
        var point = ProfileCodec.Encode(profile);
        return point with { Payload = JsonNode.Parse(point.Payload!.ToJsonString())!.AsObject() };
    }
}
