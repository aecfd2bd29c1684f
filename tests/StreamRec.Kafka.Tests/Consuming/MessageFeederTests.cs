using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using StreamRec.Kafka.Configuration;
using StreamRec.Kafka.Consuming;

namespace StreamRec.Kafka.Tests.Consuming;

/// <summary>The poll thread's hand-over when the channel is full: it waits for the worker's next take instead of
/// parking the message and pausing, and parks only when nothing is taken for a poll interval.</summary>
public sealed class MessageFeederTests
{
    private static readonly TopicPartition Partition = new("feeder-test", new Partition(0));

    [Fact]
    public async Task FullChannel_TheWorkersNextTake_LetsTheWaitingMessageIn_WithoutPausing()
    {
        // A long wait for space: only the take's wake-up lets the message in within the five seconds below.
        var feeder = Feeder(capacity: 2, TimeSpan.FromMinutes(1));
        feeder.Accept(Result(0));
        feeder.Accept(Result(1));

        using var accepting = new ManualResetEventSlim();
        var token = TestContext.Current.CancellationToken;
        var third = Task.Run(
            () =>
            {
                accepting.Set();
                feeder.Accept(Result(2));
            },
            token);
        accepting.Wait(token);
        await Task.Delay(20, token);
        Assert.False(third.IsCompleted, "the channel is full: the third message must wait for space");

        var batch = new List<Envelope>();
        feeder.Take(batch, max: 1);
        await third.WaitAsync(TimeSpan.FromSeconds(5), token);

        Assert.False(feeder.Overflowing, "woken by the take, the message went into the channel: nothing to pause for");
        feeder.Take(batch, max: 10);
        Assert.Equal([0L, 1L, 2L], batch.Select(e => e.Message.Offset));
    }

    [Fact]
    public void FullChannel_NothingTakenForAPollInterval_ParksTheMessage()
    {
        var feeder = Feeder(capacity: 1, TimeSpan.FromMilliseconds(50));
        feeder.Accept(Result(0));

        feeder.Accept(Result(1));

        Assert.True(feeder.Overflowing, "no take within the wait: the message waits outside and fetching pauses");
        var batch = new List<Envelope>();
        feeder.Take(batch, max: 10);
        feeder.DrainOverflow();
        feeder.Take(batch, max: 10);
        Assert.Equal([0L, 1L], batch.Select(e => e.Message.Offset));
        Assert.False(feeder.Overflowing);
    }

    private static MessageFeeder Feeder(int capacity, TimeSpan spaceWait)
    {
        var partitions = new AssignedPartitions();
        partitions.Add([Partition]);
        var options = new KafkaOptions { ChannelCapacity = capacity };
        var context = new ConsumerContext("streamrec.test", "feeder-test", options, NullLogger.Instance, TimeProvider.System);
        return new MessageFeeder(partitions, () => false, context, spaceWait);
    }

    private static ConsumeResult<byte[]?, byte[]> Result(long offset) => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(Partition, new Offset(offset)),
        Message = new Message<byte[]?, byte[]>
        {
            Key = "k"u8.ToArray(),
            Value = [(byte)offset],
            Timestamp = new Timestamp(DateTime.UtcNow),
        },
    };
}
