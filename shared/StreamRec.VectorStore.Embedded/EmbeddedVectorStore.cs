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
/// that a restart would lose. A collection declared <see cref="CollectionSpec.OnDisk"/> keeps its points
/// in the file only (ids and indexed fields in memory; see <see cref="DiskCollection"/>); the in-memory
/// store (<c>:memory:</c>) keeps every collection in memory.
/// </summary>
public sealed partial class EmbeddedVectorStore : IVectorStore, IDisposable
{
    private const int SqliteIoErr = 10;
    private const int SqliteFull = 13;

    private readonly ConcurrentDictionary<string, IPointCollection> _collections = new(StringComparer.Ordinal);
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
            var collection = Load(spec, _persistence);
            _collections[spec.Name] = collection;
            points += collection.Count;
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

                if (_persistence is not null && existing.Spec.OnDisk != spec.OnDisk)
                {
                    // Where the points live is a storage choice: the collection moves, its points stay as they are.
                    // The replaced one is not disposed: a reader may still hold it (it stays correct, and is collected).
                    var moved = existing.Spec with { OnDisk = spec.OnDisk };
                    Persist(() => _persistence.SaveCollection(moved));
                    _collections[spec.Name] = Load(moved, _persistence);
                    LogCollectionMoved(spec.Name, spec.OnDisk ? "disk" : "memory");
                }

                return;
            }

            IPointCollection index = _persistence is not null && spec.OnDisk
                ? Load(spec, _persistence, save: true)
                : NewIndex(spec, _ => Persist(() => _persistence?.SaveCollection(spec)));
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
        return Task.FromResult<IReadOnlyList<VectorPoint>>(Read(() => Collection(collection).Get(ids, withVectors, withPayload)));
    }

    public Task<IReadOnlyList<VectorPoint>> GetAsync(
        string collection, IReadOnlyList<string> ids, bool withVectors, IReadOnlyList<string> payloadFields, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<VectorPoint>>(Read(() => Collection(collection).Get(ids, withVectors, withPayload: true, payloadFields)));
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
        return Task.FromResult(Read(() => Collection(collection).Search([query])[0]));
    }

    public Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<IReadOnlyList<ScoredPoint>>>(Read(() => Collection(collection).Search(queries)));
    }

    public Task<long> CountAsync(string collection, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult((long)Collection(collection).Count);
    }

    public Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Read(() => Collection(collection).Scroll(request)));
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

    /// <summary>Runs a SQLite write; a failure leaves memory untouched (it is applied only after) and
    /// surfaces as the port's exception. Busy, locked, I/O and disk-full errors may pass: transient.</summary>
    private static void Persist(Action write)
    {
        try
        {
            write();
        }
        catch (SqliteException ex)
        {
            throw Failure("write", ex);
        }
    }

    /// <summary>Runs a read, which touches SQLite for collections on disk: its failures surface as the port's exception,
    /// as a write's do.</summary>
    private static T Read<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (SqliteException ex)
        {
            throw Failure("read", ex);
        }
    }

    private static VectorStoreException Failure(string operation, SqliteException ex)
    {
        var transient = ex.SqliteErrorCode is SqlitePersistence.SqliteBusy or SqlitePersistence.SqliteLocked or SqliteIoErr or SqliteFull;
        return new VectorStoreException($"embedded vector store {operation} failed: {ex.Message}", 0, transient, ex);
    }

    /// <summary>A stored collection, where its spec says its points live (<paramref name="save"/>: record the spec
    /// first, for a new one).</summary>
    private static IPointCollection Load(CollectionSpec spec, SqlitePersistence persistence, bool save = false)
    {
        if (save)
        {
            Persist(() => persistence.SaveCollection(spec));
        }

        return spec.OnDisk ? DiskCollection.Open(spec, persistence) : NewIndex(spec, persistence.LoadPoints);
    }

    private IPointCollection Collection(string name) =>
        _collections.TryGetValue(name, out var index)
            ? index
            : throw new VectorStoreException($"collection '{name}' does not exist; call EnsureCollectionAsync first");

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Embedded vector store loaded {Collections} collections, {Points} points from {Path} in {ElapsedMs:F0} ms")]
    private partial void LogLoaded(string path, int collections, long points, double elapsedMs);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Embedded vector store keeps collection {Collection} in {Place} from now on")]
    private partial void LogCollectionMoved(string collection, string place);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Embedded vector store created collection {Collection} ({Vectors}, {Distance})")]
    private partial void LogCollectionCreated(string collection, string vectors, Distance distance);
}
