using Confluent.Kafka;
using Polly.CircuitBreaker;
using StreamRec.Ports;

namespace StreamRec.Kafka.Consuming;

/// <summary>Thrown by handlers for a failure that a later retry may not hit: the batch is retried, nothing is dead-lettered.</summary>
public sealed class TransientException : Exception
{
    public TransientException() : base("transient failure") { }

    public TransientException(string message) : base(message) { }

    public TransientException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>The one place that decides whether a failure is worth retrying.</summary>
public static class TransientErrors
{
    private static readonly HashSet<ErrorCode> TransientKafkaCodes =
    [
        ErrorCode.Local_Transport,
        ErrorCode.Local_AllBrokersDown,
        ErrorCode.Local_TimedOut,
        ErrorCode.Local_MsgTimedOut,
        ErrorCode.Local_QueueFull,
        ErrorCode.Local_Retry,
        ErrorCode.RequestTimedOut,
        ErrorCode.NetworkException,
        ErrorCode.BrokerNotAvailable,
        ErrorCode.LeaderNotAvailable,
        ErrorCode.NotLeaderForPartition,
        ErrorCode.NotEnoughReplicas,
        ErrorCode.NotEnoughReplicasAfterAppend,
        ErrorCode.NotCoordinatorForGroup,
        ErrorCode.GroupLoadInProgress,
        ErrorCode.KafkaStorageError,
    ];

    /// <summary>True for <see cref="TransientException"/>, a transient <see cref="VectorStoreException"/>,
    /// retriable or transport-level <see cref="KafkaException"/>s, <see cref="TimeoutException"/>,
    /// Polly's <see cref="BrokenCircuitException"/> (the dependency is known down: wait, don't dead-letter),
    /// and an <see cref="AggregateException"/> whose inner exceptions are all transient.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        TransientException => true,
        VectorStoreException v => v.IsTransient,
        KafkaRetriableException => true,
        KafkaException k => !k.Error.IsFatal && TransientKafkaCodes.Contains(k.Error.Code),
        TimeoutException => true,
        BrokenCircuitException => true,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsTransient),
        _ => false,
    };
}
