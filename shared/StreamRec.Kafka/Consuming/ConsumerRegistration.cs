using StreamRec.Messaging;

namespace StreamRec.Kafka.Consuming;

/// <summary>Which consumer group runs which handler on which topics.</summary>
/// <param name="ServiceName">The service, written into dead letters' <c>service</c> header.</param>
/// <param name="GroupId">Logical group name; the Kafka group id is <c>{GroupIdPrefix}.{GroupId}</c>.</param>
/// <param name="Topics">Topics to subscribe to.</param>
/// <param name="Handler">The handler.</param>
public sealed record ConsumerRegistration(string ServiceName, string GroupId, IReadOnlyList<string> Topics, IBatchHandler Handler);
