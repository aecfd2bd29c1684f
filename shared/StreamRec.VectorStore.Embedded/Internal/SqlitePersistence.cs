using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Prometheus;
using StreamRec.Observability;
using StreamRec.Ports;

namespace StreamRec.VectorStore.Embedded.Internal;

/// <summary>
/// The durable copy of every collection. Each point is one row: its vectors concatenated in the
/// collection's name order as little-endian floats, its payload as JSON text. WAL mode lets a commit
/// be one sequential append; a point row is written in the same transaction as its batch, so a batch
/// is on disk entirely or not at all.
/// </summary>
internal sealed class SqlitePersistence : IDisposable
{
    /// <summary>One stored point in a scan: id, vectors as stored, payload text (null when it has none).</summary>
    public delegate void ReadVisitor(string id, ReadOnlySpan<byte> vectors, string? payload);

    /// <summary>One stored point read by id: vectors as stored (little-endian floats, names in order), payload text (null
    /// when it has none or was not asked for).</summary>
    public readonly record struct StoredPoint(string Id, byte[] Vectors, string? Payload);

    public const int SqliteBusy = 5;
    public const int SqliteLocked = 6;

    // The commit is where SQLite appends the batch to the WAL and (synchronous=FULL) fsyncs it: timed on its own so the
    // durable-before-commit cost shows apart from the rest of a store write. One Observe per write batch.
    private static readonly Histogram.Child CommitStage = StreamRecMetrics.StageDuration.WithLabels("commit");

    // Writes (and the loads at open) go through this connection, one at a time (the store's write gate);
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    // reads of on-disk collections through this one. WAL lets a reader run beside the writer on its own snapshot, so a
    // large write (the item side's rows) never holds up a read by id (a user's state): before, both shared one
    // connection, and at 1k events/s the profile-updater's and the recommender's batches waited for the item side's
    // write, up to about 100 ms (bench pipeline, 2026-12-07). Opened after the schema exists.
    private readonly SqliteConnection _reader;
    private readonly Lock _readGate = new();

    // Held (exclusively) while the store is open: the memory image is the truth for queries, so a second process writing
    // the same file would silently diverge; it fails to open instead.
    private readonly FileStream _ownership;

    public SqlitePersistence(string path, bool synchronousFull)
    {
        var full = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _ownership = Own(full);
        SqliteConnection? writer = null;
        try
        {
            // No pooling: disposing the store must really close the file (tests reopen it in-process).
            writer = Connect(full, readOnly: false);
            _connection = writer;
            try
            {
                Execute("PRAGMA journal_mode=WAL;");
                Execute(synchronousFull ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;");
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteBusy or SqliteLocked)
            {
                // A process of an earlier version, which held the file in SQLite's exclusive locking mode (no lock file).
                throw InUse(full, ex);
            }

            Execute("""
                CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, spec TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS points (
                    collection TEXT NOT NULL,
                    id TEXT NOT NULL,
                    vectors BLOB NOT NULL,
                    payload TEXT,
                    PRIMARY KEY (collection, id)) WITHOUT ROWID;
                """);
            _reader = Connect(full, readOnly: true);
        }
        catch
        {
            writer?.Dispose();
            _ownership.Dispose();
            throw;
        }
    }

    private static SqliteConnection Connect(string path, bool readOnly)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 2,
        }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>The store's lock file (<c>PATH.lock</c>), opened for this process alone (an advisory lock the OS drops
    /// when the process dies).</summary>
    private static FileStream Own(string path)
    {
        try
        {
            return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw InUse(path, ex);
        }
    }

    private static VectorStoreException InUse(string path, Exception inner) =>
        new($"embedded vector store {path} is in use by another process; the embedded store serves one process (configure Qdrant to share vectors)", inner);

    /// <summary>Tests: runs inside an upsert's transaction, just before it commits.</summary>
    internal Action? BeforeCommit { get; set; }

    public List<CollectionSpec> LoadCollections()
    {
        using var scope = _gate.EnterScope();
        var specs = new List<CollectionSpec>();
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT name, spec FROM collections ORDER BY name";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            specs.Add(ParseSpec(reader.GetString(0), reader.GetString(1)));
        }

        return specs;
    }

    public void LoadPoints(CollectionIndex index)
    {
        using var scope = _gate.EnterScope();
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, vectors, payload FROM points WHERE collection = $c";
        command.Parameters.AddWithValue("$c", index.Spec.Name);
        using var reader = command.ExecuteReader();
        var expectedBytes = index.TotalDimension * sizeof(float);
        var batch = new List<PreparedPoint>(1024);
        while (reader.Read())
        {
            var id = reader.GetString(0);
            var blob = (byte[])reader.GetValue(1);
            if (blob.Length != expectedBytes)
            {
                throw new VectorStoreException($"stored point '{id}' of collection '{index.Spec.Name}' has {blob.Length} vector bytes, expected {expectedBytes}");
            }

            JsonElement? payload = null;
            if (!reader.IsDBNull(2))
            {
                using var document = JsonDocument.Parse(reader.GetString(2));
                payload = document.RootElement.Clone();
            }

            batch.Add(index.FromStored(id, MemoryMarshal.Cast<byte, float>(blob), payload));
            if (batch.Count == batch.Capacity)
            {
                index.Apply(batch);
                batch.Clear();
            }
        }

        index.Apply(batch);
    }

    public void SaveCollection(CollectionSpec spec)
    {
        using var scope = _gate.EnterScope();
        using var command = _connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO collections (name, spec) VALUES ($n, $s)";
        command.Parameters.AddWithValue("$n", spec.Name);
        command.Parameters.AddWithValue("$s", FormatSpec(spec));
        command.ExecuteNonQuery();
    }

    public void Upsert(string collection, IReadOnlyList<PreparedPoint> points)
    {
        using var scope = _gate.EnterScope();
        using var transaction = _connection.BeginTransaction();
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT OR REPLACE INTO points (collection, id, vectors, payload) VALUES ($c, $i, $v, $p)";
        var c = command.Parameters.Add("$c", SqliteType.Text);
        var i = command.Parameters.Add("$i", SqliteType.Text);
        var v = command.Parameters.Add("$v", SqliteType.Blob);
        var p = command.Parameters.Add("$p", SqliteType.Text);
        c.Value = collection;
        foreach (var point in points)
        {
            i.Value = point.Id;
            v.Value = Concatenate(point.Vectors);
            p.Value = point.Payload is { } payload ? payload.GetRawText() : DBNull.Value;
            command.ExecuteNonQuery();
        }

        BeforeCommit?.Invoke();
        Commit(transaction);
    }

    public void Delete(string collection, IReadOnlyList<string> ids)
    {
        using var scope = _gate.EnterScope();
        using var transaction = _connection.BeginTransaction();
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM points WHERE collection = $c AND id = $i";
        command.Parameters.AddWithValue("$c", collection);
        var i = command.Parameters.Add("$i", SqliteType.Text);
        foreach (var id in ids)
        {
            i.Value = id;
            command.ExecuteNonQuery();
        }

        Commit(transaction);
    }

    /// <summary>Every stored point's id and, when it contains one of <paramref name="needles"/> (null: always), its
    /// payload text, in no particular order. The test runs inside SQLite: most payloads never become strings here.</summary>
    public void ReadPayloads(string collection, IReadOnlyList<string>? needles, Action<string, string?> visit)
    {
        using var scope = _readGate.EnterScope();
        using var snapshot = _reader.BeginTransaction(deferred: true);
        using var command = _reader.CreateCommand();
        command.Transaction = snapshot;
        var test = needles is null ? "1" : needles.Count == 0 ? "0" : string.Join(" OR ", needles.Select((_, i) => $"instr(payload, $n{i}) > 0"));
        command.CommandText = $"SELECT id, CASE WHEN {test} THEN payload END FROM points WHERE collection = $c";
        command.Parameters.AddWithValue("$c", collection);
        for (var i = 0; i < (needles?.Count ?? 0); i++)
        {
            command.Parameters.AddWithValue($"$n{i}", needles![i]);
        }

        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            visit(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
        }
    }

    /// <summary>The stored points among <paramref name="ids"/>, in their order (absent ones skipped): id, vectors as
    /// stored (little-endian floats, names in order), payload text unless <paramref name="withPayload"/> is false.</summary>
    public List<StoredPoint> Read(string collection, IReadOnlyList<string> ids, bool withPayload)
    {
        var result = new List<StoredPoint>(ids.Count);
        using var scope = _readGate.EnterScope();
        // One snapshot for the whole call: the points read together were stored together.
        using var snapshot = _reader.BeginTransaction(deferred: true);
        using var command = _reader.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = withPayload
            ? "SELECT vectors, payload FROM points WHERE collection = $c AND id = $i"
            : "SELECT vectors, NULL FROM points WHERE collection = $c AND id = $i";
        command.Parameters.AddWithValue("$c", collection);
        var i = command.Parameters.Add("$i", SqliteType.Text);
        foreach (var id in ids)
        {
            i.Value = id;
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                result.Add(new StoredPoint(id, (byte[])reader.GetValue(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
            }
        }

        return result;
    }

    /// <summary>Every stored point of <paramref name="collection"/>, in no particular order.</summary>
    public void Scan(string collection, ReadVisitor visit)
    {
        using var scope = _readGate.EnterScope();
        using var snapshot = _reader.BeginTransaction(deferred: true);
        using var command = _reader.CreateCommand();
        command.Transaction = snapshot;
        command.CommandText = "SELECT id, vectors, payload FROM points WHERE collection = $c";
        command.Parameters.AddWithValue("$c", collection);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            visit(reader.GetString(0), (byte[])reader.GetValue(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }
    }

    public void Dispose()
    {
        using (_readGate.EnterScope())
        {
            _reader.Dispose();
        }

        using (_gate.EnterScope())
        {
            _connection.Dispose();
        }

        _ownership.Dispose();
    }

    private static void Commit(SqliteTransaction transaction)
    {
        // A duration, not a clock reading: no TimeProvider here, as nothing else in the persistence layer reads time.
        var started = Stopwatch.GetTimestamp();
        transaction.Commit();
        CommitStage.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static byte[] Concatenate(float[][] vectors)
    {
        var bytes = new byte[vectors.Sum(v => v.Length) * sizeof(float)];
        var offset = 0;
        foreach (var vector in vectors)
        {
            var source = MemoryMarshal.AsBytes(vector.AsSpan());
            source.CopyTo(bytes.AsSpan(offset));
            offset += source.Length;
        }

        return bytes;
    }

    private static string FormatSpec(CollectionSpec spec)
    {
        var vectors = new JsonObject();
        foreach (var (name, dim) in spec.Vectors)
        {
            vectors[name] = dim;
        }

        var indexed = new JsonObject();
        foreach (var (field, type) in spec.IndexedFields ?? new Dictionary<string, PayloadFieldType>())
        {
            indexed[field] = type.ToString();
        }

        var json = new JsonObject { ["vectors"] = vectors, ["distance"] = spec.Distance.ToString(), ["indexed"] = indexed };
        if (spec.OnDisk)
        {
            json["on_disk"] = true;
        }

        return json.ToJsonString();
    }

    private static CollectionSpec ParseSpec(string name, string json)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var vectors = root["vectors"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<int>());
        var indexed = root["indexed"]?.AsObject().ToDictionary(p => p.Key, p => Enum.Parse<PayloadFieldType>(p.Value!.GetValue<string>()));
        var onDisk = root["on_disk"]?.GetValue<bool>() ?? false;
        return new CollectionSpec(name, vectors, Enum.Parse<Distance>(root["distance"]!.GetValue<string>()), indexed, onDisk);
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
