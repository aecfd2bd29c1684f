namespace StreamRec.Kafka.Consuming;

/// <summary>Fires whenever partitions are revoked or lost, so a batch backing off from a transient failure
/// re-checks at once which of its messages are still ours. Each firing cancels the token handed out before it.</summary>
internal sealed class RevokeSignal : IDisposable
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _source = new();
    private bool _disposed;

    /// <summary>Cancelled by the next <see cref="Fire"/>; already cancelled once the signal is disposed.</summary>
    public CancellationToken Token
    {
        get
        {
            lock (_gate)
            {
                return _disposed ? new CancellationToken(canceled: true) : _source.Token;
            }
        }
    }

    public void Fire()
    {
        CancellationTokenSource previous;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            previous = _source;
            _source = new CancellationTokenSource();
        }

        CancelAndDispose(previous);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        CancelAndDispose(_source);
    }

    // Cancelled before it is disposed: a batch still holding the token (or linking to it) then sees a cancelled token,
    // never an ObjectDisposedException.
    private static void CancelAndDispose(CancellationTokenSource source)
    {
        source.Cancel();
        source.Dispose();
    }
}
