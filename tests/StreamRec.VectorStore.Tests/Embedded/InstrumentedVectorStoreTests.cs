using Microsoft.Extensions.Time.Testing;
using StreamRec.Observability;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.VectorStore.Tests.Embedded;

public sealed class InstrumentedVectorStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Calls_AreTimedPerOperation_AndFailuresCounted()
    {
        using var inner = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        var store = new InstrumentedVectorStore(inner, new FakeTimeProvider());
        var durations = StreamRecMetrics.VectorStoreRequestDuration.WithLabels(InstrumentedVectorStore.Operations.Count);
        var errors = StreamRecMetrics.VectorStoreErrors.WithLabels(InstrumentedVectorStore.Operations.Count);
        var (observedBefore, errorsBefore) = (durations.Count, errors.Value);

        await store.EnsureCollectionAsync(new CollectionSpec("c", new Dictionary<string, int> { ["v"] = 2 }), Ct);
        Assert.Equal(0, await store.CountAsync("c", Ct));
        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("missing", Ct));

        Assert.True(durations.Count >= observedBefore + 2);
        Assert.True(errors.Value >= errorsBefore + 1);
    }

    [Fact]
    public async Task CancelledCall_IsNotCountedAsStoreError()
    {
        using var inner = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        var store = new InstrumentedVectorStore(inner, TimeProvider.System);
        var errors = StreamRecMetrics.VectorStoreErrors.WithLabels(InstrumentedVectorStore.Operations.Get);
        var before = errors.Value;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.GetAsync("c", ["a"], false, false, new CancellationToken(canceled: true)));

        Assert.Equal(before, errors.Value);
    }
}
