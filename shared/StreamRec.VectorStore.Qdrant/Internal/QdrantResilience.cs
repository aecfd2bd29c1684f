using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using StreamRec.Observability;

namespace StreamRec.VectorStore.Qdrant.Internal;

/// <summary>
/// The pipeline every Qdrant request runs through, outermost first: total timeout, retry with jittered
/// exponential backoff, circuit breaker, attempt timeout (the order Microsoft.Extensions.Http.Resilience
/// uses). The breaker sits inside the retry so each attempt counts towards its failure ratio, and an
/// open circuit is not retried: the caller is told at once and pauses.
/// </summary>
internal static partial class QdrantResilience
{
    public const string Dependency = "qdrant";

    // Caps the exponential backoff so late retries still fit in the total timeout.
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    public static ResiliencePipeline<HttpResponseMessage> Build(QdrantOptions options, TimeProvider timeProvider, ILogger logger)
    {
        var shouldHandle = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(response => IsTransientStatus(response.StatusCode));

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider };
        builder.AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = shouldHandle,
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = MaxRetryDelay,
                DelayGenerator = static args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = args =>
                {
                    LogRetry(logger, args.AttemptNumber + 1, (int?)args.Outcome.Result?.StatusCode ?? 0, args.Outcome.Exception?.GetType().Name ?? "-", args.RetryDelay.TotalMilliseconds);

                    // The failed response is dropped here, so release its connection now.
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            ShouldHandle = shouldHandle,
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

    /// <summary>Honour a server's Retry-After (429/503) when it gives seconds; null falls back to backoff.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage? response) =>
        response?.Headers.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero && delta <= TimeSpan.FromMinutes(1) ? delta : null;

    [LoggerMessage(EventId = 3200, Level = LogLevel.Warning, Message = "Qdrant request failed (status {Status}, exception {Exception}); retry {Attempt} in {DelayMs:F0} ms")]
    private static partial void LogRetry(ILogger logger, int attempt, int status, string exception, double delayMs);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "Qdrant circuit opened for {BreakSeconds:F0} s: calls fail fast as transient until a trial call succeeds")]
    private static partial void LogBreakerOpened(ILogger logger, double breakSeconds);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Qdrant circuit closed")]
    private static partial void LogBreakerClosed(ILogger logger);
}
