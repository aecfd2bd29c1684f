using StreamRec.Observability;

namespace StreamRec.Ports;

/// <summary>
/// Decorates any <see cref="IVectorStore"/> with the vector-store metrics: every call's latency in
/// <see cref="StreamRecMetrics.VectorStoreRequestDuration"/> and every failed call in
/// <see cref="StreamRecMetrics.VectorStoreErrors"/>, labelled by operation. Adapters retry inside,
/// so one observation is one call as the service sees it, retries included.
/// </summary>
public sealed class InstrumentedVectorStore : IVectorStore
{
    /// <summary>The operation label values.</summary>
    public static class Operations
    {
        public const string EnsureCollection = "ensure_collection";
        public const string Upsert = "upsert";
        public const string Get = "get";
        public const string Delete = "delete";
        public const string Query = "query";
        public const string QueryBatch = "query_batch";
        public const string Count = "count";
        public const string Scroll = "scroll";

        public static readonly IReadOnlyList<string> All = [EnsureCollection, Upsert, Get, Delete, Query, QueryBatch, Count, Scroll];
    }

    private readonly IVectorStore _inner;
    private readonly TimeProvider _timeProvider;

    public InstrumentedVectorStore(IVectorStore inner, TimeProvider timeProvider)
    {
        _inner = inner;
        _timeProvider = timeProvider;

        // Export every operation's error counter at 0 from the start: rate() and alerts over a series that does not
        // exist yet show "no data" instead of zero.
        foreach (var operation in Operations.All)
        {
            StreamRecMetrics.VectorStoreErrors.WithLabels(operation);
        }
    }

    /// <summary>The decorated store.</summary>
    public IVectorStore Inner => _inner;

    public Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken) =>
        Measure(Operations.EnsureCollection, async () =>
        {
            await _inner.EnsureCollectionAsync(spec, cancellationToken);
            return true;
        });

    public Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken) =>
        Measure(Operations.Upsert, async () =>
        {
            await _inner.UpsertAsync(collection, points, cancellationToken);
            return true;
        });

    public Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken) =>
        Measure(Operations.Get, () => _inner.GetAsync(collection, ids, withVectors, withPayload, cancellationToken));

    public Task<IReadOnlyList<VectorPoint>> GetAsync(
        string collection, IReadOnlyList<string> ids, bool withVectors, IReadOnlyList<string> payloadFields, CancellationToken cancellationToken) =>
        Measure(Operations.Get, () => _inner.GetAsync(collection, ids, withVectors, payloadFields, cancellationToken));

    public Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        Measure(Operations.Delete, async () =>
        {
            await _inner.DeleteAsync(collection, ids, cancellationToken);
            return true;
        });

    public Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken) =>
        Measure(Operations.Query, () => _inner.QueryAsync(collection, query, cancellationToken));

    public Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken) =>
        Measure(Operations.QueryBatch, () => _inner.QueryBatchAsync(collection, queries, cancellationToken));

    public Task<long> CountAsync(string collection, CancellationToken cancellationToken) =>
        Measure(Operations.Count, () => _inner.CountAsync(collection, cancellationToken));

    public Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken) =>
        Measure(Operations.Scroll, () => _inner.ScrollAsync(collection, request, cancellationToken));

    private async Task<T> Measure<T>(string operation, Func<Task<T>> call)
    {
        var started = _timeProvider.GetTimestamp();
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A cancelled call is the caller's decision (shutdown), not a store failure.
            StreamRecMetrics.VectorStoreErrors.WithLabels(operation).Inc();
            throw;
        }
        finally
        {
            StreamRecMetrics.VectorStoreRequestDuration.WithLabels(operation).Observe(_timeProvider.GetElapsedTime(started).TotalSeconds);
        }
    }
}
