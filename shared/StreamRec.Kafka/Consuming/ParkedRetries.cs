using System.Threading.Channels;
using Confluent.Kafka;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Consuming;

/// <summary>
/// The retry rounds of an <see cref="IParkingBatchHandler"/>, run on the worker: every
/// <see cref="IParkingBatchHandler.RetryInterval"/>, also while no message arrives, and under the in-flight gate, so
/// never beside a batch, and a revoke waits for a round like for a batch. <see cref="None"/> stands in for handlers that
/// do not park.
/// </summary>
internal abstract class ParkedRetries
{
    /// <summary>For handlers that do not park: waiting is plain waiting, there is never a round due, nothing is parked.</summary>
    public static readonly ParkedRetries None = new NoParkedRetries();

    public static ParkedRetries For(IBatchHandler handler, AssignedPartitions partitions, SemaphoreSlim inFlight, ConsumerContext context, CancellationToken abort) =>
        handler is IParkingBatchHandler parking ? new ParkedRetryRounds(parking, partitions, inFlight, context, abort) : None;

    /// <summary>Waits for the next message (false: the channel completed), running retry rounds meanwhile.</summary>
    public abstract Task<bool> WaitForMessagesAsync(ChannelReader<Envelope> reader, CancellationToken stoppingToken);

    /// <summary>Runs a retry round if one is due.</summary>
    public abstract Task RetryIfDueAsync(CancellationToken stoppingToken);

    /// <summary>Messages of <paramref name="partition"/> parked and not yet finished (poll thread; counts as lag).</summary>
    public abstract long ParkedCount(TopicPartition partition);

    private sealed class NoParkedRetries : ParkedRetries
    {
        public override Task<bool> WaitForMessagesAsync(ChannelReader<Envelope> reader, CancellationToken stoppingToken) =>
            reader.WaitToReadAsync(stoppingToken).AsTask();

        public override Task RetryIfDueAsync(CancellationToken stoppingToken) => Task.CompletedTask;

        public override long ParkedCount(TopicPartition partition) => 0;
    }

    private sealed class ParkedRetryRounds(
        IParkingBatchHandler parking,
        AssignedPartitions partitions,
        SemaphoreSlim inFlight,
        ConsumerContext context,
        CancellationToken abort) : ParkedRetries
    {
        private long _lastRound;

        public override async Task<bool> WaitForMessagesAsync(ChannelReader<Envelope> reader, CancellationToken stoppingToken)
        {
            while (true)
            {
                using var tick = new CancellationTokenSource(parking.RetryInterval, context.Time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(tick.Token, stoppingToken);
                try
                {
                    return await reader.WaitToReadAsync(linked.Token);
                }
                catch (OperationCanceledException) when (tick.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                {
                    await RetryIfDueAsync(stoppingToken);
                }
            }
        }

        public override async Task RetryIfDueAsync(CancellationToken stoppingToken)
        {
            if (context.Time.GetElapsedTime(_lastRound) < parking.RetryInterval || stoppingToken.IsCancellationRequested)
            {
                return;
            }

            _lastRound = context.Time.GetTimestamp();
            await inFlight.WaitAsync(CancellationToken.None);
            try
            {
                var owned = partitions.Current;
                if (owned.Length > 0)
                {
                    await parking.RetryParkedAsync(owned.ToPartitionIds(), context.Options.MaxBatchSize, abort);
                }
            }
            catch (Exception e) when (!abort.IsCancellationRequested)
            {
                // Nothing is lost: parked work stays in the state it was parked in, and the next round retries it.
                ConsumerLog.ParkedRetryFailed(context.Logger, e, context.Group);
            }
            finally
            {
                inFlight.Release();
            }
        }

        public override long ParkedCount(TopicPartition partition) => parking.ParkedCount(partition.ToPartitionId());
    }
}
