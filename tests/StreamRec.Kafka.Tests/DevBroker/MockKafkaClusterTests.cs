using System.Text;
using Confluent.Kafka;
using StreamRec.DevBroker;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Tests.Fixtures;

namespace StreamRec.Kafka.Tests.DevBroker;

public sealed class MockKafkaClusterTests(MockClusterFixture fixture) : IDisposable
{
    private const short ProduceApiKey = 0;
    private readonly KafkaTestKit _kit = new(fixture.BootstrapServers);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Start_ListensOnLoopback_WithOneAddressPerBroker()
    {
        using var cluster = MockKafkaCluster.Start(2);
        var addresses = cluster.BootstrapServers.Split(',');
        Assert.Equal(2, addresses.Length);
        Assert.All(addresses, a => Assert.StartsWith("127.0.0.1:", a, StringComparison.Ordinal));
        Assert.Matches(@"^\d+\.\d+\.\d+", MockKafkaCluster.LibrdkafkaVersion);
    }

    [Fact]
    public async Task PushRequestErrors_RetriableErrorsAreRetriedByTheIdempotentProducer()
    {
        using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("faults", 1);
        using var kit = new KafkaTestKit(cluster.BootstrapServers);
        var producer = kit.Producer();
        cluster.PushRequestErrors(ProduceApiKey, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas);
        await producer.ProduceAsync("faults", "k", "v"u8.ToArray(), null, Ct);

        var read = await kit.ReadAsync("faults", r => r.Count >= 1, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("v", System.Text.Encoding.UTF8.GetString(Assert.Single(read).Message.Value));
    }

    [Fact]
    public async Task PushRequestErrors_PermanentErrorReachesTheCaller()
    {
        using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("denied", 1);
        using var kit = new KafkaTestKit(cluster.BootstrapServers);
        var producer = kit.Producer();
        cluster.PushRequestErrors(ProduceApiKey, ErrorCode.TopicAuthorizationFailed);
        var error = await Assert.ThrowsAnyAsync<KafkaException>(() => producer.ProduceAsync("denied", "k", "v"u8.ToArray(), null, Ct));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, error.Error.Code);
        Assert.False(TransientErrors.IsTransient(error));
    }

    [Fact]
    public async Task BrokerDownAndUp_ProducerRecoversAfterTheLeaderComesBack()
    {
        using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("outage", 1);
        cluster.SetPartitionLeader("outage", 0, 1);
        cluster.SetBrokerRtt(1, TimeSpan.FromMilliseconds(5));
        using var kit = new KafkaTestKit(cluster.BootstrapServers);
        var producer = kit.Producer();
        await producer.ProduceAsync("outage", "k", "before"u8.ToArray(), null, Ct);

        cluster.SetBrokerDown(1);
        var during = producer.ProduceAsync("outage", "k", "during"u8.ToArray(), null, Ct);
        await Task.Delay(300, Ct);
        Assert.False(during.IsCompleted, "a message to a down leader cannot have been acked");
        cluster.SetBrokerUp(1);
        await during.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        var read = await kit.ReadAsync("outage", r => r.Count >= 2, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(["before", "during"], read.Select(r => System.Text.Encoding.UTF8.GetString(r.Message.Value)));
    }

    [Fact]
    public void Disposed_RefusesFurtherCommands()
    {
        var cluster = MockKafkaCluster.Start(1);
        cluster.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("x", 1));
    }

    public void Dispose() => _kit.Dispose();
}
