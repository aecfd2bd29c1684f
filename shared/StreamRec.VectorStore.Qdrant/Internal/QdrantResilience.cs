using Grpc.Core;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using StreamRec.Observability;

namespace StreamRec.VectorStore.Qdrant.Internal;

/// <summary>
/// The pipeline every Qdrant call runs through, outermost first: total timeout, retry with jittered
/// exponential backoff, circuit breaker, attempt timeout (the order Microsoft.Extensions.Http.Resilience
/// uses). The breaker sits inside the retry so each attempt counts towards its failure ratio, and an
/// open circuit is not retried: the caller is told at once and pauses.
/// </summary>
internal static partial class QdrantResilience
{
    public const string Dependency = "qdrant";

    // Caps the exponential backoff so late retries still fit in the total timeout.
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>What the retry and the breaker count as a failure of the dependency: a retryable gRPC status
    /// (<see cref="GrpcFailures.IsRetryable"/>) or an attempt that timed out. A caller's cancellation is not.</summary>
    public static bool IsDependencyFailure(Exception? exception) => exception switch
    {
        RpcException rpc => GrpcFailures.IsRetryable(rpc.StatusCode),
        TimeoutRejectedException => true,
        _ => false,
    };

    public static ResiliencePipeline Build(QdrantOptions options, TimeProvider timeProvider, ILogger logger)
    {
        var shouldHandle = static (Outcome<object> outcome) => ValueTask.FromResult(IsDependencyFailure(outcome.Exception));
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        builder.AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => shouldHandle(args.Outcome),
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = MaxRetryDelay,
                OnRetry = args =>
                {
                    LogRetry(logger, args.AttemptNumber + 1, Describe(args.Outcome.Exception), args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = args => shouldHandle(args.Outcome),
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
            OnOpened = args =>
            {
                StreamRecMetrics.CircuitBreakerState.WithLabels(Dependency).Set(2);
                LogBreakerOpened(logger, args.BreakDuration.TotalSeconds);
                return default;
            },
            OnHalfOpened = _ =>
            {
                StreamRecMetrics.CircuitBreakerState.WithLabels(Dependency).Set(1);
                return default;
            },
            OnClosed = _ =>
            {
                StreamRecMetrics.CircuitBreakerState.WithLabels(Dependency).Set(0);
                LogBreakerClosed(logger);
                return default;
            },
        });
        builder.AddTimeout(options.AttemptTimeout);
        StreamRecMetrics.CircuitBreakerState.WithLabels(Dependency).Set(0);
        return builder.Build();
    }

    /// <summary>The status code or exception type; never the message (it could echo request metadata).</summary>
    private static string Describe(Exception? exception) => exception switch
    {
        RpcException rpc => $"gRPC {rpc.StatusCode}",
        TimeoutRejectedException => "attempt timeout",
        null => "-",
        _ => exception.GetType().Name,
    };

    [LoggerMessage(EventId = 3200, Level = LogLevel.Warning, Message = "Qdrant call failed ({Failure}); retry {Attempt} in {DelayMs:F0} ms")]
    private static partial void LogRetry(ILogger logger, int attempt, string failure, double delayMs);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "Qdrant circuit opened for {BreakSeconds:F0} s: calls fail fast as transient until a trial call succeeds")]
    private static partial void LogBreakerOpened(ILogger logger, double breakSeconds);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Qdrant circuit closed")]
    private static partial void LogBreakerClosed(ILogger logger);
}
