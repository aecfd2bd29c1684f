using StreamRec.Contracts;
using StreamRec.Messaging;
using StreamRec.Ports;

namespace StreamRec.TestSupport;

/// <summary>The effects of a handler in the order they happened, across the publisher and the store.</summary>
public sealed class EffectLog
{
    private readonly List<string> _entries = [];

    public IReadOnlyList<string> Entries => _entries;

    public void Add(string entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }
}

/// <summary>An <see cref="IEventPublisher"/> that keeps what was published (and logs <c>publish:{topic}</c>).</summary>
public sealed class RecordingPublisher(EffectLog? log = null) : IEventPublisher
{
    public List<OutgoingMessage> Published { get; } = [];

    /// <summary>Publishing a batch with a message to this topic throws and records nothing (a broker fault).</summary>
    public string? FailTopic { get; set; }

    public Task PublishAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        if (FailTopic is not null && messages.Any(m => m.Topic == FailTopic))
        {
            throw new InvalidOperationException($"injected: publishing to {FailTopic} failed");
        }

        // The profile-updater publishes a batch's engagements and notifications side by side, from two threads: a
        // publisher is thread-safe, and so is this one (List.AddRange from two threads lost or nulled entries).
        lock (Published)
        {
            foreach (var topic in messages.Select(m => m.Topic).Distinct())
            {
                log?.Add("publish:" + topic);
            }

            Published.AddRange(messages);
        }

        return Task.CompletedTask;
    }

    public IEnumerable<T> On<T>(string topic) where T : class, IStreamRecEvent =>
        Published.Where(m => m.Topic == topic).Select(m => (T)EventParser.Parse(m.Value).Event!);
}

/// <summary>An <see cref="IDeadLetterSink"/> that keeps every dead letter.</summary>
public sealed class RecordingDeadLetters : IDeadLetterSink
{
    public List<(ConsumedMessage Message, string Reason, string Kind, string Service)> Sent { get; } = [];

    public Task PublishAsync(ConsumedMessage message, string reason, string errorKind, string service, CancellationToken cancellationToken)
    {
        Sent.Add((message, reason, errorKind, service));
        return Task.CompletedTask;
    }
}

/// <summary>Passes every call to <paramref name="inner"/>, logs upserts as <c>upsert:{collection}</c>, and can fail them.</summary>
public sealed class RecordingVectorStore(IVectorStore inner, EffectLog log) : IVectorStore
{
    /// <summary>Upserts into this collection throw (a store fault the handler does not recognise as transient).</summary>
    public string? FailUpsertsInto { get; set; }

    public Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        if (collection == FailUpsertsInto)
        {
            throw new InvalidOperationException("injected store failure");
        }

        log.Add("upsert:" + collection);
        return inner.UpsertAsync(collection, points, cancellationToken);
    }

    public Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken) => inner.EnsureCollectionAsync(spec, cancellationToken);

    public Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken) =>
        inner.GetAsync(collection, ids, withVectors, withPayload, cancellationToken);

    public Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) => inner.DeleteAsync(collection, ids, cancellationToken);

    public Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken) =>
        inner.QueryAsync(collection, query, cancellationToken);

    public Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken) =>
        inner.QueryBatchAsync(collection, queries, cancellationToken);

    public Task<long> CountAsync(string collection, CancellationToken cancellationToken) => inner.CountAsync(collection, cancellationToken);

    public Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken) =>
        inner.ScrollAsync(collection, request, cancellationToken);
}

/// <summary>Messages as a consumer hands them to a handler.</summary>
public static class Consumed
{
    public static ConsumedMessage Event(IStreamRecEvent e, long offset, int partition = 0, string? topic = null) =>
        new(topic ?? e.Topic, partition, offset, e.Key, EventParser.Serialize(e), e.OccurredAt, []);

    public static ConsumedMessage Raw(string topic, long offset, string? key, byte[] value, int partition = 0) =>
        new(topic, partition, offset, key, value, DateTimeOffset.UnixEpoch, []);

    /// <summary>Published messages consumed back in order, from <paramref name="firstOffset"/> on.</summary>
    public static List<ConsumedMessage> From(IEnumerable<OutgoingMessage> published, long firstOffset = 0) =>
        [.. published.Select((m, i) => Raw(m.Topic, firstOffset + i, m.Key, m.Value))];
}
