namespace StreamRec.Kafka.Consuming;

/// <summary>The worker: reads batches from the channel by size (<c>MaxBatchSize</c>) and time (<c>MaxBatchWait</c>),
/// has the <see cref="BatchProcessor"/> finish each, and runs parked retries between batches.</summary>
/// <param name="abort">The hard stop: once it fired, a cancelled batch means the shutdown budget was spent.</param>
internal sealed class ConsumerWorker(
    MessageFeeder feeder,
    BatchProcessor processor,
    ParkedRetries parked,
    ConsumerContext context,
    CancellationToken abort)
{
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var options = context.Options;
        var reader = feeder.Reader;
        var batch = new List<Envelope>(options.MaxBatchSize);
        while (!stoppingToken.IsCancellationRequested)
        {
            batch.Clear();
            try
            {
                if (!await parked.WaitForMessagesAsync(reader, stoppingToken))
                {
                    return;
                }

                Fill(batch);
                if (batch.Count < options.MaxBatchSize && options.MaxBatchWait > TimeSpan.Zero)
                {
                    using var window = new CancellationTokenSource(options.MaxBatchWait, context.Time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(window.Token, stoppingToken);
                    try
                    {
                        while (batch.Count < options.MaxBatchSize && await reader.WaitToReadAsync(linked.Token))
                        {
                            Fill(batch);
                        }
                    }
                    catch (OperationCanceledException) when (window.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                    {
                        // The batch window closed: go with what we have.
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: messages read but not started are simply not stored; they will be redelivered.
                return;
            }

            if (batch.Count > 0)
            {
                ConsumerMetrics.BatchStarting(batch[0], context.Time.GetUtcNow());
            }

            try
            {
                await processor.ProcessAsync(batch, stoppingToken);
                await parked.RetryIfDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                Log.DrainTimedOut(context.Logger, context.Group, options.ShutdownTimeout);
                return;
            }
        }
    }

    private void Fill(List<Envelope> batch) => feeder.Take(batch, context.Options.MaxBatchSize);
}
