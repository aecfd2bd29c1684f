using System.ComponentModel.DataAnnotations;

namespace StreamRec.VectorStore.Embedded;

/// <summary>Options of <see cref="EmbeddedVectorStore"/>, bound from <see cref="SectionName"/>.</summary>
public sealed class EmbeddedVectorStoreOptions
{
    public const string SectionName = "StreamRec:VectorStore:Embedded";

    /// <summary>The in-memory marker: nothing is persisted.</summary>
    public const string InMemory = ":memory:";

    /// <summary>SQLite file holding every point; loaded whole at start (collections declared on disk, such as the users by default, are read from it by id).
    /// Default <c>.streamrec/vectors.db</c>; <c>:memory:</c> keeps nothing on disk, every collection in memory (tests, benchmarks).</summary>
    [Required]
    public string Path { get; set; } = ".streamrec/vectors.db";

    /// <summary>SQLite <c>synchronous</c> level under WAL. Default <c>true</c> (FULL): every commit fsyncs the
    /// WAL, so an upsert that returned survives a power loss too. <c>false</c> (NORMAL) skips that fsync:
    /// still safe against a killed process (the WAL is in the OS page cache), but the last commits can be
    /// lost if the machine itself goes down. Callers batch upserts, so FULL costs one fsync per batch.</summary>
    public bool SynchronousFull { get; set; } = true;
}
