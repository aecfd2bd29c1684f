using Microsoft.Extensions.DependencyInjection;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;

namespace StreamRec.Reliability.Tests.Support;

/// <summary>
/// Wraps the real store of an in-process host. While <see cref="Failing"/>, every call on the users collection fails
/// like a Qdrant outage would (503 answers and timeouts, alternately); <see cref="UsersWriteDelay"/> makes user writes
/// slow. Counts what it saw.
/// </summary>
internal sealed class FlakyVectorStore(IVectorStore inner) : IVectorStore
{
    private int _failures;
    private int _userWrites;

    private volatile bool _failing;

    /// <summary>While true, every users-collection call fails.</summary>
    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    /// <summary>Delay before each users upsert (slow handler); zero by default. A test may change it while hosts run.</summary>
    public TimeSpan UsersWriteDelay { get; set; }

    /// <summary>Applies <see cref="UsersWriteDelay"/> to the first N user writes only (0: all).</summary>
    public int SlowWrites { get; set; }

    public int Failures => Volatile.Read(ref _failures);

    public int UserWrites => Volatile.Read(ref _userWrites);

    /// <summary>Largest number of users in one write.</summary>
    public int LargestUsersWrite { get; private set; }

    /// <summary>Replaces the host's <see cref="IVectorStore"/> with a flaky wrapper around it.</summary>
    public static Action<IServiceCollection> Decorate(Action<FlakyVectorStore> created) => services =>
    {
        var original = services.Last(d => d.ServiceType == typeof(IVectorStore));
        services.Remove(original);
        services.AddSingleton<IVectorStore>(sp =>
        {
            var flaky = new FlakyVectorStore((IVectorStore)original.ImplementationFactory!(sp));
            created(flaky);
            return flaky;
        });
    };

    public Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken) => inner.EnsureCollectionAsync(spec, cancellationToken);

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        if (collection == Collections.Users)
        {
            Fail();
            var n = Interlocked.Increment(ref _userWrites);
            LargestUsersWrite = Math.Max(LargestUsersWrite, points.Count);
            if (UsersWriteDelay > TimeSpan.Zero && (SlowWrites == 0 || n <= SlowWrites))
            {
                await Task.Delay(UsersWriteDelay, cancellationToken);
            }
        }

        await inner.UpsertAsync(collection, points, cancellationToken);
    }

    public Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken)
    {
        if (collection == Collections.Users)
        {
            Fail();
        }

        return inner.GetAsync(collection, ids, withVectors, withPayload, cancellationToken);
    }

    public Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) => inner.DeleteAsync(collection, ids, cancellationToken);

    public Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken) => inner.QueryAsync(collection, query, cancellationToken);

    public Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken) =>
        inner.QueryBatchAsync(collection, queries, cancellationToken);

    public Task<long> CountAsync(string collection, CancellationToken cancellationToken) => inner.CountAsync(collection, cancellationToken);

    public Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken)
    {
        if (collection == Collections.Users)
        {
            Fail();
        }

        return inner.ScrollAsync(collection, request, cancellationToken);
    }

    private void Fail()
    {
        if (!Failing)
        {
            return;
        }

        var n = Interlocked.Increment(ref _failures);
        throw n % 2 == 0
            ? new TimeoutException("injected: the vector store did not answer in time")
            : new VectorStoreException("injected: 503 Service Unavailable", statusCode: 503, isTransient: true);
    }
}
