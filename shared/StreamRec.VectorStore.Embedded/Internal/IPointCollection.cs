using StreamRec.Ports;

namespace StreamRec.VectorStore.Embedded.Internal;

/// <summary>One collection of the embedded store, wherever its points live: in memory (<see cref="CollectionIndex"/>)
/// or in the SQLite file (<see cref="DiskCollection"/>). The store persists a write before it calls <see cref="Apply"/>
/// or <see cref="Delete"/>.</summary>
internal interface IPointCollection : IDisposable
{
    CollectionSpec Spec { get; }

    int Count { get; }

    /// <summary>Null when <paramref name="spec"/> describes this collection, else why not.</summary>
    string? Incompatibility(CollectionSpec spec);

    /// <summary>Validates and converts a caller's point; runs outside any lock.</summary>
    PreparedPoint Prepare(VectorPoint point);

    void Apply(IReadOnlyList<PreparedPoint> points);

    void Delete(IReadOnlyList<string> ids);

    /// <summary>The points among <paramref name="ids"/>; with <paramref name="withPayload"/>, only
    /// <paramref name="fields"/> of each payload when given (null: all of it).</summary>
    List<VectorPoint> Get(IReadOnlyList<string> ids, bool withVectors, bool withPayload, IReadOnlyList<string>? fields = null);

    List<IReadOnlyList<ScoredPoint>> Search(IReadOnlyList<VectorQuery> queries);

    ScrollPage Scroll(ScrollRequest request);
}
