using System.Collections.Concurrent;
using Confluent.Kafka;
using StreamRec.Kafka.Consuming;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Tests.Fixtures;

/// <summary>A handler that records what it saw and runs an optional per-message behaviour.</summary>
public sealed class RecordingHandler : IBatchHandler
{
    private readonly Func<ConsumedMessage, CancellationToken, Task>? _onMessage;
    private readonly Func<IReadOnlyList<ConsumedMessage>, IReadOnlyList<PoisonMessage>>? _poison;

    public RecordingHandler(Func<ConsumedMessage, CancellationToken, Task>? onMessage = null, Func<IReadOnlyList<ConsumedMessage>, IReadOnlyList<PoisonMessage>>? poison = null)
    {
        _onMessage = onMessage;
        _poison = poison;
    }

    /// <summary>Messages whose handling completed, in completion order.</summary>
    public ConcurrentQueue<ConsumedMessage> Handled { get; } = new();

    public ConcurrentQueue<int> BatchSizes { get; } = new();

    public ConcurrentQueue<PartitionId> Revoked { get; } = new();

    public ConcurrentQueue<PartitionId> Assigned { get; } = new();

    public int Calls => _calls;

    /// <summary>False makes this a side reader of its topics (see <see cref="IBatchHandler.OwnsTopicEvents"/>).</summary>
    public bool OwnsTopicEvents { get; init; } = true;

    private int _calls;

    public async Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        BatchSizes.Enqueue(batch.Count);
        var done = new List<ConsumedMessage>(batch.Count);
        foreach (var message in batch)
        {
            if (_onMessage is not null)
            {
                await _onMessage(message, cancellationToken);
            }

            done.Add(message);
        }

        var poison = _poison?.Invoke(batch) ?? [];
        foreach (var message in done.Where((_, i) => poison.All(p => p.Index != i)))
        {
            Handled.Enqueue(message);
        }

        return poison;
    }

    public void OnPartitionsRevoked(IReadOnlyCollection<PartitionId> partitions)
    {
        foreach (var tp in partitions)
        {
            Revoked.Enqueue(tp);
        }
    }

    public void OnPartitionsAssigned(IReadOnlyCollection<PartitionId> partitions)
    {
        foreach (var tp in partitions)
        {
            Assigned.Enqueue(tp);
        }
    }
}
