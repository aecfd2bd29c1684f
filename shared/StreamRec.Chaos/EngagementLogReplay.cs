using StreamRec.Domain;
using StreamRec.Pipeline.ItemSide;

namespace StreamRec.Chaos;

/// <summary>
/// The item side's rows rebuilt from <see cref="StreamRec.Contracts.Topics.Engagements"/> as it was written: each
/// partition in offset order, every contribution through <see cref="CoEngagementRow.Apply(CoEngagementContribution, int)"/>
/// (the item side's own duplicate checks), messages that do not parse skipped as the item side dead-letters them.
/// Twice: into rows bounded as the services bound theirs (<see cref="CoEngagementOptions.NeighbourLimit"/>), which the
/// stored rows must equal bit for bit, and into rows that never prune, which must equal the contributions the user
/// events imply (<see cref="ChaosAudit"/>). A row that prunes depends on the order its contributions arrived in, which
/// changes between runs; the log is the order they did arrive in. Thread-safe.
/// </summary>
public sealed class EngagementLogReplay
{
    /// <summary>A neighbour limit no row reaches: rows that keep every neighbour.</summary>
    public const int Unbounded = int.MaxValue / 2;

    private readonly Dictionary<string, CoEngagementRow> _bounded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CoEngagementRow> _whole = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public EngagementLogReplay(CoEngagementOptions options)
    {
        Options = options;
    }

    public CoEngagementOptions Options { get; }

    /// <summary>Messages that did not parse (the item side dead-letters them).</summary>
    public long Unreadable { get; private set; }

    /// <summary>The next message of its partition.</summary>
    public void Apply(ReadOnlySpan<byte> value)
    {
        var (message, _) = EngagementMessage.Parse(value);
        lock (_gate)
        {
            if (message is null)
            {
                Unreadable++;
                return;
            }

            foreach (var row in message.Rows)
            {
                foreach (var contribution in row.Contributions)
                {
                    CoEngagement.RowOf(_bounded, row.ItemId).Apply(contribution, Options.NeighbourLimit);
                    CoEngagement.RowOf(_whole, row.ItemId).Apply(contribution, Unbounded);
                }
            }
        }
    }

    /// <summary>The rows bounded as the services' are.</summary>
    public CoEngagementRow? Bounded(string itemId)
    {
        lock (_gate)
        {
            return _bounded.GetValueOrDefault(itemId);
        }
    }

    /// <summary>The rows that kept every neighbour.</summary>
    public CoEngagementRow? Whole(string itemId)
    {
        lock (_gate)
        {
            return _whole.GetValueOrDefault(itemId);
        }
    }

    /// <summary>Rows that pruned: fewer neighbours bounded than whole.</summary>
    public int PrunedRows
    {
        get
        {
            lock (_gate)
            {
                return _bounded.Count(kv => kv.Value.Neighbours.Count < _whole[kv.Key].Neighbours.Count);
            }
        }
    }
}
