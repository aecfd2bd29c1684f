namespace StreamRec.Kafka.Consuming;

/// <summary>Fires whenever partitions are revoked or lost, so a batch backing off from a transient failure
/// re-checks at once which of its messages are still ours. Each firing cancels the token handed out before it.</summary>
internal sealed class RevokeSignal
{
    private CancellationTokenSource _source = new();

    /// <summary>Cancelled by the next <see cref="Fire"/>.</summary>
    public CancellationToken Token => Volatile.Read(ref _source).Token;

    public void Fire()
    {
        var previous = Interlocked.Exchange(ref _source, new CancellationTokenSource());
        previous.Cancel();
    }
}
