using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Producing;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Tests.Consuming;

/// <summary>The batch processor on its own: a scripted handler, a recording dead-letter sink and offset store, no broker.</summary>
public sealed class BatchProcessorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AllSucceed_OneHandlerCall_NoDeadLetters_OffsetStoredPastTheBatch()
    {
        var rig = new Rig();
        List<Envelope> batch = [.. rig.Batch(0, 0, 1), .. rig.Batch(1, 5, 6), .. rig.Batch(0, 2)];

        await rig.Processor.ProcessAsync(batch, Ct);

        Assert.Equal([(0, 0L), (0, 1), (1, 5), (1, 6), (0, 2)], Assert.Single(rig.Handler.Calls).Select(m => (m.Partition, m.Offset)));
        Assert.Empty(rig.DeadLetters.Sent);
        Assert.Equal([(0, 3L), (1, 7L)], rig.StoredEnds());
        Assert.False(rig.Processor.BackingOff);
    }

    [Fact]
    public async Task OnePoisonMessage_IsIsolated_AndDeadLettered_TheOthersAreProcessed()
    {
        var rig = new Rig(handle: (batch, _) => batch.Any(m => m.Offset == 2)
            ? throw new InvalidOperationException("cannot handle 2")
            : Task.FromResult<IReadOnlyList<PoisonMessage>>([]));
        var batch = rig.Batch(0, 0, 1, 2, 3);

        await rig.Processor.ProcessAsync(batch, Ct);

        // The whole batch once, then one message at a time.
        Assert.Equal([[0L, 1, 2, 3], [0L], [1L], [2L], [3L]], rig.Handler.Calls.Select(c => c.Select(m => m.Offset).ToArray()));
        var letter = Assert.Single(rig.DeadLetters.Sent);
        Assert.Equal(2, letter.Message.Offset);
        Assert.Equal("HandlerError: cannot handle 2", letter.Reason);
        Assert.Equal(DeadLetterKinds.HandlerError, letter.Kind);
        Assert.Equal(Rig.Service, letter.Service);
        Assert.Equal([(0, 4L)], rig.StoredEnds());
    }

    [Fact]
    public async Task SingleMessageThrowing_IsDeadLetteredWithoutARetry()
    {
        var rig = new Rig(handle: (_, _) => throw new FormatException("bad json"));

        await rig.Processor.ProcessAsync(rig.Batch(0, 7), Ct);

        Assert.Single(rig.Handler.Calls);
        Assert.Equal("HandlerError: bad json", Assert.Single(rig.DeadLetters.Sent).Reason);
        Assert.Equal([(0, 8L)], rig.StoredEnds());
    }

    [Fact]
    public async Task TransientFailure_IsRetriedWithFetchingPaused_NothingStoredMeanwhile_ThenSucceeds()
    {
        var storedWhenCalled = new List<int>();
        var backingOffWhenCalled = new List<bool>();
        Rig? rig = null;
        rig = new Rig(handle: (_, _) =>
        {
            storedWhenCalled.Add(rig!.Stored.Count);
            backingOffWhenCalled.Add(rig.Processor.BackingOff);
            return rig.Handler.Calls.Count <= 2
                ? throw new TransientException("store unavailable")
                : Task.FromResult<IReadOnlyList<PoisonMessage>>([]);
        });

        await rig.Processor.ProcessAsync(rig.Batch(0, 0, 1, 2), Ct);

        Assert.Equal(3, rig.Handler.Calls.Count);
        Assert.All(rig.Handler.Calls, call => Assert.Equal([0L, 1, 2], call.Select(m => m.Offset)));
        Assert.Equal([0, 0, 0], storedWhenCalled);
        Assert.Equal([false, true, true], backingOffWhenCalled);
        Assert.False(rig.Processor.BackingOff);
        Assert.Empty(rig.DeadLetters.Sent);
        Assert.Equal([(0, 3L)], rig.StoredEnds());
    }

    [Fact]
    public async Task TransientFailureOfADeadLetter_RetriesOnlyWhatIsUnfinished()
    {
        var rig = new Rig(handle: (batch, _) => Task.FromResult<IReadOnlyList<PoisonMessage>>(
            [.. batch.Select((m, i) => (m, i)).Where(x => x.m.Offset == 1).Select(x => new PoisonMessage(x.i, "rejected"))]));
        rig.DeadLetters.FailNext = 1;

        await rig.Processor.ProcessAsync(rig.Batch(0, 0, 1, 2), Ct);

        // Offset 0 finished before the dead letter failed; the retry hands the handler 1 and 2 only.
        Assert.Equal([[0L, 1, 2], [1L, 2]], rig.Handler.Calls.Select(c => c.Select(m => m.Offset).ToArray()));
        Assert.Equal(1, Assert.Single(rig.DeadLetters.Sent).Message.Offset);
        Assert.Equal([(0, 1L), (0, 3L)], rig.Stored.Select(o => (o.Partition.Value, o.Offset.Value)));
    }

    [Fact]
    public async Task PoisonIndexes_AreDeadLetteredAsRejected_OutOfRangeOnesIgnored_TheOthersFinish()
    {
        var rig = new Rig(handle: (_, _) => Task.FromResult<IReadOnlyList<PoisonMessage>>(
            [new PoisonMessage(1, "schema violation"), new PoisonMessage(1, "second reason"), new PoisonMessage(9, "no such index"), new PoisonMessage(-1, "nor this")]));

        await rig.Processor.ProcessAsync(rig.Batch(0, 10, 11, 12), Ct);

        Assert.Single(rig.Handler.Calls);
        var letter = Assert.Single(rig.DeadLetters.Sent);
        Assert.Equal(11, letter.Message.Offset);
        Assert.Equal("schema violation", letter.Reason);
        Assert.Equal(DeadLetterKinds.Rejected, letter.Kind);
        Assert.Equal([(0, 13L)], rig.StoredEnds());
    }

    [Fact]
    public async Task TooLargeMessage_OwningGroup_DeadLettersItWithoutTheHandler()
    {
        var rig = new Rig();
        var batch = rig.Batch(0, 0, 1);
        batch.Insert(1, rig.Envelope(0, 2, tooLarge: true));

        await rig.Processor.ProcessAsync(batch, Ct);

        Assert.Equal([0L, 1], Assert.Single(rig.Handler.Calls).Select(m => m.Offset));
        var letter = Assert.Single(rig.DeadLetters.Sent);
        Assert.Equal(DeadLetterKinds.TooLarge, letter.Kind);
        Assert.StartsWith("TooLarge: message is 200 bytes, the limit is 100", letter.Reason, StringComparison.Ordinal);
        Assert.Equal([(0, 3L)], rig.StoredEnds());
    }

    [Fact]
    public async Task TooLargeMessage_SideReader_SkipsItWithoutADeadLetter()
    {
        var rig = new Rig(ownsTopicEvents: false);

        await rig.Processor.ProcessAsync([rig.Envelope(0, 0, tooLarge: true)], Ct);

        Assert.Empty(rig.Handler.Calls);
        Assert.Empty(rig.DeadLetters.Sent);
        Assert.Equal([(0, 1L)], rig.StoredEnds());
    }

    [Fact]
    public async Task StoppingDuringTheBackOff_EndsWithCancellation_WithoutStoringOrRetrying()
    {
        using var stopping = new CancellationTokenSource();
        var rig = new Rig(
            handle: (_, _) =>
            {
                stopping.CancelAfter(TimeSpan.FromMilliseconds(50));
                throw new TransientException("down");
            },
            backoff: TimeSpan.FromSeconds(30));

        var run = rig.Processor.ProcessAsync(rig.Batch(0, 0, 1), stopping.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Single(rig.Handler.Calls);
        Assert.Empty(rig.Stored);
        Assert.Empty(rig.DeadLetters.Sent);
        Assert.False(rig.Processor.BackingOff);
    }

    [Fact]
    public async Task HardStopCancellingTheHandler_Throws_NothingIsDeadLetteredOrStored()
    {
        var rig = new Rig(handle: async (_, token) =>
        {
            await Task.Delay(Timeout.Infinite, token);
            return [];
        });

        var run = rig.Processor.ProcessAsync(rig.Batch(0, 0, 1, 2), Ct);
        await rig.Abort.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Empty(rig.DeadLetters.Sent);
        Assert.Empty(rig.Stored);
        Assert.Equal(1, rig.InFlight.CurrentCount);
    }

    [Fact]
    public async Task RevokedDuringTheBackOff_RetriesAtOnce_WithoutTheRevokedPartition()
    {
        Rig? rig = null;
        rig = new Rig(
            handle: (batch, _) =>
            {
                if (rig!.Handler.Calls.Count == 1)
                {
                    rig.State(1).Revoked = true;
                    rig.Revokes.Fire();
                    throw new TransientException("down");
                }

                return Task.FromResult<IReadOnlyList<PoisonMessage>>([]);
            },
            backoff: TimeSpan.FromSeconds(30));

        await rig.Processor.ProcessAsync(rig.Batch(0, 0, 1, 2).Concat(rig.Batch(1, 0, 1)).ToList(), Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(2, rig.Handler.Calls.Count);
        Assert.Equal([(0, 0L), (0, 1), (0, 2)], rig.Handler.Calls[1].Select(m => (m.Partition, m.Offset)));
        Assert.Equal([(0, 3L)], rig.StoredEnds());
    }

    [Fact]
    public async Task AllOfTheBatchRevoked_TheHandlerIsNotCalled()
    {
        var rig = new Rig();
        var batch = rig.Batch(0, 0, 1);
        rig.State(0).Revoked = true;

        await rig.Processor.ProcessAsync(batch, Ct);

        Assert.Empty(rig.Handler.Calls);
        Assert.Empty(rig.Stored);
    }

    /// <summary>A processor over fakes: partitions 0 and 1 of one topic, MaxMessageBytes 100, a 1-5 ms transient back-off
    /// (or <c>backoff</c>).</summary>
    private sealed class Rig
    {
        public const string Service = "test-service";

        private readonly Dictionary<int, PartitionState> _states = [];
        private readonly string _topic = "batch-processor-" + Guid.NewGuid().ToString("N");

        public Rig(
            Func<IReadOnlyList<ConsumedMessage>, CancellationToken, Task<IReadOnlyList<PoisonMessage>>>? handle = null,
            bool ownsTopicEvents = true,
            TimeSpan? backoff = null)
        {
            Handler = new ScriptedHandler(handle ?? ((_, _) => Task.FromResult<IReadOnlyList<PoisonMessage>>([])), ownsTopicEvents);
            var options = new KafkaOptions
            {
                MaxMessageBytes = 100,
                TransientRetryMinBackoff = backoff ?? TimeSpan.FromMilliseconds(1),
                TransientRetryMaxBackoff = backoff ?? TimeSpan.FromMilliseconds(5),
            };
            var context = new ConsumerContext("streamrec.test", Service, options, NullLogger.Instance, TimeProvider.System);
            var offsets = new OffsetStore(Stored.Add, context);
            var events = TopicEventsPolicy.For(Handler, DeadLetters, Service, options.MaxMessageBytes);
            Processor = new BatchProcessor(Handler, events, DeadLetters, offsets, InFlight, Revokes, context, Abort.Token);
        }

        public ScriptedHandler Handler { get; }

        public RecordingSink DeadLetters { get; } = new();

        public List<TopicPartitionOffset> Stored { get; } = [];

        public SemaphoreSlim InFlight { get; } = new(1, 1);

        public RevokeSignal Revokes { get; } = new();

        public CancellationTokenSource Abort { get; } = new();

        public BatchProcessor Processor { get; }

        public PartitionState State(int partition)
        {
            if (!_states.TryGetValue(partition, out var state))
            {
                state = new PartitionState(new TopicPartition(_topic, new Partition(partition)));
                _states[partition] = state;
            }

            return state;
        }

        /// <summary>Messages of <paramref name="partition"/>, received in this order (as the poll thread would).</summary>
        public List<Envelope> Batch(int partition, params long[] offsets) => [.. offsets.Select(o => Envelope(partition, o))];

        public Envelope Envelope(int partition, long offset, bool tooLarge = false)
        {
            var state = State(partition);
            state.Tracker.Received(offset);
            var value = tooLarge ? new byte[200] : [(byte)offset];
            return new Envelope(new ConsumedMessage(_topic, partition, offset, $"k{offset}", value, DateTimeOffset.UnixEpoch, []), state, tooLarge);
        }

        /// <summary>The last offset stored per partition.</summary>
        public List<(int Partition, long Offset)> StoredEnds() =>
            [.. Stored.GroupBy(o => o.Partition.Value).OrderBy(g => g.Key).Select(g => (g.Key, g.Last().Offset.Value))];
    }

    public sealed class ScriptedHandler(
        Func<IReadOnlyList<ConsumedMessage>, CancellationToken, Task<IReadOnlyList<PoisonMessage>>> handle,
        bool ownsTopicEvents) : IBatchHandler
    {
        /// <summary>Each call's batch, in call order.</summary>
        public List<ConsumedMessage[]> Calls { get; } = [];

        public bool OwnsTopicEvents => ownsTopicEvents;

        public Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
        {
            Calls.Add([.. batch]);
            return handle(batch, cancellationToken);
        }

        public void OnPartitionsRevoked(IReadOnlyCollection<PartitionId> partitions)
        {
        }

        public void OnPartitionsAssigned(IReadOnlyCollection<PartitionId> partitions)
        {
        }
    }

    internal sealed class RecordingSink : IDeadLetterSink
    {
        public ConcurrentQueue<(ConsumedMessage Message, string Reason, string Kind, string Service)> Sent { get; } = new();

        /// <summary>How many of the next publishes fail transiently.</summary>
        public int FailNext { get; set; }

        public Task PublishAsync(ConsumedMessage message, string reason, string errorKind, string service, CancellationToken cancellationToken)
        {
            if (FailNext > 0)
            {
                FailNext--;
                throw new KafkaException(ErrorCode.Local_MsgTimedOut);
            }

            Sent.Enqueue((message, reason, errorKind, service));
            return Task.CompletedTask;
        }
    }
}
