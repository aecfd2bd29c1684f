using Microsoft.Extensions.Time.Testing;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Handlers;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Pipeline.Tests.Handlers;

/// <summary>The item-indexer's handler on an in-memory store: what it indexes and what it rejects.</summary>
public sealed class ItemIndexerHandlerTests : IDisposable
{
    private static readonly DateTimeOffset Now = Catalog.T0.AddDays(1);
    private readonly EmbeddedVectorStore _store = new(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
    private readonly ProfileOptions _profile = new() { MaxFutureSkew = TimeSpan.FromHours(1) };
    private readonly ItemIndexerHandler _handler;

    public ItemIndexerHandlerTests()
    {
        var time = new FakeTimeProvider(Now);
        var engine = new ItemIndexEngine(_store, new HashingEncoder(), time);
        engine.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        _handler = new ItemIndexerHandler(engine, new ParseLimits(), _profile, time);
    }

    public void Dispose() => _store.Dispose();

    private async Task<string[]> IndexedAsync(params string[] ids) =>
        [.. (await _store.GetAsync(Collections.Items, ids, false, false, CancellationToken.None)).Select(p => p.Id)];

    [Fact]
    public async Task HandleAsync_ValidItems_AreIndexed()
    {
        var poison = await _handler.HandleAsync(
            [Consumed.Event(Catalog.Item("a", "space", "space rocket", 1, Now), 0), Consumed.Event(Catalog.Item("b", "garden", "garden seed", 1, Now), 1)],
            CancellationToken.None);

        Assert.Empty(poison);
        Assert.Equal(["a", "b"], (await IndexedAsync("a", "b")).Order());
    }

    [Fact]
    public async Task HandleAsync_ItemStampedBeyondTheFutureSkew_IsPoisonAndNotIndexed()
    {
        var future = Catalog.Item("future", "space", "space rocket", 1, Now + _profile.MaxFutureSkew + TimeSpan.FromMinutes(1));

        var poison = await _handler.HandleAsync([Consumed.Event(Catalog.Item("a", "space", "space rocket", 1, Now), 0), Consumed.Event(future, 1)], CancellationToken.None);

        Assert.Equal(1, Assert.Single(poison).Index);
        Assert.Equal(["a"], await IndexedAsync("a", "future"));
    }

    [Fact]
    public async Task HandleAsync_KeyOtherThanTheItemId_IsPoisonAndNotIndexed()
    {
        var item = Consumed.Event(Catalog.Item("a", "space", "space rocket", 1, Now), 0) with { Key = "b" };

        var poison = await _handler.HandleAsync([item], CancellationToken.None);

        Assert.Contains(DeadLetterCodes.KeyMismatch, Assert.Single(poison).Reason, StringComparison.Ordinal);
        Assert.Empty(await IndexedAsync("a"));
    }
}
