using Microsoft.Extensions.Time.Testing;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Messaging;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Handlers;
using StreamRec.Pipeline.ItemSide;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Pipeline.Tests.Handlers;

/// <summary>The item side's handler and its row cache (replays and bad messages: <c>CoEngagementItemSideTests</c>).</summary>
public sealed class CoEngagementHandlerTests : IDisposable
{
    private readonly EmbeddedVectorStore _inner = new(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
    private readonly RecordingVectorStore _store;
    private readonly FakeTimeProvider _time = new(Catalog.T0);
    private readonly CoEngagementStore _rows;

    public CoEngagementHandlerTests()
    {
        _store = new RecordingVectorStore(_inner, new EffectLog());
        _rows = new CoEngagementStore(_store, new CoEngagementOptions { Buckets = 1 }, _time);
        _rows.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose() => _inner.Dispose();

    /// <summary>The engagements message of one click on "b" after <paramref name="previous"/>, from <paramref name="partition"/>.</summary>
    private List<ConsumedMessage> ClickOnB(string previous, int partition) =>
        Consumed.From(EngagementMessage.For([new AppliedEngagement("b", [previous], Topics.UserEvents, partition, 1, Retried: false)], _rows.Options, _time.GetUtcNow()));

    private async Task<string[]> NeighboursOfBAsync() => [.. (await _rows.LoadAsync(["b"], CancellationToken.None))["b"].Neighbours.Keys.Order()];

    [Fact]
    public async Task OnPartitionsRevoked_DropsCachedRows_SoWhatTheNextOwnerWroteIsKept()
    {
        var first = new CoEngagementHandler(_rows, _time);
        await first.HandleAsync(ClickOnB("a", partition: 0), CancellationToken.None);

        // The partition moves to another instance, which writes the row; then it comes back.
        first.OnPartitionsRevoked([new PartitionId(Topics.Engagements, 0)]);
        await new CoEngagementHandler(_rows, _time).HandleAsync(ClickOnB("c", partition: 1), CancellationToken.None);
        first.OnPartitionsAssigned([new PartitionId(Topics.Engagements, 0)]);
        await first.HandleAsync(ClickOnB("d", partition: 2), CancellationToken.None);

        Assert.Equal(["a", "c", "d"], await NeighboursOfBAsync());
    }

    [Fact]
    public async Task HandleAsync_WriteFails_TheRetryReloadsTheRowInsteadOfKeepingTheUnsavedChange()
    {
        var handler = new CoEngagementHandler(_rows, _time);
        await handler.HandleAsync(ClickOnB("a", partition: 0), CancellationToken.None);

        _store.FailUpsertsInto = Collections.ItemEngagement;
        await Assert.ThrowsAsync<InvalidOperationException>(() => handler.HandleAsync(ClickOnB("c", partition: 1), CancellationToken.None));
        _store.FailUpsertsInto = null;
        // The consumer retries the batch: a row still cached with the unsaved contribution would skip it as a replay.
        await handler.HandleAsync(ClickOnB("c", partition: 1), CancellationToken.None);

        Assert.Equal(["a", "c"], await NeighboursOfBAsync());
    }
}
