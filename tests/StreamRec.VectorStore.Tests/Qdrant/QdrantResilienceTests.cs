using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Qdrant.Client.Grpc;
using StreamRec.Observability;
using StreamRec.Ports;
using StreamRec.VectorStore.Qdrant;

namespace StreamRec.VectorStore.Tests.Qdrant;

/// <summary>Retry, circuit breaker and timeouts on a fake clock: a scripted gRPC call invoker answers at once
/// (or never) and the test moves time forward, so nothing sleeps. Not parallel: the breaker gauge is process-wide.</summary>
[CollectionDefinition(nameof(QdrantResilienceTests), DisableParallelization = true)]
[Collection(nameof(QdrantResilienceTests))]
public sealed class QdrantResilienceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static double BreakerGauge => StreamRecMetrics.CircuitBreakerState.WithLabels("qdrant").Value;

    [Fact]
    public async Task RetryableFailures_AreRetried_ThenGiveUpAfterMaxRetries_AsTransient()
    {
        var time = new FakeTimeProvider();
        var invoker = new ScriptedInvoker(_ => Fail(StatusCode.Unavailable));
        var store = Store(invoker, time, new QdrantOptions { Url = "http://qdrant.test:6334", MaxRetries = 3, BreakerMinimumThroughput = 100 });

        var ex = await FailsAsync(time, store.CountAsync("c", Ct));

        Assert.Equal(4, invoker.Calls);
        Assert.Equal(503, ex.StatusCode);
        Assert.True(ex.IsTransient);
        Assert.Contains("Unavailable", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.Aborted)]
    public async Task RetryableStatus_ThenOk_IsRetriedAndSucceeds(StatusCode code)
    {
        var time = new FakeTimeProvider();
        var invoker = new ScriptedInvoker(call => call == 1 ? Fail(code) : Counted(7));
        var store = Store(invoker, time, new QdrantOptions { Url = "http://qdrant.test:6334" });

        Assert.Equal(7, await CompletesAsync(time, store.CountAsync("c", Ct)));
        Assert.Equal(2, invoker.Calls);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument, 400, false)]
    [InlineData(StatusCode.NotFound, 404, false)]
    [InlineData(StatusCode.PermissionDenied, 403, true)]
    [InlineData(StatusCode.Unauthenticated, 401, true)]
    public async Task NonRetryableStatus_FailsAtOnce_WithoutRetry(StatusCode code, int httpStatus, bool transientForTheConsumer)
    {
        var time = new FakeTimeProvider();
        var invoker = new ScriptedInvoker(_ => Fail(code));
        var store = Store(invoker, time, new QdrantOptions { Url = "http://qdrant.test:6334" });

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));

        Assert.Equal(1, invoker.Calls);
        Assert.Equal(httpStatus, ex.StatusCode);
        // Refused credentials are not retried at once, but the consumer pauses on them instead of dead-lettering.
        Assert.Equal(transientForTheConsumer, ex.IsTransient);
    }

    [Fact]
    public async Task SlowAttempt_TimesOut_AndIsRetried()
    {
        var time = new FakeTimeProvider();
        var invoker = new ScriptedInvoker(_ => Counted(3)) { HangOnCall = 1 };
        var store = Store(invoker, time, new QdrantOptions { Url = "http://qdrant.test:6334", AttemptTimeout = TimeSpan.FromSeconds(5) });

        Assert.Equal(3, await CompletesAsync(time, store.CountAsync("c", Ct)));
        Assert.Equal(2, invoker.Calls);
        Assert.True(invoker.CancelledCalls >= 1, "the timed-out attempt's call was not cancelled");
    }

    [Fact]
    public async Task TotalTimeout_BoundsAllAttempts_AndIsTransient()
    {
        var time = new FakeTimeProvider();
        var invoker = new ScriptedInvoker(_ => Counted(1)) { HangAlways = true };
        var options = new QdrantOptions
        {
            Url = "http://qdrant.test:6334",
            AttemptTimeout = TimeSpan.FromSeconds(1),
            TotalTimeout = TimeSpan.FromSeconds(2),
            MaxRetries = 20,
            BreakerMinimumThroughput = 100,
        };
        var store = Store(invoker, time, options);

        var ex = await FailsAsync(time, store.CountAsync("c", Ct));

        Assert.True(ex.IsTransient);
        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
        // Attempts of 1 s with a backoff between them fit twice, at most, in a 2 s budget.
        Assert.InRange(invoker.Calls, 1, 2);
    }

    [Fact]
    public async Task CallerCancellation_IsNeitherRetriedNorCountedByTheBreaker()
    {
        var time = new FakeTimeProvider();
        var invoker = new ScriptedInvoker(_ => Counted(1)) { HangAlways = true };
        var store = Store(invoker, time, new QdrantOptions { Url = "http://qdrant.test:6334", BreakerMinimumThroughput = 2 });

        for (var i = 0; i < 3; i++)
        {
            using var cts = new CancellationTokenSource();
            var task = store.CountAsync("c", cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        }

        Assert.Equal(3, invoker.Calls);
        Assert.Equal(0, BreakerGauge);
    }

    [Fact]
    public async Task NonRetryableFailures_DoNotOpenTheBreaker()
    {
        var time = new FakeTimeProvider();
        var invoker = new ScriptedInvoker(_ => Fail(StatusCode.InvalidArgument));
        var store = Store(invoker, time, new QdrantOptions { Url = "http://qdrant.test:6334", BreakerMinimumThroughput = 2 });

        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        }

        Assert.Equal(5, invoker.Calls);
        Assert.Equal(0, BreakerGauge);
    }

    [Fact]
    public async Task Breaker_OpensAfterFailures_FailsFastAsTransient_ThenHalfOpensAndCloses()
    {
        var time = new FakeTimeProvider();
        var healthy = false;
        double gaugeDuringTrial = -1;
        var invoker = new ScriptedInvoker(_ =>
        {
            if (!healthy)
            {
                return Fail(StatusCode.Unavailable);
            }

            gaugeDuringTrial = BreakerGauge;
            return Counted(2);
        });
        var options = new QdrantOptions
        {
            Url = "http://qdrant.test:6334",
            MaxRetries = 0,
            BreakerMinimumThroughput = 4,
            BreakerFailureRatio = 0.5,
            BreakerSamplingDuration = TimeSpan.FromSeconds(30),
            BreakerBreakDuration = TimeSpan.FromSeconds(15),
        };
        var store = Store(invoker, time, options);
        Assert.Equal(0, BreakerGauge);

        for (var i = 0; i < 4; i++)
        {
            var failure = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
            Assert.Equal(503, failure.StatusCode);
        }

        Assert.Equal(2, BreakerGauge);
        var open = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        Assert.True(open.IsTransient);
        Assert.Contains("circuit is open", open.Message, StringComparison.Ordinal);
        Assert.Equal(4, invoker.Calls);

        healthy = true;
        time.Advance(TimeSpan.FromSeconds(16));
        Assert.Equal(2, await store.CountAsync("c", Ct));

        Assert.Equal(1, gaugeDuringTrial);
        Assert.Equal(0, BreakerGauge);
        Assert.Equal(5, invoker.Calls);
    }

    [Fact]
    public async Task Breaker_HalfOpenTrialFails_OpensAgain()
    {
        var time = new FakeTimeProvider();
        var invoker = new ScriptedInvoker(_ => Fail(StatusCode.DeadlineExceeded));
        var store = Store(invoker, time, new QdrantOptions { Url = "http://qdrant.test:6334", MaxRetries = 0, BreakerMinimumThroughput = 2 });

        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        Assert.Equal(2, BreakerGauge);

        time.Advance(TimeSpan.FromSeconds(16));
        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        Assert.Equal(3, invoker.Calls);
        Assert.Equal(2, BreakerGauge);

        var open = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));
        Assert.True(open.IsTransient);
        Assert.Equal(3, invoker.Calls);
    }

    private static async Task<T> CompletesAsync<T>(FakeTimeProvider time, Task<T> task)
    {
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1, Ct);
        }

        return await task;
    }

    private static async Task<VectorStoreException> FailsAsync<T>(FakeTimeProvider time, Task<T> task)
    {
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1, Ct);
        }

        return await Assert.ThrowsAsync<VectorStoreException>(() => task);
    }

    private static QdrantVectorStore Store(ScriptedInvoker invoker, TimeProvider time, QdrantOptions options) =>
        new(new QdrantGrpcClient(invoker), options, time);

    private static Func<object> Fail(StatusCode code) => () => throw new RpcException(new Status(code, $"{code} scripted"));

    private static Func<object> Counted(ulong count) => () => new CountResponse { Result = new CountResult { Count = count } };

    /// <summary>A gRPC call invoker whose unary calls answer what the script says for the n-th call (1-based).
    /// A hanging call waits for its cancellation and then throws <see cref="OperationCanceledException"/>, as the
    /// adapter's channel does (ThrowOperationCanceledOnCancellation).</summary>
    private sealed class ScriptedInvoker(Func<int, Func<object>> respond) : CallInvoker
    {
        private int _calls;
        private int _cancelled;

        public int Calls => _calls;

        public int CancelledCalls => _cancelled;

        public int HangOnCall { get; init; }

        public bool HangAlways { get; init; }

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        {
            var call = Interlocked.Increment(ref _calls);
            var answer = respond(call);
            var response = RunAsync<TResponse>(call, answer, options.CancellationToken);
            return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
        }

        private async Task<TResponse> RunAsync<TResponse>(int call, Func<object> answer, CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (HangAlways || call == HangOnCall)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref _cancelled);
                    throw;
                }
            }

            return (TResponse)answer();
        }

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
            throw new NotSupportedException();

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
            throw new NotSupportedException();
    }
}
