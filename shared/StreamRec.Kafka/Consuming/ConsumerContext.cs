using Microsoft.Extensions.Logging;
using StreamRec.Kafka.Configuration;

namespace StreamRec.Kafka.Consuming;

/// <summary>What every part of one consumer group member shares: its Kafka group id, the service it runs in
/// (written into dead letters), its options, its logger (category <see cref="KafkaConsumerService"/>) and its clock.</summary>
internal sealed record ConsumerContext(string Group, string ServiceName, KafkaOptions Options, ILogger Logger, TimeProvider Time);
