using StreamRec.Kafka.Tests.Fixtures;

namespace StreamRec.Kafka.Tests.Consuming;

/// <summary>The consume loop against the dev broker over TCP.</summary>
public sealed class KafkaConsumerServiceTests(MockClusterFixture fixture) : IDisposable
{
    private readonly KafkaTestKit _kit = new(fixture.BootstrapServers);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task ProducedMessages_AreHandledInKeyOrder_AndCommittedOnShutdown() =>
        PlumbingScenarios.ProduceAndConsume_ThroughAConsumerGroup(_kit, fixture.NewTopic, Ct);

    [Fact]
    public Task HandlerFailingOneMessage_DeadLettersIt_WithHeaders_AndProcessesTheOthers() =>
        PlumbingScenarios.HandlerFailingOneMessage_DeadLettersIt_AndProcessesTheOthers(_kit, fixture.NewTopic, Ct);

    [Fact]
    public Task ConsumerStoppedBeforeFinishing_NextMemberGetsTheMessageAgain() =>
        PlumbingScenarios.ConsumerStoppedBeforeFinishing_MessageIsRedelivered(_kit, fixture.NewTopic, Ct);

    [Fact]
    public Task TransientFailure_PausesRetriesAndStoresNothing_ThenSucceeds() =>
        PlumbingScenarios.TransientFailure_PausesRetriesAndStoresNothing_ThenSucceeds(_kit, fixture.NewTopic, Ct);

    public void Dispose() => _kit.Dispose();
}
