using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StreamRec.FaultInjection;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;

namespace StreamRec.Reliability.Tests.FaultInjection;

/// <summary>The crash hooks themselves: off means not registered; on, they fire exactly at the configured call.</summary>
public sealed class FaultInjectionTests
{
    private static readonly VectorPoint Point = new("u1", new Dictionary<string, float[]> { ["short"] = [1f], ["long"] = [1f] }, null);

    [Fact]
    public void NotConfigured_RegistersNothing_TheStoreIsTheOriginal()
    {
        var services = new ServiceCollection();
        var original = new RecordingStore();
        services.AddSingleton<IVectorStore>(original);
        var before = services.Count;

        services.AddStreamRecFaultInjection(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamRec:FaultInjection:CrashAfterUserWrites"] = "0",
        }).Build());

        Assert.Equal(before, services.Count);
        using var provider = services.BuildServiceProvider();
        Assert.Same(original, provider.GetRequiredService<IVectorStore>());
    }

    [Fact]
    public void Configured_DecoratesTheRegisteredStore()
    {
        var services = new ServiceCollection().AddSingleton(TimeProvider.System);
        var original = new RecordingStore();
        services.AddSingleton<IVectorStore>(original);
        services.AddStreamRecFaultInjection(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamRec:FaultInjection:CrashAfterUserWrites"] = "3",
        }).Build());

        using var provider = services.BuildServiceProvider();
        Assert.IsType<FaultInjectionVectorStore>(provider.GetRequiredService<IVectorStore>());
    }

    [Fact]
    public async Task CrashAfterUserWrites_FiresAfterTheNthUsersWriteReturned_NotForItems()
    {
        var inner = new RecordingStore();
        var crashes = new List<string>();
        var store = new FaultInjectionVectorStore(inner, new FaultInjectionOptions { CrashAfterUserWrites = 2 }, TimeProvider.System, crashes.Add);
        var ct = TestContext.Current.CancellationToken;

        await store.UpsertAsync(Collections.Items, [Point], ct);
        await store.UpsertAsync(Collections.Users, [Point], ct);
        Assert.Empty(crashes);
        await store.UpsertAsync(Collections.Users, [Point], ct);
        Assert.Single(crashes);
        // The write under test reached the store before the crash: durable, offsets not yet stored.
        Assert.Equal(2, inner.UserWrites);
        await store.UpsertAsync(Collections.Users, [Point], ct);
        Assert.Single(crashes);
    }

    [Fact]
    public async Task CrashBeforeListPublish_WaitsTheDelayOnTheNthCandidateQuery_ThenFires()
    {
        var time = new FakeTimeProvider();
        var inner = new RecordingStore();
        var crashes = new List<string>();
        var store = new FaultInjectionVectorStore(inner, new FaultInjectionOptions { CrashBeforeListPublish = 1, CrashBeforeListPublishDelay = TimeSpan.FromSeconds(3) }, time, crashes.Add);
        var query = new VectorQuery([1f], "text", 5);

        var pending = store.QueryBatchAsync(Collections.Items, [query], TestContext.Current.CancellationToken);
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(crashes);
        time.Advance(TimeSpan.FromSeconds(1));
        await pending;
        Assert.Single(crashes);
        Assert.Contains("before list publish", crashes[0], StringComparison.Ordinal);
    }

    private sealed class RecordingStore : IVectorStore
    {
        public int UserWrites { get; private set; }

        public Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
        {
            if (collection == Collections.Users)
            {
                UserWrites++;
            }

            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<VectorPoint>>([]);

        public Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ScoredPoint>>([]);

        public Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<IReadOnlyList<ScoredPoint>>>([.. queries.Select(_ => (IReadOnlyList<ScoredPoint>)[])]);

        public Task<long> CountAsync(string collection, CancellationToken cancellationToken) => Task.FromResult(0L);

        public Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new ScrollPage([], null));
    }
}
