using StreamRec.Messaging;

namespace StreamRec.Kafka.Consuming;

/// <summary>Which consumer group runs which handler on which topics.</summary>
/// <param name="ServiceName">The service, written into dead letters' <c>service</c> header.</param>
/// <param name="GroupId">Logical group name; the Kafka group id is <c>{GroupIdPrefix}.{GroupId}</c>.</param>
/// <param name="Topics">Topics to subscribe to.</param>
/// <param name="Handler">The handler.</param>
/// <param name="Batching">This group's batch size and wait instead of <c>StreamRec:Kafka</c>'s (null: those).</param>
public sealed record ConsumerRegistration(string ServiceName, string GroupId, IReadOnlyList<string> Topics, IBatchHandler Handler, ConsumerBatching? Batching = null);

/// <summary>How one consumer group batches, when it differs from the process-wide <c>MaxBatchSize</c> and <c>MaxBatchWait</c>.
/// The group's channel holds at least two batches.</summary>
/// <param name="MaxBatchSize">Most messages handed to the handler at once.</param>
/// <param name="MaxBatchWait">How long a batch waits to fill once its first message arrived.</param>
public sealed record ConsumerBatching(int MaxBatchSize, TimeSpan MaxBatchWait);
