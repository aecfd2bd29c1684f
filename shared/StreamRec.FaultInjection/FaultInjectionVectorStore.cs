using StreamRec.Pipeline.Engines;
using StreamRec.Ports;

namespace StreamRec.FaultInjection;

/// <summary>
/// TEST ONLY: wraps the real <see cref="IVectorStore"/> and kills the process at the points configured in
/// <see cref="FaultInjectionOptions"/>. Registered only when a hook is set (see
/// <see cref="FaultInjectionServiceCollectionExtensions.AddStreamRecFaultInjection"/>).
/// </summary>
public sealed class FaultInjectionVectorStore : IVectorStore
{
    private readonly IVectorStore _inner;
    private readonly FaultInjectionOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<string> _crash;
    private int _userWrites;
    private int _candidateQueries;

    /// <param name="inner">The real store.</param>
    /// <param name="options">Which hooks are armed.</param>
    /// <param name="time">Clock for the pre-crash delay.</param>
    /// <param name="crash">What "crash" means; the process host passes <see cref="Environment.FailFast(string)"/>, unit tests a recorder.</param>
    public FaultInjectionVectorStore(IVectorStore inner, FaultInjectionOptions options, TimeProvider time, Action<string> crash)
    {
        _inner = inner;
        _options = options;
        _time = time;
        _crash = crash;
    }

    public Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken) => _inner.EnsureCollectionAsync(spec, cancellationToken);

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        await _inner.UpsertAsync(collection, points, cancellationToken);
        if (_options.CrashAfterUserWrites > 0 && collection == Collections.Users
            && Interlocked.Increment(ref _userWrites) == _options.CrashAfterUserWrites)
        {
            _crash($"fault injection: crash after users write #{_options.CrashAfterUserWrites} ({points.Count} points durable, offsets not stored)");
        }
    }

    public Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken) =>
        _inner.GetAsync(collection, ids, withVectors, withPayload, cancellationToken);

    public Task<IReadOnlyList<VectorPoint>> GetAsync(
        string collection, IReadOnlyList<string> ids, bool withVectors, IReadOnlyList<string> payloadFields, CancellationToken cancellationToken) =>
        _inner.GetAsync(collection, ids, withVectors, payloadFields, cancellationToken);

    public Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) => _inner.DeleteAsync(collection, ids, cancellationToken);

    public async Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken)
    {
        await BeforeCandidateQueryAsync(collection, cancellationToken);
        return await _inner.QueryAsync(collection, query, cancellationToken);
    }

    public async Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken)
    {
        await BeforeCandidateQueryAsync(collection, cancellationToken);
        return await _inner.QueryBatchAsync(collection, queries, cancellationToken);
    }

    public Task<long> CountAsync(string collection, CancellationToken cancellationToken) => _inner.CountAsync(collection, cancellationToken);

    public Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken) => _inner.ScrollAsync(collection, request, cancellationToken);

    private async Task BeforeCandidateQueryAsync(string collection, CancellationToken cancellationToken)
    {
        if (_options.CrashBeforeListPublish > 0 && collection == Collections.Items
            && Interlocked.Increment(ref _candidateQueries) == _options.CrashBeforeListPublish)
        {
            // Not cancellable on purpose: a graceful stop must not rescue the process from the crash under test.
            await Task.Delay(_options.CrashBeforeListPublishDelay, _time, CancellationToken.None);
            _crash($"fault injection: crash before list publish (candidate query #{_options.CrashBeforeListPublish})");
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
