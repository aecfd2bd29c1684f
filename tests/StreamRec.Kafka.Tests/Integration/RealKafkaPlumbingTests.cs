using StreamRec.Kafka.Tests.Fixtures;

namespace StreamRec.Kafka.Tests.Integration;

/// <summary>The dev-broker plumbing scenarios against a real Kafka broker (Testcontainers.Kafka).</summary>
public sealed class RealKafkaPlumbingTests(RealKafkaFixture fixture) : IClassFixture<RealKafkaFixture>, IDisposable
{
    private KafkaTestKit? _kit;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private KafkaTestKit Kit()
    {
        if (RealKafkaFixture.DockerUnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }

        return _kit ??= new KafkaTestKit(fixture.BootstrapServers);
    }

    [Fact]
    public Task ProduceAndConsume_ThroughAConsumerGroup() =>
        PlumbingScenarios.ProduceAndConsume_ThroughAConsumerGroup(Kit(), fixture.NewTopic, Ct);

    [Fact]
    public Task HandlerFailingOneMessage_DeadLettersIt_AndProcessesTheOthers() =>
        PlumbingScenarios.HandlerFailingOneMessage_DeadLettersIt_AndProcessesTheOthers(Kit(), fixture.NewTopic, Ct);

    [Fact]
    public Task ConsumerStoppedBeforeFinishing_MessageIsRedelivered() =>
        PlumbingScenarios.ConsumerStoppedBeforeFinishing_MessageIsRedelivered(Kit(), fixture.NewTopic, Ct);

    [Fact]
    public Task TransientFailure_PausesRetriesAndStoresNothing_ThenSucceeds() =>
        PlumbingScenarios.TransientFailure_PausesRetriesAndStoresNothing_ThenSucceeds(Kit(), fixture.NewTopic, Ct);

    public void Dispose() => _kit?.Dispose();
}
