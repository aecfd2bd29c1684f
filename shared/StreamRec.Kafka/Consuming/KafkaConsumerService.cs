using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Producing;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Consuming;

/// <summary>
/// One consumer group member running one <see cref="IBatchHandler"/>; a process may host several.
/// A dedicated poll thread owns the Kafka consumer (librdkafka wants one thread calling Consume, and
/// rebalance callbacks run on it) and feeds a bounded channel; a worker reads batches by size and
/// time and calls the handler. An offset is stored only once its message and every message before it
/// in the partition finished (handled or dead-lettered), and auto-commit sends what was stored:
/// at-least-once delivery, never a skipped message.
/// </summary>
/// <remarks>This class wires the parts and runs the two loops. Poll thread: <see cref="MessageFeeder"/> (consume results
/// into the channel, overflow), <see cref="FlowControl"/> (pause/resume), <see cref="RebalanceCoordinator"/> (assign,
/// revoke, lost, commits), lag in <see cref="ConsumerMetrics"/>. Worker: <see cref="ConsumerWorker"/> (batches by size and
/// time), <see cref="BatchProcessor"/> (handler calls, transient retry, poison isolation, dead letters),
/// <see cref="OffsetStore"/>, <see cref="ParkedRetries"/>. The two sides share the in-flight gate: held while a handler
/// call (or a parked retry round) and the offset stores after it run; a revoke waits for it, which is "wait for in-flight
/// work" without stopping batches of the partitions we keep.</remarks>
public sealed class KafkaConsumerService : BackgroundService
{
    private readonly ConsumerRegistration _registration;
    private readonly ConsumerContext _context;
    private readonly CancellationTokenSource _hardStop = new();
    private readonly SemaphoreSlim _inFlight = new(1, 1);
    private readonly AssignedPartitions _partitions = new();
    private readonly MessageFeeder _feeder;
    private readonly FlowControl _flow;
    private readonly RebalanceCoordinator _rebalance;
    private readonly ITopicEventsPolicy _events;
    private readonly BatchProcessor _processor;
    private readonly ParkedRetries _parked;
    private readonly ConsumerWorker _worker;
    private readonly RevokeSignal _revokes = new();

    private IConsumer<byte[]?, byte[]>? _consumer;
    private volatile bool _stopPolling;

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
        var kafka = options.Value.With(registration.Batching);
        _context = new ConsumerContext(KafkaConfigFactory.GroupId(kafka, registration.GroupId), registration.ServiceName, kafka, logger, timeProvider);
        var handler = registration.Handler;
        _feeder = new MessageFeeder(_partitions, () => _stopPolling, _context);
        _flow = new FlowControl(_feeder.Reader, _partitions, _context);
        _rebalance = new RebalanceCoordinator(handler, _partitions, _flow, _revokes, _inFlight, _context);
        _events = TopicEventsPolicy.For(handler, deadLetters, registration.ServiceName, kafka.MaxMessageBytes);
        // The worker starts only after StartAsync built the consumer.
        var offsets = new OffsetStore(offset => _consumer?.StoreOffset(offset), _context);
        _processor = new BatchProcessor(handler, _events, deadLetters, offsets, _inFlight, _revokes, _context, _hardStop.Token);
        _parked = ParkedRetries.For(handler, _partitions, _inFlight, _context, _hardStop.Token);
        _worker = new ConsumerWorker(_feeder, _processor, _parked, _context, _hardStop.Token);
    }

    /// <summary>The Kafka group id (<c>{GroupIdPrefix}.{GroupId}</c>).</summary>
    public string GroupId => _context.Group;

    /// <summary>True while at least one partition is assigned.</summary>
    public bool IsAssigned => _partitions.Current.Length > 0;

    /// <summary>Partitions currently assigned to this member.</summary>
    public IReadOnlyCollection<TopicPartition> Assignment => _partitions.Current;

    /// <summary>Partitions currently paused (backpressure or a transient failure backing off).</summary>
    public int PausedPartitionCount => _flow.PausedCount;

    /// <summary>Completes when this member got its first non-empty assignment (readiness, tests).</summary>
    public Task FirstAssignment => _rebalance.FirstAssignment;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var options = _context.Options;
        var logger = _context.Logger;
        var config = KafkaConfigFactory.Consumer(options, _registration.GroupId, $"{_registration.ServiceName}-{_registration.GroupId}");
        _consumer = new ConsumerBuilder<byte[]?, byte[]>(config)
            .SetErrorHandler((_, e) =>
            {
                if (!e.IsFatal)
                {
                    Log.ClientError(logger, config.ClientId, e.Code, e.Reason);
                }
            })
            .SetLogHandler((_, m) =>
            {
                if (m.Level <= SyslogLevel.Warning)
                {
                    ConsumerLog.Librdkafka(logger, m.Name, m.Facility, m.Message);
                }
            })
            .SetPartitionsAssignedHandler(new Action<IConsumer<byte[]?, byte[]>, List<TopicPartition>>(_rebalance.OnAssigned))
            .SetPartitionsRevokedHandler(new Action<IConsumer<byte[]?, byte[]>, List<TopicPartitionOffset>>(_rebalance.OnRevoked))
            .SetPartitionsLostHandler(new Action<IConsumer<byte[]?, byte[]>, List<TopicPartitionOffset>>(_rebalance.OnLost))
            .Build();
        Log.ConsumerStarting(logger, _context.Group, _registration.ServiceName, string.Join(",", _registration.Topics), options.BootstrapServers, Redact.ToLogString(options.Client));
        _events.ExportSeries(_registration.Topics);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // In-flight handlers keep running until the shutdown budget is spent, then see cancellation.
        _hardStop.CancelAfter(_context.Options.ShutdownTimeout);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _stopPolling = true;
        _hardStop.Cancel();
        _revokes.Dispose();
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
            Name = $"kafka-poll {_context.Group}",
        };
        thread.Start();

        try
        {
            await _worker.RunAsync(stoppingToken);
        }
        finally
        {
            // The worker drained (or gave up after ShutdownTimeout): now the poll thread may commit and leave the group.
            _stopPolling = true;
            await pollDone.Task;
            Log.ConsumerStopped(_context.Logger, _context.Group);
        }
    }

    private void PollLoop(IConsumer<byte[]?, byte[]> consumer)
    {
        var group = _context.Group;
        var logger = _context.Logger;
        try
        {
            consumer.Subscribe(_registration.Topics);
            var lastLag = _context.Time.GetTimestamp();
            while (!_stopPolling)
            {
                _flow.Apply(consumer, _feeder.Overflowing, _processor.BackingOff);
                _feeder.DrainOverflow();
                try
                {
                    var result = consumer.Consume(MessageFeeder.PollTimeout);
                    if (result?.Message is not null)
                    {
                        _feeder.Accept(result);
                    }
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    Log.ConsumeError(logger, group, e.Error.Code, e.Error.Reason);
                }
                catch (KafkaException e) when (e.Error.IsFatal)
                {
                    Log.FatalError(logger, group, e.Error.Code, e.Error.Reason);
                    throw;
                }

                if (_context.Time.GetElapsedTime(lastLag) >= _context.Options.LagRefreshInterval)
                {
                    lastLag = _context.Time.GetTimestamp();
                    ConsumerMetrics.RefreshLag(consumer, _partitions.Current, _parked.ParkedCount);
                }
            }
        }
        catch (Exception e) when (e is not KafkaException { Error.IsFatal: true })
        {
            Log.PollLoopFailed(logger, e, group);
            _feeder.Complete(e);
            _rebalance.Leave(consumer);
            throw;
        }
        catch (Exception e)
        {
            _feeder.Complete(e);
            consumer.Dispose();
            throw;
        }

        _feeder.Complete();
        _rebalance.Leave(consumer);
    }
}
