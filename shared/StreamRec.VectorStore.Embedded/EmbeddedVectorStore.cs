using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded.Internal;

namespace StreamRec.VectorStore.Embedded;

/// <summary>
/// The default vector store: every vector in memory, exact search (cosine on vectors normalised at
/// insert, or dot) with SIMD dot products and a bounded top-k heap, persisted in SQLite and loaded
/// whole at open. Writes are serialised and reach SQLite (committed) before they become visible in
/// memory, so an upsert that returned survives a killed process, and a reader never sees a point
/// that a restart would lose.
/// </summary>
public sealed partial class EmbeddedVectorStore : IVectorStore, IDisposable
{
    private const int SqliteIoErr = 10;
    private const int SqliteFull = 13;

    private readonly ConcurrentDictionary<string, CollectionIndex> _collections = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SqlitePersistence? _persistence;
    private readonly ILogger _logger;
    private bool _disposed;

    public EmbeddedVectorStore(EmbeddedVectorStoreOptions options, ILogger<EmbeddedVectorStore>? logger = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
        if (options.Path == EmbeddedVectorStoreOptions.InMemory)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        _persistence = new SqlitePersistence(options.Path, options.SynchronousFull);
        long points = 0;
        foreach (var spec in _persistence.LoadCollections())
        {
            var index = NewIndex(spec, _persistence.LoadPoints);
            _collections[spec.Name] = index;
            points += index.Count;
        }

        LogLoaded(options.Path, _collections.Count, points, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    public async Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(spec.Name))
        {
            throw new VectorStoreException("collection name must not be empty");
        }

        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_collections.TryGetValue(spec.Name, out var existing))
            {
                if (existing.Incompatibility(spec) is { } reason)
                {
                    throw new VectorStoreException(reason);
                }

                return;
            }

            var index = NewIndex(spec, _ => Persist(() => _persistence?.SaveCollection(spec)));
            _collections[spec.Name] = index;
            LogCollectionCreated(spec.Name, string.Join(",", spec.Vectors.Select(v => $"{v.Key}:{v.Value}")), spec.Distance);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        var index = Collection(collection);

        // Validate and convert the whole batch first: a bad point rejects the batch before any write.
        var prepared = new PreparedPoint[points.Count];
        for (var i = 0; i < points.Count; i++)
        {
            prepared[i] = index.Prepare(points[i]);
        }

        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Persist(() => _persistence?.Upsert(collection, prepared));
            index.Apply(prepared);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<VectorPoint>>(Collection(collection).Get(ids, withVectors, withPayload));
    }

    public async Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var index = Collection(collection);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Persist(() => _persistence?.Delete(collection, ids));
            index.Delete(ids);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Collection(collection).Search([query])[0]);
    }

    public Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<IReadOnlyList<ScoredPoint>>>(Collection(collection).Search(queries));
    }

    public Task<long> CountAsync(string collection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult((long)Collection(collection).Count);
    }

    public Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Collection(collection).Scroll(request));
    }

    public void Dispose()
    {
        // Wait for an in-flight write so the connection never closes under a transaction.
        _writeGate.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _persistence?.Dispose();
            foreach (var index in _collections.Values)
            {
                index.Dispose();
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Runs a SQLite write; a failure leaves memory untouched (it is applied only after) and
    /// surfaces as the port's exception. Busy, locked, I/O and disk-full errors may pass: transient.</summary>
    /// <summary>A new index, disposed again when <paramref name="fill"/> throws: only a complete one is kept.</summary>
    private static CollectionIndex NewIndex(CollectionSpec spec, Action<CollectionIndex> fill)
    {
        var index = new CollectionIndex(spec);
        try
        {
            fill(index);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private static void Persist(Action write)
    {
        try
        {
            write();
        }
        catch (SqliteException ex)
        {
            var transient = ex.SqliteErrorCode is SqlitePersistence.SqliteBusy or SqlitePersistence.SqliteLocked or SqliteIoErr or SqliteFull;
            throw new VectorStoreException($"embedded vector store write failed: {ex.Message}", 0, transient, ex);
        }
    }

    private CollectionIndex Collection(string name) =>
        _collections.TryGetValue(name, out var index)
            ? index
            : throw new VectorStoreException($"collection '{name}' does not exist; call EnsureCollectionAsync first");

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Embedded vector store loaded {Collections} collections, {Points} points from {Path} in {ElapsedMs:F0} ms")]
    private partial void LogLoaded(string path, int collections, long points, double elapsedMs);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Embedded vector store created collection {Collection} ({Vectors}, {Distance})")]
    private partial void LogCollectionCreated(string collection, string vectors, Distance distance);
}
