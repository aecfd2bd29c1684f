using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Tests.Fixtures;
using StreamRec.Messaging;
using StreamRec.Observability;

namespace StreamRec.Kafka.Tests.Consuming;

/// <summary>Where a batch's first message waited before its handler: fetch delay and batch wait.</summary>
public sealed class WaitMetricsTests(MockClusterFixture fixture) : IDisposable
{
    private readonly KafkaTestKit _kit = new(fixture.BootstrapServers);

    private static Envelope At(string topic, DateTimeOffset timestamp, DateTimeOffset receivedAt) =>
        new(new ConsumedMessage(topic, 0, 0, "k", [1], timestamp, []), null!, TooLarge: false, receivedAt);

    [Fact]
    public void BatchStarting_SplitsTheFirstMessagesWait_AtThePoll()
    {
        var topic = "wait-split-" + Guid.NewGuid().ToString("N");
        var stamped = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

        ConsumerMetrics.BatchStarting(At(topic, stamped, stamped.AddMilliseconds(30)), stamped.AddMilliseconds(50));

        Assert.Equal(1, StreamRecMetrics.FetchDelay.WithLabels(topic).Count);
        Assert.Equal(0.030, StreamRecMetrics.FetchDelay.WithLabels(topic).Sum, 6);
        Assert.Equal(1, StreamRecMetrics.BatchWait.WithLabels(topic).Count);
        Assert.Equal(0.020, StreamRecMetrics.BatchWait.WithLabels(topic).Sum, 6);
    }

    [Fact]
    public void BatchStarting_WithoutATimestamp_ObservesOnlyTheBatchWait_AndAClockBehindCountsZero()
    {
        var topic = "wait-untimed-" + Guid.NewGuid().ToString("N");
        var polled = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

        ConsumerMetrics.BatchStarting(At(topic, DateTimeOffset.UnixEpoch, polled), polled.AddMilliseconds(-5));

        Assert.Equal(0, StreamRecMetrics.FetchDelay.WithLabels(topic).Count);
        Assert.Equal(1, StreamRecMetrics.BatchWait.WithLabels(topic).Count);
        Assert.Equal(0, StreamRecMetrics.BatchWait.WithLabels(topic).Sum);
    }

    [Fact]
    public async Task AConsumer_ObservesBothOncePerBatch()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = fixture.NewTopic("wait-consumer", 1);
        var producer = _kit.Producer(_kit.Options());
        for (var i = 0; i < 5; i++)
        {
            await producer.ProduceAsync(topic, $"k{i}", [(byte)i], null, ct);
        }

        var handler = new RecordingHandler();
        var consumer = _kit.Consumer(handler, "wait-" + Guid.NewGuid().ToString("N"), topic);
        await consumer.StartAsync(ct);
        Assert.True(await Eventually.TrueAsync(() => handler.Handled.Count == 5, TimeSpan.FromSeconds(20), ct));
        await consumer.StopAsync(ct);

        var batches = StreamRecMetrics.BatchSize.WithLabels(topic).Count;
        Assert.InRange(batches, 1, 5);
        Assert.Equal(batches, StreamRecMetrics.BatchWait.WithLabels(topic).Count);
        Assert.Equal(batches, StreamRecMetrics.FetchDelay.WithLabels(topic).Count);
        Assert.True(StreamRecMetrics.FetchDelay.WithLabels(topic).Sum > 0);
    }

    public void Dispose() => _kit.Dispose();
}
