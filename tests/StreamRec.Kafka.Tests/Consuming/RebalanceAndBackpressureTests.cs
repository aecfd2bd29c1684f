using Prometheus;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Producing;
using StreamRec.Kafka.Tests.Fixtures;
using StreamRec.Messaging;
using StreamRec.Observability;

namespace StreamRec.Kafka.Tests.Consuming;

public sealed class RebalanceAndBackpressureTests(MockClusterFixture fixture) : IDisposable
{
    private readonly KafkaTestKit _kit = new(fixture.BootstrapServers);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SecondMemberJoining_RevokesPartitionsCooperatively_AndNoMessageIsLost()
    {
        var topic = fixture.NewTopic("rebalance", 4);
        var group = "rebalance-" + Guid.NewGuid().ToString("N");
        var options = _kit.Options(o =>
        {
            o.SessionTimeout = TimeSpan.FromSeconds(2);
            o.Client["heartbeat.interval.ms"] = "300";
        });
        var producer = _kit.Producer();
        await producer.ProduceBatchAsync([.. Enumerable.Range(0, 40).Select(i => new OutgoingMessage(topic, $"k{i}", [(byte)i]))], Ct);

        var slow = new RecordingHandler(onMessage: (_, token) => Task.Delay(5, token));
        var first = _kit.Consumer(slow, group, topic, options);
        await first.StartAsync(Ct);
        await first.FirstAssignment.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(4, first.Assignment.Count);

        var other = new RecordingHandler();
        var second = _kit.Consumer(other, group, topic, options);
        await second.StartAsync(Ct);
        await second.FirstAssignment.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        await producer.ProduceBatchAsync([.. Enumerable.Range(40, 40).Select(i => new OutgoingMessage(topic, $"k{i}", [(byte)i]))], Ct);

        Assert.True(await Eventually.TrueAsync(
            () => slow.Handled.Concat(other.Handled).Select(m => m.Value[0]).Distinct().Count() == 80, TimeSpan.FromSeconds(20), Ct),
            "not every message was handled");
        // Cooperative-sticky: the first member gave up only some partitions and kept the rest.
        Assert.NotEmpty(slow.Revoked);
        Assert.Equal(4, first.Assignment.Count + second.Assignment.Count);
        Assert.Empty(first.Assignment.Intersect(second.Assignment));
        Assert.Equal(slow.Revoked.Order(), second.Assignment.Select(tp => tp.ToPartitionId()).Order());

        // Leaving hands the partitions back; the first member commits them once the group is stable
        // (a commit racing a rebalance is refused by the coordinator, and then the messages are merely redelivered).
        await second.StopAsync(Ct);
        Assert.True(await Eventually.TrueAsync(() => first.Assignment.Count == 4, TimeSpan.FromSeconds(20), Ct), "the partitions did not come back");
        await first.StopAsync(Ct);
        var committed = _kit.Committed(first.GroupId, topic, 4);
        Assert.Equal(80, committed.Sum(c => c.Offset.Value));
    }

    [Fact]
    public async Task FullChannel_PausesThePartition_LagShows_ThenResumesAndDrains()
    {
        var topic = fixture.NewTopic("backpressure", 1);
        var producer = _kit.Producer();
        await producer.ProduceBatchAsync([.. Enumerable.Range(0, 50).Select(i => new OutgoingMessage(topic, "u", [(byte)i]))], Ct);

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler(onMessage: (_, token) => gate.Task.WaitAsync(token));
        var options = _kit.Options(o =>
        {
            o.ChannelCapacity = 4;
            o.MaxBatchSize = 2;
        });
        var consumer = _kit.Consumer(handler, "backpressure-" + Guid.NewGuid().ToString("N"), topic, options);
        await consumer.StartAsync(Ct);

        var lag = StreamRecMetrics.ConsumerLag.WithLabels(topic, "0");
        Assert.True(await Eventually.TrueAsync(() => consumer.PausedPartitionCount == 1, TimeSpan.FromSeconds(20), Ct), "the partition was not paused");
        Assert.True(await Eventually.TrueAsync(() => lag.Value > 0, TimeSpan.FromSeconds(10), Ct), "lag did not show the backlog");

        gate.SetResult();
        Assert.True(await Eventually.TrueAsync(() => handler.Handled.Count == 50, TimeSpan.FromSeconds(20), Ct), $"handled {handler.Handled.Count}");
        Assert.True(await Eventually.TrueAsync(() => consumer.PausedPartitionCount == 0 && lag.Value == 0, TimeSpan.FromSeconds(10), Ct));
        await consumer.StopAsync(Ct);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (byte)i), handler.Handled.Select(m => m.Value[0]));
        Assert.All(handler.BatchSizes, size => Assert.InRange(size, 1, 2));
    }

    public void Dispose() => _kit.Dispose();
}
