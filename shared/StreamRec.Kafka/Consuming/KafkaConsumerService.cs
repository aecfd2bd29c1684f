using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRec.Contracts;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Producing;
using StreamRec.Observability;

namespace StreamRec.Kafka.Consuming;

/// <summary>
/// One consumer group member running one <see cref="IBatchHandler"/>; a process may host several.
/// A dedicated poll thread owns the Kafka consumer (librdkafka wants one thread calling Consume, and
/// rebalance callbacks run on it) and feeds a bounded channel; a worker reads batches by size and
/// time and calls the handler. An offset is stored only once its message and every message before it
/// in the partition finished (handled or dead-lettered), and auto-commit sends what was stored:
/// at-least-once delivery, never a skipped message.
/// </summary>
public sealed class KafkaConsumerService : BackgroundService
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);

    private readonly ConsumerRegistration _registration;
    private readonly KafkaOptions _options;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly ILogger<KafkaConsumerService> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly string _group;
    private readonly Channel<Envelope> _channel;
    private readonly ConcurrentDictionary<TopicPartition, PartitionState> _partitions = new();
    private readonly TaskCompletionSource _firstAssignment = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _hardStop = new();

    // Held while a handler call and the offset stores after it run; a revoke waits for it, which is
    // "wait for in-flight work" without stopping batches of the partitions we keep.
    private readonly SemaphoreSlim _inFlight = new(1, 1);

    private IConsumer<byte[]?, byte[]>? _consumer;
    private CancellationTokenSource _revokeSignal = new();
    private volatile bool _transientPaused;
    private volatile bool _stopPolling;
    private volatile TopicPartition[] _assignment = [];
    private volatile int _pausedCount;

    // Poll-thread state.
    private readonly Queue<Envelope> _overflow = new();
    private readonly HashSet<TopicPartition> _paused = [];
    private bool _repause;

    // Worker state.
    private long _lastParkedRetry;

    public KafkaConsumerService(
        ConsumerRegistration registration,
        IOptions<KafkaOptions> options,
        DeadLetterPublisher deadLetters,
        ILogger<KafkaConsumerService> logger,
        TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (registration.Topics.Count == 0)
        {
            throw new ArgumentException("a consumer needs at least one topic", nameof(registration));
        }

        _registration = registration;
        _options = options.Value;
        _deadLetters = deadLetters;
        _logger = logger;
        _timeProvider = timeProvider;
        _group = KafkaConfigFactory.GroupId(_options, registration.GroupId);
        _channel = Channel.CreateBounded<Envelope>(new BoundedChannelOptions(_options.ChannelCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The Kafka group id (<c>{GroupIdPrefix}.{GroupId}</c>).</summary>
    public string GroupId => _group;

    /// <summary>True while at least one partition is assigned.</summary>
    public bool IsAssigned => _assignment.Length > 0;

    /// <summary>Partitions currently assigned to this member.</summary>
    public IReadOnlyCollection<TopicPartition> Assignment => _assignment;

    /// <summary>Partitions currently paused (backpressure or a transient failure backing off).</summary>
    public int PausedPartitionCount => _pausedCount;

    /// <summary>Completes when this member got its first non-empty assignment (readiness, tests).</summary>
    public Task FirstAssignment => _firstAssignment.Task;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var config = KafkaConfigFactory.Consumer(_options, _registration.GroupId, $"{_registration.ServiceName}-{_registration.GroupId}");
        _consumer = new ConsumerBuilder<byte[]?, byte[]>(config)
            .SetErrorHandler((_, e) =>
            {
                if (!e.IsFatal)
                {
                    Log.ClientError(_logger, config.ClientId, e.Code, e.Reason);
                }
            })
            .SetLogHandler((_, m) =>
            {
                if (m.Level <= SyslogLevel.Warning)
                {
                    ConsumerLog.Librdkafka(_logger, m.Name, m.Facility, m.Message);
                }
            })
            .SetPartitionsAssignedHandler(new Action<IConsumer<byte[]?, byte[]>, List<TopicPartition>>(OnAssigned))
            .SetPartitionsRevokedHandler(new Action<IConsumer<byte[]?, byte[]>, List<TopicPartitionOffset>>(OnRevoked))
            .SetPartitionsLostHandler(new Action<IConsumer<byte[]?, byte[]>, List<TopicPartitionOffset>>(OnLost))
            .Build();
        Log.ConsumerStarting(_logger, _group, _registration.ServiceName, string.Join(",", _registration.Topics), _options.BootstrapServers, Redact.ToLogString(_options.Client));
        if (_registration.Handler.OwnsTopicEvents)
        {
            // Exported at 0 before the first dead letter, so "dead letters (1h)" reads 0, not "no data".
            foreach (var topic in _registration.Topics)
            {
                StreamRecMetrics.DeadLetters.WithLabels(topic);
            }
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // In-flight handlers keep running until the shutdown budget is spent, then see cancellation.
        _hardStop.CancelAfter(_options.ShutdownTimeout);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _stopPolling = true;
        _hardStop.Cancel();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var consumer = _consumer ?? throw new InvalidOperationException("StartAsync was not called");
        var pollDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                PollLoop(consumer);
                pollDone.TrySetResult();
            }
            catch (Exception e)
            {
                pollDone.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = $"kafka-poll {_group}",
        };
        thread.Start();

        try
        {
            await RunWorkerAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            // The worker drained (or gave up after ShutdownTimeout): now the poll thread may commit and leave the group.
            _stopPolling = true;
            await pollDone.Task.ConfigureAwait(false);
            Log.ConsumerStopped(_logger, _group);
        }
    }

    private void PollLoop(IConsumer<byte[]?, byte[]> consumer)
    {
        try
        {
            consumer.Subscribe(_registration.Topics);
            var lastLag = _timeProvider.GetTimestamp();
            while (!_stopPolling)
            {
                ApplyPauseState(consumer);
                DrainOverflow();
                try
                {
                    var result = consumer.Consume(PollTimeout);
                    if (result?.Message is not null)
                    {
                        Accept(result);
                    }
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    Log.ConsumeError(_logger, _group, e.Error.Code, e.Error.Reason);
                }
                catch (KafkaException e) when (e.Error.IsFatal)
                {
                    Log.FatalError(_logger, _group, e.Error.Code, e.Error.Reason);
                    throw;
                }

                if (_timeProvider.GetElapsedTime(lastLag) >= _options.LagRefreshInterval)
                {
                    lastLag = _timeProvider.GetTimestamp();
                    RefreshLag(consumer);
                }
            }
        }
        catch (Exception e) when (e is not KafkaException { Error.IsFatal: true })
        {
            Log.PollLoopFailed(_logger, e, _group);
            _channel.Writer.TryComplete(e);
            Shutdown(consumer);
            throw;
        }
        catch (Exception e)
        {
            _channel.Writer.TryComplete(e);
            consumer.Dispose();
            throw;
        }

        _channel.Writer.TryComplete();
        Shutdown(consumer);
    }

    private void Shutdown(IConsumer<byte[]?, byte[]> consumer)
    {
        // Offsets are stored as work finishes; this sends the last ones before leaving the group.
        // Close() then revokes everything (our revoke handler commits again and tells the handler)
        // and leaves the group at once, so the partitions move without waiting for the session timeout.
        TryCommit(consumer, null);
        try
        {
            consumer.Close();
        }
        catch (KafkaException e)
        {
            Log.CommitFailed(_logger, _group, e.Error.Reason);
        }

        consumer.Dispose();
        foreach (var tp in _assignment)
        {
            StreamRecMetrics.PartitionsAssigned.WithLabels(tp.Topic).Dec();
        }

        _assignment = [];
    }

    private void Accept(ConsumeResult<byte[]?, byte[]> result)
    {
        if (!_partitions.TryGetValue(result.TopicPartition, out var state))
        {
            return;
        }

        var message = result.Message;
        var value = message.Value ?? [];
        var headers = message.Headers is { Count: > 0 }
            ? message.Headers.Select(h => KeyValuePair.Create(h.Key, h.GetValueBytes() ?? [])).ToArray()
            : [];
        var consumed = new ConsumedMessage(
            result.Topic,
            result.Partition.Value,
            result.Offset.Value,
            message.Key is null ? null : System.Text.Encoding.UTF8.GetString(message.Key),
            value,
            new DateTimeOffset(message.Timestamp.UtcDateTime, TimeSpan.Zero),
            headers)
        {
            RawKey = message.Key,
        };
        state.Tracker.Received(result.Offset.Value);
        var envelope = new Envelope(consumed, state, value.Length > _options.MaxMessageBytes);
        if (_overflow.Count == 0 && (_channel.Writer.TryWrite(envelope) || WaitForSpace(envelope)))
        {
            return;
        }

        // The worker is stalled (a long handler, a transient back-off): keep the message here and
        // pause fetching until it catches up.
        _overflow.Enqueue(envelope);
    }

    /// <summary>A worker that is merely slower than the fetcher frees a slot within milliseconds. Waiting
    /// briefly for it keeps librdkafka's prefetched data; pausing would throw that away and pay a fresh
    /// fetch on resume (measured: 45x lower throughput with a no-op handler). Not calling Consume for
    /// this long is harmless: heartbeats run on librdkafka's own threads.</summary>
    private bool WaitForSpace(Envelope envelope)
    {
        using var timeout = new CancellationTokenSource(PollTimeout, _timeProvider);
        try
        {
            while (!_stopPolling)
            {
                if (!_channel.Writer.WaitToWriteAsync(timeout.Token).AsTask().GetAwaiter().GetResult())
                {
                    return false;
                }

                if (_channel.Writer.TryWrite(envelope))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Still full after a poll interval: the caller parks the message and pauses.
        }

        return false;
    }

    private void DrainOverflow()
    {
        while (_overflow.Count > 0)
        {
            var next = _overflow.Peek();
            if (next.State.Revoked)
            {
                _overflow.Dequeue();
                continue;
            }

            if (!_channel.Writer.TryWrite(next))
            {
                return;
            }

            _overflow.Dequeue();
        }
    }

    private void ApplyPauseState(IConsumer<byte[]?, byte[]> consumer)
    {
        var wantPause = _overflow.Count > 0 || _transientPaused;
        if (wantPause)
        {
            var toPause = _assignment.Where(tp => !_paused.Contains(tp)).ToList();
            if (toPause.Count > 0 || _repause)
            {
                // Paused partitions stop fetching but Consume keeps running, so the group
                // membership (heartbeats, max.poll.interval) holds however slow the handler is.
                consumer.Pause(toPause);
                foreach (var tp in toPause)
                {
                    _paused.Add(tp);
                    StreamRecMetrics.PartitionsPaused.WithLabels(tp.Topic).Inc();
                }

                _repause = false;
                _pausedCount = _paused.Count;
                Log.Paused(_logger, _group, toPause.Count, _transientPaused ? "transient failure" : "channel full");
            }
        }
        else if (_paused.Count > 0 && _channel.Reader.Count <= _options.ChannelCapacity / 2)
        {
            // Resume at half capacity rather than at the first free slot, so we do not flap.
            var toResume = _paused.Where(tp => _partitions.ContainsKey(tp)).ToList();
            consumer.Resume(toResume);
            foreach (var tp in _paused)
            {
                StreamRecMetrics.PartitionsPaused.WithLabels(tp.Topic).Dec();
            }

            _paused.Clear();
            _pausedCount = 0;
            Log.Resumed(_logger, _group, toResume.Count);
        }
    }

    private void RefreshLag(IConsumer<byte[]?, byte[]> consumer)
    {
        foreach (var tp in _assignment)
        {
            try
            {
                // Cached from fetch responses: no broker round trip.
                var watermarks = consumer.GetWatermarkOffsets(tp);
                var position = consumer.Position(tp);
                if (watermarks.High.Value >= 0 && position.Value >= 0)
                {
                    // Parked messages were consumed but are not done: they wait, so they count as lag.
                    var parked = _registration.Handler is IParkingBatchHandler parking ? parking.ParkedCount(tp) : 0;
                    StreamRecMetrics.ConsumerLag.WithLabels(tp.Topic, tp.Partition.Value.ToString(CultureInfo.InvariantCulture))
                        .Set(Math.Max(0, watermarks.High.Value - position.Value) + parked);
                }
            }
            catch (KafkaException)
            {
                // Not fetched yet or just revoked: the next refresh will tell.
            }
        }
    }

    private void OnAssigned(IConsumer<byte[]?, byte[]> consumer, List<TopicPartition> partitions)
    {
        if (partitions.Count == 0)
        {
            return;
        }

        foreach (var tp in partitions)
        {
            _partitions[tp] = new PartitionState(tp);
            StreamRecMetrics.PartitionsAssigned.WithLabels(tp.Topic).Inc();
            StreamRecMetrics.PartitionsPaused.WithLabels(tp.Topic); // exported at 0 before the first pause
        }

        _assignment = [.. _assignment.Union(partitions)];
        // Incremental assignments arrive unpaused; if we are paused they must be too.
        _repause = true;
        Log.PartitionsAssigned(_logger, _group, Describe(partitions));
        try
        {
            _registration.Handler.OnPartitionsAssigned(partitions);
        }
        catch (Exception e)
        {
            ConsumerLog.CallbackFailed(_logger, e, _group, nameof(IBatchHandler.OnPartitionsAssigned));
        }

        _firstAssignment.TrySetResult();
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> revoked)
    {
        var partitions = revoked.Select(r => r.TopicPartition).ToList();
        var states = Forget(partitions);

        // Wait for the batch in flight, then commit what finished: the next owner starts right after it.
        var drained = _inFlight.Wait(_options.ShutdownTimeout);
        if (!drained)
        {
            Log.DrainTimedOut(_logger, _group, _options.ShutdownTimeout);
        }

        List<TopicPartitionOffset> offsets;
        try
        {
            offsets = [.. states.Select(s => (s.Partition, Next: s.Tracker.NextOffsetToCommit))
                .Where(x => x.Next is not null)
                .Select(x => new TopicPartitionOffset(x.Partition, new Offset(x.Next!.Value)))];
            TryCommit(consumer, offsets);
        }
        finally
        {
            if (drained)
            {
                _inFlight.Release();
            }
        }

        Log.PartitionsRevoked(_logger, _group, Describe(partitions), string.Join(",", offsets.Select(o => $"{o.Topic}[{o.Partition.Value}]@{o.Offset.Value}")));
        NotifyRevoked(partitions);
    }

    private void OnLost(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> lost)
    {
        // Lost means another member may already own them: committing now could move its offsets backwards.
        var partitions = lost.Select(r => r.TopicPartition).ToList();
        Forget(partitions);
        Log.PartitionsLost(_logger, _group, Describe(partitions));
        NotifyRevoked(partitions);
    }

    private List<PartitionState> Forget(List<TopicPartition> partitions)
    {
        var states = new List<PartitionState>(partitions.Count);
        foreach (var tp in partitions)
        {
            if (_partitions.TryRemove(tp, out var state))
            {
                state.Revoked = true;
                states.Add(state);
                StreamRecMetrics.PartitionsAssigned.WithLabels(tp.Topic).Dec();
                StreamRecMetrics.ConsumerLag.RemoveLabelled(tp.Topic, tp.Partition.Value.ToString(CultureInfo.InvariantCulture));
            }

            if (_paused.Remove(tp))
            {
                StreamRecMetrics.PartitionsPaused.WithLabels(tp.Topic).Dec();
            }
        }

        _pausedCount = _paused.Count;

        _assignment = [.. _assignment.Except(partitions)];
        // A batch backing off from a transient failure re-checks which of its partitions are still ours.
        var previous = Interlocked.Exchange(ref _revokeSignal, new CancellationTokenSource());
        previous.Cancel();
        return states;
    }

    private void NotifyRevoked(List<TopicPartition> partitions)
    {
        try
        {
            _registration.Handler.OnPartitionsRevoked(partitions);
        }
        catch (Exception e)
        {
            ConsumerLog.CallbackFailed(_logger, e, _group, nameof(IBatchHandler.OnPartitionsRevoked));
        }
    }

    private void TryCommit(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset>? offsets)
    {
        try
        {
            if (offsets is null)
            {
                consumer.Commit();
            }
            else if (offsets.Count > 0)
            {
                consumer.Commit(offsets);
            }
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing new to commit.
        }
        catch (KafkaException e)
        {
            Log.CommitFailed(_logger, _group, e.Error.Reason);
        }
    }

    private async Task RunWorkerAsync(CancellationToken stoppingToken)
    {
        var reader = _channel.Reader;
        var batch = new List<Envelope>(_options.MaxBatchSize);
        while (!stoppingToken.IsCancellationRequested)
        {
            batch.Clear();
            try
            {
                if (!await WaitForMessagesAsync(reader, stoppingToken).ConfigureAwait(false))
                {
                    return;
                }

                Fill(reader, batch);
                if (batch.Count < _options.MaxBatchSize && _options.MaxBatchWait > TimeSpan.Zero)
                {
                    using var window = new CancellationTokenSource(_options.MaxBatchWait, _timeProvider);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(window.Token, stoppingToken);
                    try
                    {
                        while (batch.Count < _options.MaxBatchSize && await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
                        {
                            Fill(reader, batch);
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

            try
            {
                await ProcessBatchAsync(batch, stoppingToken).ConfigureAwait(false);
                await RetryParkedIfDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_hardStop.IsCancellationRequested)
            {
                Log.DrainTimedOut(_logger, _group, _options.ShutdownTimeout);
                return;
            }
        }
    }

    /// <summary>Waits for the next message; a parking handler's retries run meanwhile, every <see cref="IParkingBatchHandler.RetryInterval"/>.</summary>
    private async Task<bool> WaitForMessagesAsync(ChannelReader<Envelope> reader, CancellationToken stoppingToken)
    {
        if (_registration.Handler is not IParkingBatchHandler parking)
        {
            return await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false);
        }

        while (true)
        {
            using var tick = new CancellationTokenSource(parking.RetryInterval, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(tick.Token, stoppingToken);
            try
            {
                return await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (tick.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                await RetryParkedIfDueAsync(stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs the parking handler's retries when they are due, under the in-flight gate: never beside a batch, and a
    /// revoke waits for it like for a batch.</summary>
    private async Task RetryParkedIfDueAsync(CancellationToken stoppingToken)
    {
        if (_registration.Handler is not IParkingBatchHandler parking
            || _timeProvider.GetElapsedTime(_lastParkedRetry) < parking.RetryInterval
            || stoppingToken.IsCancellationRequested)
        {
            return;
        }

        _lastParkedRetry = _timeProvider.GetTimestamp();
        await _inFlight.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var owned = _assignment;
            if (owned.Length > 0)
            {
                await parking.RetryParkedAsync(owned, _options.MaxBatchSize, _hardStop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!_hardStop.IsCancellationRequested)
        {
            // Nothing is lost: parked work stays in the state it was parked in, and the next round retries it.
            ConsumerLog.ParkedRetryFailed(_logger, e, _group);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private void Fill(ChannelReader<Envelope> reader, List<Envelope> batch)
    {
        while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var envelope))
        {
            batch.Add(envelope);
        }
    }

    private async Task ProcessBatchAsync(List<Envelope> batch, CancellationToken stoppingToken)
    {
        var pending = batch;
        var attempt = 0;
        try
        {
            while (true)
            {
                var revokeToken = Volatile.Read(ref _revokeSignal).Token;
                Exception? transient;
                await _inFlight.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    pending = [.. pending.Where(e => !e.State.Revoked)];
                    if (pending.Count == 0)
                    {
                        return;
                    }

                    (pending, transient) = await TryHandleAsync(pending, attempt == 0, _hardStop.Token).ConfigureAwait(false);
                }
                finally
                {
                    StoreOffsets(batch);
                    _inFlight.Release();
                }

                if (transient is null)
                {
                    return;
                }

                // Nothing of the failed part is stored; hold the partitions still so no new work piles
                // up behind it, and try again later (the in-flight gate is free meanwhile, so a rebalance
                // does not wait for our back-off).
                attempt++;
                var delay = Backoff.Compute(attempt, _options.TransientRetryMinBackoff, _options.TransientRetryMaxBackoff, Random.Shared);
                foreach (var envelope in pending)
                {
                    CountProcessed(envelope.Message.Topic, StreamRecMetrics.Outcomes.Retried);
                }

                _transientPaused = true;
                Log.TransientFailure(_logger, transient, _group, attempt, pending.Count, delay);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, revokeToken);
                try
                {
                    await Task.Delay(delay, _timeProvider, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // A rebalance: re-check which messages are still ours, then retry at once.
                }

                if (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
        finally
        {
            _transientPaused = false;
        }
    }

    /// <summary>Runs the handler over <paramref name="items"/>. Returns the messages still unfinished
    /// and the transient failure that stopped them, or an empty list and null when all finished.</summary>
    private async Task<(List<Envelope> Pending, Exception? Transient)> TryHandleAsync(List<Envelope> items, bool firstAttempt, CancellationToken cancellationToken)
    {
        var unfinished = new HashSet<Envelope>(items);
        try
        {
            foreach (var tooLarge in items.Where(e => e.TooLarge))
            {
                if (!_registration.Handler.OwnsTopicEvents)
                {
                    Finish(tooLarge, unfinished);
                    continue;
                }

                await _deadLetters.PublishAsync(
                    tooLarge.Message,
                    $"{DeadLetterCodes.TooLarge}: message is {tooLarge.Message.Value.Length} bytes, the limit is {_options.MaxMessageBytes} (StreamRec:Kafka:MaxMessageBytes)",
                    DeadLetterPublisher.Kinds.TooLarge,
                    _registration.ServiceName,
                    cancellationToken).ConfigureAwait(false);
                Finish(tooLarge, unfinished);
            }

            var normal = items.Where(e => !e.TooLarge).ToList();
            if (normal.Count == 0)
            {
                return ([], null);
            }

            if (firstAttempt)
            {
                foreach (var group in normal.GroupBy(e => e.Message.Topic))
                {
                    var count = group.Count();
                    if (_registration.Handler.OwnsTopicEvents)
                    {
                        StreamRecMetrics.EventsConsumed.WithLabels(group.Key).Inc(count);
                    }

                    StreamRecMetrics.BatchSize.WithLabels(group.Key).Observe(count);
                }
            }

            IReadOnlyList<PoisonMessage> poison;
            try
            {
                poison = await _registration.Handler.HandleAsync([.. normal.Select(e => e.Message)], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsPoison(e, cancellationToken))
            {
                if (normal.Count > 1)
                {
                    Log.IsolatingPoison(_logger, e, _group, normal.Count);
                    foreach (var envelope in normal)
                    {
                        await HandleOneAsync(envelope, cancellationToken).ConfigureAwait(false);
                        Finish(envelope, unfinished);
                    }
                }
                else
                {
                    await DeadLetterAsync(normal[0], HandlerErrorReason(e), DeadLetterPublisher.Kinds.HandlerError, cancellationToken).ConfigureAwait(false);
                    Finish(normal[0], unfinished);
                }

                return ([], null);
            }

            var reasons = new Dictionary<int, string>();
            foreach (var p in poison)
            {
                if (p.Index < 0 || p.Index >= normal.Count)
                {
                    ConsumerLog.BadPoisonIndex(_logger, _group, p.Index, normal.Count);
                    continue;
                }

                reasons.TryAdd(p.Index, p.Reason);
            }

            for (var i = 0; i < normal.Count; i++)
            {
                if (reasons.TryGetValue(i, out var reason))
                {
                    await DeadLetterAsync(normal[i], reason, DeadLetterPublisher.Kinds.Rejected, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    CountProcessed(normal[i].Message.Topic, StreamRecMetrics.Outcomes.Ok);
                }

                Finish(normal[i], unfinished);
            }

            return ([], null);
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            return ([.. items.Where(unfinished.Contains)], e);
        }
    }

    private async Task HandleOneAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        try
        {
            var poison = await _registration.Handler.HandleAsync([envelope.Message], cancellationToken).ConfigureAwait(false);
            if (poison.Count > 0)
            {
                await DeadLetterAsync(envelope, poison[0].Reason, DeadLetterPublisher.Kinds.Rejected, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                CountProcessed(envelope.Message.Topic, StreamRecMetrics.Outcomes.Ok);
            }
        }
        catch (Exception e) when (IsPoison(e, cancellationToken))
        {
            await DeadLetterAsync(envelope, HandlerErrorReason(e), DeadLetterPublisher.Kinds.HandlerError, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The service's own failure on one message: the code, then the exception's message (never its type or stack).</summary>
    private static string HandlerErrorReason(Exception e) => $"{DeadLetterCodes.HandlerError}: {e.Message}";

    private Task DeadLetterAsync(Envelope envelope, string reason, string kind, CancellationToken cancellationToken) =>
        _deadLetters.PublishAsync(envelope.Message, reason, kind, _registration.ServiceName, cancellationToken);

    private static void Finish(Envelope envelope, HashSet<Envelope> unfinished)
    {
        envelope.State.Tracker.Finished(envelope.Message.Offset);
        unfinished.Remove(envelope);
    }

    private void StoreOffsets(List<Envelope> batch)
    {
        var consumer = _consumer;
        if (consumer is null)
        {
            return;
        }

        foreach (var state in batch.Select(e => e.State).Distinct())
        {
            var next = state.Tracker.NextOffsetToCommit;
            if (state.Revoked || next is null || next == state.LastStored)
            {
                continue;
            }

            var offset = new TopicPartitionOffset(state.Partition, new Offset(next.Value));
            try
            {
                consumer.StoreOffset(offset);
                state.LastStored = next;
            }
            catch (KafkaException e)
            {
                // Typically the partition was just revoked; its new owner restarts from the last commit.
                Log.StoreFailed(_logger, _group, offset.ToString(), e.Error.Reason);
            }
        }
    }

    private void CountProcessed(string topic, string outcome)
    {
        if (_registration.Handler.OwnsTopicEvents)
        {
            StreamRecMetrics.EventsProcessed.WithLabels(topic, outcome).Inc();
        }
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        TransientErrors.IsTransient(e) || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static bool IsPoison(Exception e, CancellationToken cancellationToken) =>
        !IsTransient(e, cancellationToken) && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private static string Describe(IEnumerable<TopicPartition> partitions) =>
        string.Join(",", partitions.Select(tp => $"{tp.Topic}[{tp.Partition.Value}]"));

    private sealed class PartitionState(TopicPartition partition)
    {
        public TopicPartition Partition { get; } = partition;

        public OffsetTracker Tracker { get; } = new();

        public volatile bool Revoked;

        public long? LastStored { get; set; }
    }

    private sealed record Envelope(ConsumedMessage Message, PartitionState State, bool TooLarge);
}
